import * as vscode from 'vscode';
import type { ChatServer } from '../engine/server/chatServer';
import type { Store } from '../engine/stores/store';

/** The server's modules, loaded on the first start (a bundle of their own: see hostedServer.ts). */
type HostedServer = typeof import('../engine/server/hostedServer.js');
let hosted: Promise<HostedServer> | undefined;
function loadHostedServer(): Promise<HostedServer> {
  return (hosted ??= import('../engine/server/hostedServer.js'));
}

/**
 * The chat server hosted inside the extension host (Chat: Start Server). Its
 * history lives in the extension's global storage, so it outlives the window.
 */
export class ServerHost implements vscode.Disposable {
  private server?: ChatServer;
  private _address?: { host: string; port: number };
  private readonly changed = new vscode.EventEmitter<void>();
  /** Started, stopped, or someone came or went. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly storageDir: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  get address(): { host: string; port: number } | undefined {
    return this._address;
  }
  get running(): boolean {
    return this.server !== undefined;
  }
  get online(): number {
    return this.server?.users().length ?? 0;
  }
  get users(): string[] {
    return this.server?.users() ?? [];
  }

  /** SHA-256 fingerprint of the server's certificate, when it speaks TLS. */
  get fingerprint(): string | undefined {
    return this.server?.fingerprint;
  }
  get secure(): boolean {
    return this.server?.secure ?? false;
  }
  get requiresPassword(): boolean {
    return this.server?.requiresPassword ?? false;
  }

  /** Start on host:port. Rejects with a ListenError, StoreError or CertificateError that says what to do. */
  async start(host: string, port: number, security: { tls?: boolean; certFile?: string; keyFile?: string; password?: string } = {}): Promise<{ host: string; port: number }> {
    if (this.server && this._address) return this._address;
    const { ChatServer, FileStore, ListenError, StoreError, loadCertificate, loadOrCreateCertificate } = await loadHostedServer();
    let store: Store | undefined;
    const dataDir = vscode.Uri.joinPath(this.storageDir, 'server').fsPath;
    let tlsMaterial: { cert: string; key: string } | undefined;
    if (security.tls) {
      const m = security.certFile && security.keyFile ? loadCertificate(security.certFile, security.keyFile) : await loadOrCreateCertificate(dataDir);
      if (m.generated) this.log.info(`made a self-signed certificate in ${m.certFile}`);
      for (const w of m.warnings) this.log.warn(w);
      tlsMaterial = { cert: m.cert, key: m.key };
    }
    try {
      store = await FileStore.open(dataDir);
    } catch (err) {
      // History on disk is a convenience; a server without it still works.
      this.log.warn(`${err instanceof StoreError ? err.message : String(err)}; keeping history in memory`);
    }
    const server = new ChatServer({ host, port, store, tls: tlsMaterial, password: security.password || undefined });
    server.onEvent((e) => {
      switch (e.type) {
        case 'online':
          this.log.info(`server: ${e.name} connected from ${e.address}`);
          break;
        case 'offline':
          this.log.info(`server: ${e.name} left (${e.reason})`);
          break;
        case 'warn':
          this.log.warn(`server: ${e.message}`);
          break;
        default:
          return;
      }
      this.changed.fire();
    });
    try {
      const addr = await server.listen();
      this.server = server;
      this._address = { host, port: addr.port };
      this.log.info(`server listening on ${host}:${addr.port} (${server.secure ? `TLS, fingerprint ${server.fingerprint}` : 'plain TCP'}${server.requiresPassword ? ', password required' : ''}; history in ${store ? dataDir : 'memory'})`);
      this.changed.fire();
      return this._address;
    } catch (err) {
      await store?.close();
      throw err instanceof ListenError ? err : new ListenError(String(err), undefined);
    }
  }

  /** The identity id that owns a name on this server, if anyone does. */
  async nameOwner(name: string): Promise<string | undefined> {
    return this.server?.store.nameOwner(name);
  }

  /**
   * Forget who owns a name on this server (the operator's "release"), so the
   * next key to use it owns it: for a person who lost their key. The running
   * server asks the store on every hello, so it takes effect at once.
   */
  async releaseName(name: string): Promise<boolean> {
    const owner = await this.server?.releaseName(name);
    if (owner !== undefined) this.log.info(`server: released the name "${name}" (it belonged to ${owner})`);
    return owner !== undefined;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    this._address = undefined;
    await s.close('the server was stopped from VS Code');
    this.log.info('server stopped');
    this.changed.fire();
  }

  dispose(): void {
    // The window is closing: nobody can act on a failure to close cleanly.
    this.stop().catch(() => undefined);
    this.changed.dispose();
  }
}

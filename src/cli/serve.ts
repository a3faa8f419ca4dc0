import { ChatServer, ListenError } from '../engine/server/chatServer';
import { exposureWarning } from '../engine/exposure';
import { FileStore } from '../engine/stores/fileStore';
import { DEFAULT_RETENTION, StoreError } from '../engine/stores/store';
import { CertificateError, defaultDataDir, loadCertificate, loadOrCreateCertificate, type TlsMaterial } from '../engine/certificate';
import { PasswordError, readPassword } from './password';

/** How the terminal says to add each safeguard the exposure warning asks for. */
export const CLI_FIXES = { tls: 'add --tls', password: 'add --password-file' } as const;

/** Flags of `tcp-chat serve`, already checked. */
export interface ServeArgs {
  host?: string;
  port?: number;
  data?: string;
  maxLine?: number;
  rate?: number;
  burst?: number;
  maxClients?: number;
  maxQueue?: number;
  handshakeTimeout?: number;
  idleTimeout?: number;
  retention?: number;
  history?: number;
  quiet: boolean;
  /** Serve TLS: with cert and key from files, or with a certificate made once in the data directory. */
  tls?: boolean;
  cert?: string;
  key?: string;
  /** File holding the password; TCP_CHAT_PASSWORD is read when absent. */
  passwordFile?: string;
}

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

/** Runs a server until SIGINT or SIGTERM. Resolves with the exit code. */
export async function runServe(a: ServeArgs): Promise<number> {
  // Certificate and password first: a mistake there should not leave a store open.
  let material: TlsMaterial | undefined;
  let password: string | undefined;
  try {
    if (a.tls) {
      material = a.cert !== undefined && a.key !== undefined ? loadCertificate(a.cert, a.key) : await loadOrCreateCertificate(a.data ?? defaultDataDir());
      if (material.generated) log(`made a self-signed TLS certificate: ${material.certFile} (key ${material.keyFile}, mode 0600)`);
      for (const w of material.warnings) log(`warning: ${w}`);
    }
    const secret = readPassword(a.passwordFile);
    password = secret.password;
    for (const w of secret.warnings) log(`warning: ${w}`);
  } catch (err) {
    if (!(err instanceof CertificateError || err instanceof PasswordError)) throw err;
    process.stderr.write(`tcp-chat: ${err.message}\n`);
    return 1;
  }
  let store: FileStore | undefined;
  if (a.data) {
    try {
      store = await FileStore.open(a.data, { retention: { ...DEFAULT_RETENTION, ...(a.retention !== undefined && { maxPerRoom: a.retention }) } });
    } catch (err) {
      process.stderr.write(`tcp-chat: ${err instanceof StoreError ? err.message : String(err)}\n`);
      return 1;
    }
    const r = store.recovery;
    log(`history: ${r.messages} messages in ${r.rooms} rooms from ${a.data} (${r.ms} ms${r.skipped ? `, ${r.skipped} unreadable lines skipped` : ''})`);
  }
  const server = new ChatServer({
    host: a.host,
    port: a.port,
    maxLine: a.maxLine,
    rate: a.rate,
    burst: a.burst,
    maxClients: a.maxClients,
    maxQueue: a.maxQueue,
    handshakeTimeout: a.handshakeTimeout,
    idleTimeout: a.idleTimeout,
    historyOnJoin: a.history,
    store,
    ...(material && { tls: { cert: material.cert, key: material.key } }),
    ...(password !== undefined && { password }),
  });
  server.onEvent((e) => {
    if (e.type === 'warn') return log(`warning: ${e.message}`);
    if (a.quiet) return;
    switch (e.type) {
      case 'online':
        return log(`+ ${e.name} connected from ${e.address}`);
      case 'offline':
        return log(`- ${e.name} left (${e.reason})`);
      case 'join':
        return log(`${e.name} joined #${e.room}`);
      case 'leave':
        return log(`${e.name} left #${e.room}`);
      case 'rename':
        return log(`${e.from} is now ${e.name}`);
      case 'closed':
        if (e.code !== 'bye') log(`closed ${e.address}: ${e.reason}`);
        return;
    }
  });
  let addr;
  try {
    addr = await server.listen();
  } catch (err) {
    process.stderr.write(`tcp-chat: ${err instanceof ListenError ? err.message : String(err)}\n`);
    await store?.close();
    return 1;
  }
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  log(`tcp-chat serving on ${shown}:${addr.port} (${server.secure ? 'TLS' : 'plain TCP'}, ${server.requiresPassword ? 'password required' : 'no password'})`);
  if (server.fingerprint) log(`TLS certificate SHA-256 fingerprint: ${server.fingerprint}`);
  const warning = exposureWarning(addr.address, { tls: server.secure, password: server.requiresPassword }, CLI_FIXES);
  if (warning) log(`warning: ${warning}`);
  const local = addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address === '::' ? '[::1]' : shown;
  if (server.secure || server.requiresPassword) {
    const flags = [server.fingerprint && `--fingerprint ${server.fingerprint}`, server.requiresPassword && '--password-file FILE'].filter(Boolean).join(' ');
    log(`try: tcp-chat connect ${local}:${addr.port} ${flags}`);
  } else {
    log(`try: nc ${local} ${addr.port}   then type {"type":"hello","v":1,"name":"you"}`);
  }
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (sig: string) => {
      if (stopping) return;
      stopping = true;
      log(`${sig}: closing ${server.connectionCount} connections`);
      server.close('server shutting down').then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

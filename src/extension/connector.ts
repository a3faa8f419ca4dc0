import * as vscode from 'vscode';
import { ConnectError } from '../engine/client/connectError';
import { nameProblem } from '../engine/protocol';
import { AddressError, formatHostPort, parseHostPorts, type Endpoint } from '../engine/address';
import type { ChatSession } from './chatSession';
import type { ServerHost } from './serverHost';
import type { ServerTrust } from './serverTrust';
import { askDisplayName, chooseDisplayName } from './displayName';
import { readSettings } from './settings';
import type { IdentityKeeper } from './identityKeeper';
import type { Identity } from '../engine/identity';

const RECENT_KEY = 'tcpChat.recentServers';
/** The server to rejoin when a window reloads with the chat open; cleared by Chat: Disconnect. */
const LAST_KEY = 'tcpChat.lastConnection';

/** Where to connect and as whom; anything left out is asked or worked out. */
export interface ConnectRequest {
  host?: string;
  port?: number;
  /** More nodes of the same cluster, tried in turn after host:port. */
  servers?: Endpoint[];
  name?: string;
  /** No error messages (a reconnect after a reload). */
  quiet?: boolean;
  /** The fingerprint an invite link carried: it must match, and then needs no trust prompt. */
  fingerprint?: string;
}

/** The server a reload should rejoin. */
export interface LastConnection {
  host: string;
  port: number;
  servers?: Endpoint[];
  name?: string;
}

/**
 * The Connect flow: pick a server, settle the name, then connect, finding
 * out on the way whether the server wants TLS (it says so) and a password
 * (it challenges), asking the person only what they must decide.
 */
export class Connector {
  constructor(
    private readonly state: vscode.Memento,
    private readonly session: ChatSession,
    private readonly host: ServerHost,
    private readonly trust: ServerTrust,
    private readonly log: vscode.LogOutputChannel,
    private readonly identities: IdentityKeeper,
  ) {}

  /** The connection a reload should pick up, if any. */
  get last(): LastConnection | undefined {
    return this.state.get<LastConnection>(LAST_KEY);
  }

  /** Connects and opens the chat beside the code; false when it did not connect (the user was told why). */
  async connect(req: ConnectRequest = {}): Promise<boolean> {
    const target = req.host !== undefined && req.port !== undefined ? { host: req.host, port: req.port, servers: req.servers ?? [] } : await this.pickServer();
    if (!target) return false;
    // Made on the first connect and kept in SecretStorage: the key that makes the name yours on the server.
    const identity = await this.identities.get();
    const name = req.name ?? (await this.resolveName(identity.id));
    if (name === undefined) return false;
    const why = nameProblem(name);
    if (why) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Chat: your display name "{0}" cannot be used: {1}. Change it with Chat: Set Display Name.', name, why));
      return false;
    }
    const ok = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Connecting to {0}:{1}…', target.host, target.port), cancellable: false }, () =>
      this.connectSecurely(target.host, target.port, name, identity, { ...req, servers: target.servers }),
    );
    if (!ok) return false;
    // A cluster is remembered as its list, the way it was typed.
    await this.remember([target, ...target.servers].map(formatHostPort).join(','));
    await this.state.update(LAST_KEY, { host: target.host, port: target.port, ...(target.servers.length > 0 && { servers: target.servers }), name: req.name } satisfies LastConnection);
    this.session.openPanel(true);
    return true;
  }

  /** Forget the connection to rejoin (Chat: Disconnect means: not after a reload either). */
  async forgetLast(): Promise<void> {
    await this.state.update(LAST_KEY, undefined);
  }

  /** The name from settings, git or the login; asks when the default is not allowed. Undefined: the user cancelled. */
  private async resolveName(identityId: string): Promise<string | undefined> {
    const choice = await chooseDisplayName(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath, identityId);
    if ('name' in choice) {
      this.log.info(`display name "${choice.name}" from ${choice.source}`);
      return choice.name;
    }
    this.log.info(`no usable default display name (refused: ${choice.refused.join(', ') || 'none found'}); asking`);
    return askDisplayName(choice.suggestion, choice.refused);
  }

  private async connectSecurely(h: string, port: number, name: string, identity: Identity, req: ConnectRequest): Promise<boolean> {
    const address = `${h}:${port}`;
    const trust = this.trust;
    const quiet = req.quiet === true;
    // A fingerprint from an invite says TLS, and which certificate to expect.
    let useTls = req.fingerprint !== undefined || trust.usesTls(address);
    let typed: string | undefined;
    for (let attempt = 0; attempt < 4; attempt++) {
      const stored = await trust.password(address);
      try {
        await this.session.connect(h, port, name, {
          identity,
          ...(req.servers?.length && { servers: req.servers }),
          tls: useTls ? { fingerprint: req.fingerprint ?? trust.pin(address), verify: (fp) => trust.askFirstUse(address, fp) } : undefined,
          password: async () => {
            if (typed !== undefined) return typed;
            if (stored !== undefined) return stored;
            typed = await vscode.window.showInputBox({
              title: vscode.l10n.t('Password for {0}', address),
              prompt: vscode.l10n.t('This server needs a password. It is kept in the system keychain, and never sent: only a proof of it is.'),
              password: true,
              ignoreFocusOut: true,
            });
            return typed;
          },
        });
        await trust.setUsesTls(address, useTls);
        // The invite's fingerprint matched the server: that is the pin now, no prompt needed.
        if (req.fingerprint) await trust.setPin(address, req.fingerprint);
        if (typed) await trust.setPassword(address, typed);
        return true;
      } catch (err) {
        const e = err as ConnectError;
        switch (e.code) {
          case 'tls_required':
            useTls = true;
            continue;
          case 'tls_unsupported':
            if (req.fingerprint) {
              void vscode.window.showErrorMessage(vscode.l10n.t('Chat: not connected to {0}: the invite promised TLS, but the server does not speak it. Ask whoever sent the link.', address));
              return false;
            }
            useTls = false;
            continue;
          case 'cert_changed':
            if (req.fingerprint) {
              // An invite names the one certificate to accept: a different one is blocked, with both shown.
              void vscode.window.showErrorMessage(vscode.l10n.t('The certificate of {0} does not match the invite. The connection was blocked.', address), {
                modal: true,
                detail: vscode.l10n.t('Someone may be intercepting the connection, or the link is out of date. Ask whoever sent it.\n\nFingerprint in the link:\n{0}\n\nPresented by the server:\n{1}', e.expected ?? req.fingerprint, e.fingerprint ?? '?'),
              });
              return false;
            }
            if (e.expected && e.fingerprint && (await trust.askChanged(address, e.expected, e.fingerprint))) continue;
            void vscode.window.showErrorMessage(vscode.l10n.t('Chat: not connected to {0}: its certificate changed and was not trusted.', address));
            return false;
          case 'cert_rejected':
            void vscode.window.showInformationMessage(vscode.l10n.t('Chat: not connected: you did not trust the certificate of {0}.', address));
            return false;
          case 'auth_failed':
            await trust.setPassword(address, undefined);
            void vscode.window.showErrorMessage(
              vscode.l10n.t('Chat: wrong password for {0}. Connect again to type it anew.', address) + (e.retryAfter ? ' ' + vscode.l10n.t('The server asks to wait {0} s.', Math.ceil(e.retryAfter / 1000)) : ''),
            );
            return false;
          case 'auth_required':
            if (typed === undefined) {
              void vscode.window.showErrorMessage(vscode.l10n.t('Chat: {0} needs a password; none was given.', address));
              return false;
            }
            continue;
          case 'handshake_timeout':
            // Typing the password took longer than the server waits; try again with what was typed.
            if (typed !== undefined) continue;
            break;
        }
        const text = e instanceof ConnectError ? e.message : String(e);
        if (quiet) this.log.info(`reconnect after reload: ${text}`);
        else void vscode.window.showErrorMessage(vscode.l10n.t('Chat: {0}', text));
        return false;
      }
    }
    void vscode.window.showErrorMessage(vscode.l10n.t('Chat: could not settle how to talk to {0}; see Chat: Show Log.', address));
    return false;
  }

  /** Ask for host:port (or a cluster's list, host1:port,host2:port), offering recent servers and the one this window hosts. */
  private async pickServer(): Promise<{ host: string; port: number; servers: Endpoint[] } | undefined> {
    const recent = this.state.get<string[]>(RECENT_KEY, []);
    const local = this.host.address ? `${connectHostFor(this.host.address.host)}:${this.host.address.port}` : undefined;
    const suggestions = [...new Set([...(local ? [local] : []), ...recent, `127.0.0.1:${readSettings().serverPort}`])];
    const qp = vscode.window.createQuickPick();
    qp.title = vscode.l10n.t('Chat: Connect');
    qp.placeholder = vscode.l10n.t('host:port of a TCP Chat server, e.g. 192.168.1.20:12345 (a cluster: host1:12345,host2:12345)');
    const base = suggestions.map((label) => ({ label, description: label === local ? vscode.l10n.t('this window’s server') : recent.includes(label) ? vscode.l10n.t('recent') : vscode.l10n.t('default') }));
    qp.items = base;
    qp.onDidChangeValue((v) => {
      qp.items = v && !suggestions.includes(v) ? [{ label: v, description: vscode.l10n.t('connect') }, ...base] : base;
    });
    const chosen = await new Promise<string | undefined>((resolve) => {
      qp.onDidAccept(() => {
        resolve(qp.selectedItems[0]?.label ?? qp.value);
        qp.hide();
      });
      qp.onDidHide(() => resolve(undefined));
      qp.show();
    });
    qp.dispose();
    if (!chosen) return undefined;
    // The terminal client reads addresses with the same helper, so both accept the same things.
    try {
      const [first, ...servers] = parseHostPorts(chosen);
      return { ...first, servers };
    } catch (err) {
      if (!(err instanceof AddressError)) throw err;
      void vscode.window.showErrorMessage(vscode.l10n.t('Chat: {0}', err.message));
      return undefined;
    }
  }

  private async remember(address: string): Promise<void> {
    const recent = this.state.get<string[]>(RECENT_KEY, []);
    await this.state.update(RECENT_KEY, [address, ...recent.filter((r) => r !== address)].slice(0, 8));
  }
}

/** Where to connect to reach a server bound to `h`. */
export function connectHostFor(h: string): string {
  return h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h;
}

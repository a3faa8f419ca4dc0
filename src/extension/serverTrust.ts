import * as vscode from 'vscode';
import { normalizeFingerprint } from '../engine/certificate';

const PINS_KEY = 'tcpChat.pins';
const TLS_KEY = 'tcpChat.tlsServers';
const PASSWORD_PREFIX = 'tcpChat.password:';
const SERVER_PASSWORD_KEY = 'tcpChat.serverPassword';

/**
 * What this editor trusts about the servers it talks to: certificate pins per
 * host:port (trust on first use, like SSH), which servers speak TLS, and the
 * passwords, which live only in SecretStorage, never in settings or logs.
 */
export class ServerTrust {
  constructor(
    private readonly state: vscode.Memento,
    private readonly secrets: vscode.SecretStorage,
  ) {}

  /** The pinned fingerprint for host:port, in the one canonical form (`normalizeFingerprint`, shared with the CLI's known_hosts). */
  pin(address: string): string | undefined {
    const stored = this.state.get<Record<string, string>>(PINS_KEY, {})[address];
    return stored === undefined ? undefined : normalizeFingerprint(stored);
  }

  async setPin(address: string, fingerprint: string): Promise<void> {
    const fp = normalizeFingerprint(fingerprint);
    if (!fp) throw new Error(vscode.l10n.t('"{0}" is not a SHA-256 fingerprint', fingerprint.slice(0, 100)));
    const pins = { ...this.state.get<Record<string, string>>(PINS_KEY, {}), [address]: fp };
    await this.state.update(PINS_KEY, pins);
  }

  usesTls(address: string): boolean {
    return this.state.get<string[]>(TLS_KEY, []).includes(address);
  }

  async setUsesTls(address: string, on: boolean): Promise<void> {
    const set = new Set(this.state.get<string[]>(TLS_KEY, []));
    if (on) set.add(address);
    else set.delete(address);
    await this.state.update(TLS_KEY, [...set]);
  }

  password(address: string): Thenable<string | undefined> {
    return this.secrets.get(PASSWORD_PREFIX + address);
  }

  async setPassword(address: string, password: string | undefined): Promise<void> {
    if (password === undefined) await this.secrets.delete(PASSWORD_PREFIX + address);
    else await this.secrets.store(PASSWORD_PREFIX + address, password);
  }

  /** The password this window's own server requires, if one was set with Chat: Set Server Password. */
  serverPassword(): Thenable<string | undefined> {
    return this.secrets.get(SERVER_PASSWORD_KEY);
  }

  async setServerPassword(password: string | undefined): Promise<void> {
    if (password) await this.secrets.store(SERVER_PASSWORD_KEY, password);
    else await this.secrets.delete(SERVER_PASSWORD_KEY);
  }

  /** First connection to a TLS server: show its fingerprint and ask, like SSH does. */
  async askFirstUse(address: string, fingerprint: string): Promise<boolean> {
    const trust = 'Trust and Connect';
    const pick = await vscode.window.showWarningMessage(
      `First connection to ${address}. Do you trust its certificate?`,
      {
        modal: true,
        detail: `SHA-256 fingerprint:\n${fingerprint}\n\nCompare it with the fingerprint the server shows (the status bar tooltip of the person hosting it, or the banner of tcp-chat serve). Once trusted, it is remembered for ${address}.`,
      },
      trust,
    );
    if (pick !== trust) return false;
    await this.setPin(address, fingerprint);
    return true;
  }

  /** The certificate changed since it was pinned: warn, and trust the new one only on an explicit choice. */
  async askChanged(address: string, pinned: string, presented: string): Promise<boolean> {
    const trust = 'Trust the New Certificate';
    const pick = await vscode.window.showErrorMessage(
      `The certificate of ${address} has CHANGED. The connection was blocked.`,
      {
        modal: true,
        detail: `Someone may be intercepting the connection, or the server made a new certificate (for example after its data folder was reset). Check with the person running it before trusting the new one.\n\nPinned:\n${pinned}\n\nPresented now:\n${presented}`,
      },
      trust,
    );
    if (pick !== trust) return false;
    await this.setPin(address, presented);
    return true;
  }
}

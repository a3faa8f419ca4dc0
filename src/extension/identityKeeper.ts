import type * as vscode from 'vscode';
import { generateIdentity, identityFromPem, IdentityError, type Identity } from '../engine/identity';

/** The SecretStorage key the identity key lives under (PKCS#8 PEM); never a setting, never a workspace file. */
export const IDENTITY_SECRET = 'tcpChat.identity';

/** The part of vscode.SecretStorage the keeper uses (so unit tests can hand it a Map). */
export type Secrets = Pick<vscode.SecretStorage, 'get' | 'store'>;

/**
 * This person's identity key (docs/security.md, "Identities"), kept in the
 * editor's SecretStorage (the system keychain), made on first use and the
 * same after every reload. Losing it loses every name it owns on every
 * server, so it is never replaced quietly: only Import replaces it, and an
 * unreadable one is reported, not overwritten.
 */
export class IdentityKeeper {
  private pending?: Promise<Identity>;

  constructor(private readonly secrets: Secrets) {}

  /** The identity, made and kept on the first call. Concurrent callers share one. Throws an IdentityError that says what to do. */
  get(): Promise<Identity> {
    this.pending ??= this.load().catch((err: unknown) => {
      this.pending = undefined;
      throw err;
    });
    return this.pending;
  }

  /** The identity when one is kept, without making one. */
  async peek(): Promise<Identity | undefined> {
    const pem = await this.secrets.get(IDENTITY_SECRET);
    return pem === undefined ? undefined : readKept(pem);
  }

  /** Keep `identity` instead of the one kept now (Import Identity). */
  async replace(identity: Identity): Promise<void> {
    await this.secrets.store(IDENTITY_SECRET, identity.toPem());
    this.pending = Promise.resolve(identity);
  }

  /** Another window changed the secret (an import there): read it again next time. */
  forget(): void {
    this.pending = undefined;
  }

  private async load(): Promise<Identity> {
    const kept = await this.peek();
    if (kept) return kept;
    const made = generateIdentity();
    await this.secrets.store(IDENTITY_SECRET, made.toPem());
    // Two windows making their first key at once: both read back whichever was stored last, and agree from then on.
    return (await this.peek()) ?? made;
  }
}

function readKept(pem: string): Identity {
  try {
    return identityFromPem(pem);
  } catch (err) {
    throw new IdentityError(`the identity key kept in the system keychain cannot be read (${(err as Error).message}). Import your exported identity with Chat: Import Identity…`);
  }
}

import { authProof, deriveKey, isHex, kdfProblem, passwordTag } from '../auth';
import type { ChallengeFrame } from '../protocol';
import { ConnectError } from './connectError';

/** Where the password comes from: a string, or a function that fetches it when a challenge arrives. */
export type PasswordSource = string | (() => string | undefined | Promise<string | undefined>);

/**
 * Answers a server's password challenge: HMAC-SHA256 keyed by
 * scrypt(password, salt), over the nonce. Only the proof leaves this class.
 * The derived key is kept, so reconnects to the same server skip the slow
 * derivation.
 */
export class PasswordProver {
  private cache?: { tag: string; key: Buffer };

  constructor(private readonly source: PasswordSource | undefined) {}

  /** The proof for `c`, or a ConnectError that says what is missing. `address` names the server in messages. */
  async prove(c: ChallengeFrame, address: string): Promise<string> {
    const bad = kdfProblem(c.kdf) ?? (isHex(c.nonce, 16, 64) && isHex(c.salt, 8, 64) ? undefined : 'the nonce and salt must be hex');
    if (bad || !c.kdf || !c.salt) throw new ConnectError(`the server at ${address} sent a password challenge this client will not answer: ${bad}`, 'bad_challenge');
    const source = this.source;
    const password = typeof source === 'function' ? await source() : source;
    if (password === undefined || password === '') throw new ConnectError(`the server at ${address} needs a password: set one and connect again`, 'auth_required');
    const kdf = { N: c.kdf.N, r: c.kdf.r, p: c.kdf.p, keylen: c.kdf.keylen };
    const tag = passwordTag(password, c.salt, kdf);
    let key = this.cache?.tag === tag ? this.cache.key : undefined;
    if (!key) {
      key = await deriveKey(password, Buffer.from(c.salt, 'hex'), kdf);
      this.cache = { tag, key };
    }
    return authProof(key, Buffer.from(c.nonce, 'hex'));
  }

  /** Drop the cached key: the server refused it, so the password may have changed. */
  forget(): void {
    this.cache = undefined;
  }
}

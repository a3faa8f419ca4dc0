import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { isIPv6 } from 'node:net';

/**
 * Password proof by challenge and response (docs/protocol.md, "Authentication").
 * The password never crosses the wire: the server sends a fresh nonce and a
 * salt, and the client answers with HMAC-SHA256(scrypt(password, salt), nonce).
 */

/** scrypt cost parameters, as carried in a challenge frame. */
export interface KdfParams {
  N: number;
  r: number;
  p: number;
  keylen: number;
}

/**
 * 64 MiB and about 0.2 s per derivation: slow enough to hurt an offline guesser
 * holding a captured challenge and proof, cheap enough for a client that derives
 * once per server start (the key is cached across reconnects).
 */
export const DEFAULT_KDF: Readonly<KdfParams> = { N: 2 ** 16, r: 8, p: 1, keylen: 32 };

/** Bytes of a challenge nonce; fresh for every challenge, so a proof cannot be replayed. */
export const NONCE_BYTES = 32;
/** Bytes of the salt; fresh for every server start. */
export const SALT_BYTES = 16;

// A client accepts no more than this from a server, so a hostile server cannot
// make it burn gigabytes of memory or minutes of CPU before the welcome.
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEM = 256 * 1024 * 1024;

/** Why a server's KDF parameters are refused by a client, or undefined when they are acceptable. */
export function kdfProblem(kdf: unknown): string | undefined {
  if (typeof kdf !== 'object' || kdf === null) return 'the challenge has no "kdf" object';
  const k = kdf as Record<string, unknown>;
  if (k.name !== 'scrypt') return `unknown key derivation "${String(k.name).slice(0, 20)}"`;
  const { N, r, p, keylen } = k;
  if (!Number.isSafeInteger(N) || (N as number) < 2 || (N as number) > MAX_N || ((N as number) & ((N as number) - 1)) !== 0) return `scrypt N must be a power of two up to ${MAX_N}`;
  if (!Number.isSafeInteger(r) || (r as number) < 1 || (r as number) > MAX_R) return `scrypt r must be 1 to ${MAX_R}`;
  if (!Number.isSafeInteger(p) || (p as number) < 1 || (p as number) > MAX_P) return `scrypt p must be 1 to ${MAX_P}`;
  if (!Number.isSafeInteger(keylen) || (keylen as number) < 16 || (keylen as number) > 64) return 'scrypt keylen must be 16 to 64';
  if (128 * (N as number) * (r as number) > MAX_MEM) return 'scrypt N and r would need more than 256 MiB';
  return undefined;
}

/** True for a non-empty even-length lowercase or uppercase hex string of at most `maxBytes` bytes. */
export function isHex(s: unknown, minBytes: number, maxBytes: number): s is string {
  return typeof s === 'string' && s.length % 2 === 0 && s.length >= minBytes * 2 && s.length <= maxBytes * 2 && /^[0-9a-fA-F]*$/.test(s);
}

/**
 * scrypt(password, salt) without blocking the event loop. The password is
 * NFC-normalized first so the same typed text gives the same key on every OS.
 */
export function deriveKey(password: string, salt: Buffer, kdf: KdfParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(Buffer.from(password.normalize('NFC'), 'utf8'), salt, kdf.keylen, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** hex(HMAC-SHA256(key, nonce)): what the client sends in its auth frame. */
export function authProof(key: Buffer, nonce: Buffer): string {
  return createHmac('sha256', key).update(nonce).digest('hex');
}

/** Constant-time check of a client's proof. Anything malformed is simply wrong. */
export function proofMatches(key: Buffer, nonce: Buffer, proof: string | undefined): boolean {
  if (!isHex(proof, 32, 32)) return false;
  const expected = createHmac('sha256', key).update(nonce).digest();
  return timingSafeEqual(expected, Buffer.from(proof, 'hex'));
}

/** A fresh random value, hex encoded. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** A short digest that tells cached keys apart without keeping the password as a map key. */
export function passwordTag(password: string, salt: string, kdf: KdfParams): string {
  return createHash('sha256').update(`${salt}|${kdf.N}|${kdf.r}|${kdf.p}|${kdf.keylen}|`).update(password.normalize('NFC'), 'utf8').digest('hex');
}

/** How wrong passwords are slowed down. */
export interface ThrottleOptions {
  /** Delay after the first wrong password, in ms; it doubles with each further one. Default 1000. */
  baseDelay?: number;
  /** Cap on the delay. Default 60000. */
  maxDelay?: number;
  /** Failures are forgotten after this many quiet ms. Default 600000. */
  forgiveAfter?: number;
  /** Addresses remembered at once; the stalest is forgotten first. Default 10000. */
  maxEntries?: number;
}

interface Record_ {
  failures: number;
  lockedUntil: number;
  lastFailure: number;
}

/**
 * Per-address backoff for wrong passwords. A failure locks the address for a
 * delay that doubles with each failure; while locked, proofs from that address
 * are refused without being checked, so opening many connections at once buys
 * an attacker no extra guesses. Other addresses are never affected: nothing
 * here blocks, the server answers later with a timer.
 */
export class AuthThrottle {
  private readonly base: number;
  private readonly max: number;
  private readonly forgive: number;
  private readonly maxEntries: number;
  private readonly byAddress = new Map<string, Record_>();

  constructor(opts: ThrottleOptions = {}) {
    this.base = opts.baseDelay ?? 1000;
    this.max = opts.maxDelay ?? 60_000;
    this.forgive = opts.forgiveAfter ?? 600_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
  }

  /** Milliseconds until `address` may try again; 0 when it may try now. */
  lockedFor(address: string, now = Date.now()): number {
    const r = this.byAddress.get(throttleKey(address));
    return r ? Math.max(0, r.lockedUntil - now) : 0;
  }

  /** Record a wrong password; returns how long to wait before answering (and the lock on the address). */
  fail(address: string, now = Date.now()): number {
    const key = throttleKey(address);
    let r = this.byAddress.get(key);
    if (r && now - r.lastFailure > this.forgive) r = undefined;
    if (!r) {
      if (this.byAddress.size >= this.maxEntries) this.evictOne();
      r = { failures: 0, lockedUntil: 0, lastFailure: now };
    }
    this.byAddress.delete(key); // re-insert so the Map's order is least recently failed first
    r.failures++;
    r.lastFailure = now;
    const delay = Math.min(this.max, this.base * 2 ** Math.min(r.failures - 1, 30));
    r.lockedUntil = now + delay;
    this.byAddress.set(key, r);
    return delay;
  }

  /** A right password forgives the address. */
  succeed(address: string): void {
    this.byAddress.delete(throttleKey(address));
  }

  /** Failures recorded for an address (for logs and tests). */
  failures(address: string): number {
    return this.byAddress.get(throttleKey(address))?.failures ?? 0;
  }

  /** Forget addresses quiet for longer than forgiveAfter. */
  sweep(now = Date.now()): void {
    for (const [k, r] of this.byAddress) if (now - r.lastFailure > this.forgive && now >= r.lockedUntil) this.byAddress.delete(k);
  }

  private evictOne(): void {
    const first = this.byAddress.keys().next();
    if (!first.done) this.byAddress.delete(first.value);
  }
}

/**
 * The unit that is throttled. IPv4-mapped IPv6 is the IPv4 address; other IPv6
 * addresses count by their /64, because one host usually holds a whole /64 and
 * could otherwise rotate addresses to dodge the backoff.
 */
export function throttleKey(address: string): string {
  const a = address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
  if (!isIPv6(a)) return a;
  const [head, tail = ''] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = a.includes('::') && tail ? tail.split(':') : [];
  const groups = a.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return groups
    .slice(0, 4)
    .map((g) => (parseInt(g, 16) || 0).toString(16))
    .join(':') + '::/64';
}

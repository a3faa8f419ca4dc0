import { randomBytes } from 'node:crypto';
import { AuthThrottle, DEFAULT_KDF, NONCE_BYTES, SALT_BYTES, deriveKey, kdfProblem, proofMatches, type KdfParams, type ThrottleOptions } from '../auth';
import { PROTOCOL_VERSION, nameProblem, type AuthFrame, type ErrorCode, type HelloFrame, type ServerFrame } from '../protocol';
import { ListenError } from './listener';
import type { Connection } from './connection';

/** What the handshake needs from the server. */
export interface HandshakeHost {
  send(conn: Connection, frame: ServerFrame): void;
  error(conn: Connection, code: ErrorCode, message: string, ref?: string): void;
  shut(conn: Connection, last: ServerFrame, code: ErrorCode, reason: string): void;
  /** The hello is accepted (and the password proven): give the connection its name and the welcome. */
  admit(conn: Connection, hello: HelloFrame): Promise<void>;
}

/** Password settings. */
export interface HandshakeOptions {
  password?: string;
  passwordKdf?: Partial<KdfParams>;
  authThrottle?: ThrottleOptions;
}

/**
 * From the first frame to admission: the hello's version and name, and the
 * password challenge (docs/security.md, "Password: challenge and response").
 */
export class Handshake {
  /** Kept only until prepare() has derived the key from it. */
  private password?: string;
  private authKey?: Buffer;
  // Fresh per start: a captured proof is useless against the next start, and no salt needs storing.
  private readonly salt = randomBytes(SALT_BYTES);
  private readonly kdf: KdfParams;
  readonly throttle: AuthThrottle;

  constructor(
    options: HandshakeOptions,
    private readonly host: HandshakeHost,
  ) {
    this.password = options.password;
    this.kdf = { ...DEFAULT_KDF, ...options.passwordKdf };
    this.throttle = new AuthThrottle(options.authThrottle);
  }

  /** True when clients must prove they know a password before the welcome. */
  get requiresPassword(): boolean {
    return this.password !== undefined || this.authKey !== undefined;
  }

  /** Settle the password before the port opens, so no client ever meets a half-configured server. */
  async prepare(): Promise<void> {
    if (this.password === undefined || this.authKey) return;
    if (this.password === '') throw new ListenError('the password is empty: give a non-empty password, or none', 'EPASSWORD');
    const bad = kdfProblem({ name: 'scrypt', ...this.kdf });
    if (bad) throw new ListenError(`bad password key settings: ${bad}`, 'EKDF');
    // Derived once per start; from here on only the key is kept, never the password.
    this.authKey = await deriveKey(this.password, this.salt, this.kdf);
    this.password = undefined;
  }

  /** A promise while admission waits (for a name lease, for history): the connection's next frame waits too. */
  hello(conn: Connection, f: HelloFrame): void | Promise<void> {
    if (conn.session.phase !== 'hello') return this.host.error(conn, 'already_ready', 'the handshake is already done');
    if (f.v !== PROTOCOL_VERSION) return this.host.error(conn, 'bad_version', `this server speaks protocol version ${PROTOCOL_VERSION}`);
    const why = nameProblem(f.name);
    if (why) return this.host.error(conn, 'bad_name', why);
    // The name is claimed only after the password: a stranger must not even push someone to "alice2".
    if (this.authKey) return this.challenge(conn, f);
    return this.host.admit(conn, f);
  }

  /** Ask for proof of the password: a fresh nonce per connection, the salt of this server start. */
  private challenge(conn: Connection, f: HelloFrame): void {
    const s = conn.session;
    s.phase = 'auth';
    s.hello = f;
    s.nonce = randomBytes(NONCE_BYTES);
    this.host.send(conn, { type: 'challenge', nonce: s.nonce.toString('hex'), salt: this.salt.toString('hex'), kdf: { name: 'scrypt', ...this.kdf } });
  }

  auth(conn: Connection, f: AuthFrame): void | Promise<void> {
    const s = conn.session;
    const { nonce, hello } = s;
    if (s.phase !== 'auth' || !nonce || !hello || !this.authKey) return this.host.error(conn, 'bad_frame', 'no challenge is pending');
    s.nonce = undefined; // one answer per challenge: another guess needs another connection
    const from = conn.socket.remoteAddress ?? conn.address;
    const locked = this.throttle.lockedFor(from);
    if (locked > 0) {
      // Not even checked while the address is locked, so parallel connections buy no extra guesses.
      const message = `too many wrong passwords from your address: try again in ${Math.ceil(locked / 1000)} s`;
      return this.host.shut(conn, { type: 'error', code: 'auth_failed', message, retryAfter: locked }, 'auth_failed', 'password not checked: address locked after wrong passwords');
    }
    if (proofMatches(this.authKey, nonce, f.proof)) {
      this.throttle.succeed(from);
      s.hello = undefined;
      return this.host.admit(conn, hello);
    }
    const delay = this.throttle.fail(from);
    const reason = `wrong password (${this.throttle.failures(from)} in a row from this address)`;
    // A timer, not a sleep: only this connection waits; everyone else is served meanwhile.
    s.authTimer = setTimeout(() => {
      s.authTimer = undefined;
      this.host.shut(conn, { type: 'error', code: 'auth_failed', message: 'wrong password' }, 'auth_failed', reason);
    }, delay);
    s.authTimer.unref();
  }

  /** Once a second: forget addresses whose wrong guesses are forgiven. */
  sweep(now: number): void {
    this.throttle.sweep(now);
  }
}

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthThrottle, DEFAULT_KDF, NONCE_BYTES, SALT_BYTES, deriveKey, kdfProblem, proofMatches, type KdfParams, type ThrottleOptions } from '../auth';
import { idOfCertificate, idOfPublicKey, publicKeyProblem, tlsBinding, verifyChallenge } from '../identity';
import { PROTOCOL_VERSION, nameProblem, type AuthFrame, type ChallengeFrame, type ErrorCode, type HelloFrame, type ServerFrame } from '../protocol';
import { ListenError } from './listener';
import { peerCertificate, type Connection } from './connection';

/** What the handshake needs from the server. */
export interface HandshakeHost {
  send(conn: Connection, frame: ServerFrame): void;
  error(conn: Connection, code: ErrorCode, message: string, ref?: string): void;
  shut(conn: Connection, last: ServerFrame, code: ErrorCode, reason: string): void;
  /**
   * The hello is accepted (the password and the key proven, when asked for):
   * give the connection its name and the welcome. `proven` is the identity id
   * of the key, undefined for a guest.
   */
  admit(conn: Connection, hello: HelloFrame, proven?: string): Promise<void>;
}

/** Password and identity settings. */
export interface HandshakeOptions {
  password?: string;
  passwordKdf?: Partial<KdfParams>;
  authThrottle?: ThrottleOptions;
  /** Turn away guests: a hello must carry a key. */
  requireIdentity?: boolean;
}

/**
 * From the first frame to admission: the hello's version, name and key, and
 * one challenge for whatever must be proven, the password, the key, or both
 * (docs/security.md, "Password: challenge and response" and "Identities"),
 * so a key costs one round trip at most, and none more with a password.
 */
export class Handshake {
  /** Kept only until prepare() has derived the key from it. */
  private password?: string;
  private authKey?: Buffer;
  // Fresh per start: a captured proof is useless against the next start, and no salt needs storing.
  private readonly salt = randomBytes(SALT_BYTES);
  private readonly kdf: KdfParams;
  readonly throttle: AuthThrottle;
  private readonly requireIdentity: boolean;

  constructor(
    options: HandshakeOptions,
    private readonly host: HandshakeHost,
  ) {
    this.password = options.password;
    this.kdf = { ...DEFAULT_KDF, ...options.passwordKdf };
    this.throttle = new AuthThrottle(options.authThrottle);
    this.requireIdentity = options.requireIdentity === true;
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
    const certified = certificateIdentity(conn);
    if (f.key !== undefined) {
      const bad = publicKeyProblem(f.key);
      if (bad) return this.host.error(conn, 'bad_frame', bad);
    } else if (this.requireIdentity && certified === undefined) {
      return this.host.error(
        conn,
        'identity_required',
        'this server admits only people with an identity key: connect with the editor extension or tcp-chat connect, which make one, and send its public key as hello.key (on IRC: SASL EXTERNAL with a TLS client certificate)',
      );
    }
    // The name is claimed only after the proofs: a stranger must not even push someone to "alice2".
    if (this.authKey || f.key !== undefined) return this.challenge(conn, f);
    return this.host.admit(conn, f, certified);
  }

  /** One challenge for everything to prove: a fresh nonce per connection; the salt of this server start when it has a password. */
  private challenge(conn: Connection, f: HelloFrame): void {
    const s = conn.session;
    s.phase = 'auth';
    s.hello = f;
    s.nonce = randomBytes(NONCE_BYTES);
    const c: ChallengeFrame = { type: 'challenge', nonce: s.nonce.toString('hex') };
    if (this.authKey) Object.assign(c, { salt: this.salt.toString('hex'), kdf: { name: 'scrypt', ...this.kdf } });
    if (f.key !== undefined) c.identity = true;
    this.host.send(conn, c);
  }

  auth(conn: Connection, f: AuthFrame): void | Promise<void> {
    const s = conn.session;
    const { nonce, hello } = s;
    if (s.phase !== 'auth' || !nonce || !hello) return this.host.error(conn, 'bad_frame', 'no challenge is pending');
    s.nonce = undefined; // one answer per challenge: another guess needs another connection
    const from = conn.socket.remoteAddress ?? conn.address;
    const locked = this.throttle.lockedFor(from);
    if (locked > 0) {
      // Not even checked while the address is locked, so parallel connections buy no extra guesses.
      const message = `too many wrong passwords or identity proofs from your address: try again in ${Math.ceil(locked / 1000)} s`;
      return this.host.shut(conn, { type: 'error', code: 'auth_failed', message, retryAfter: locked }, 'auth_failed', 'proof not checked: address locked after wrong proofs');
    }
    // The signature covers this TLS session's exporter value, so one relayed from another server's session fails here.
    const keyOk = hello.key === undefined || verifyChallenge(hello.key, nonce.toString('hex'), tlsBinding(conn.socket), f.signature);
    const passwordOk = this.authKey === undefined || proofMatches(this.authKey, nonce, f.proof);
    if (keyOk && passwordOk) {
      this.throttle.succeed(from);
      s.hello = undefined;
      return this.host.admit(conn, hello, hello.key === undefined ? certificateIdentity(conn) : idOfPublicKey(hello.key));
    }
    // Counted like a wrong password: a signature is as cheap to try.
    const delay = this.throttle.fail(from);
    const what = passwordOk ? 'the identity proof did not verify' : 'wrong password';
    const reason = `${what} (${this.throttle.failures(from)} wrong proofs in a row from this address)`;
    // A timer, not a sleep: only this connection waits; everyone else is served meanwhile.
    s.authTimer = setTimeout(() => {
      s.authTimer = undefined;
      this.host.shut(conn, { type: 'error', code: 'auth_failed', message: what }, 'auth_failed', reason);
    }, delay);
    s.authTimer.unref();
  }

  /**
   * Check a password a client sent in the clear (IRC's SASL PLAIN, which must
   * be answered before registration ends), with the same per-address backoff
   * as a wrong proof. Resolves once the answer may be given: a wrong password
   * is answered only after its delay. On success it resolves with the key, so
   * the codec can answer the challenge without deriving it again.
   */
  async verifyPassword(password: string, from: string): Promise<{ ok: true; key: Buffer } | { ok: false; message: string }> {
    const authKey = this.authKey;
    if (!authKey) return { ok: false, message: 'this server has no password' };
    const locked = this.throttle.lockedFor(from);
    if (locked > 0) return { ok: false, message: `too many wrong passwords from your address: try again in ${Math.ceil(locked / 1000)} s` };
    const key = await deriveKey(password, this.salt, this.kdf);
    if (key.length === authKey.length && timingSafeEqual(key, authKey)) {
      this.throttle.succeed(from);
      return { ok: true, key };
    }
    const delay = this.throttle.fail(from);
    await new Promise((r) => setTimeout(r, delay).unref());
    return { ok: false, message: 'wrong password' };
  }

  /** Once a second: forget addresses whose wrong guesses are forgiven. */
  sweep(now: number): void {
    this.throttle.sweep(now);
  }
}

/**
 * The identity of the TLS client certificate, when the connection's codec
 * asked for it (Session.byCertificate, IRC's SASL EXTERNAL). The TLS handshake
 * proved the client holds the certificate's key; the id is read from the
 * socket, so nothing a client writes can name another certificate.
 */
function certificateIdentity(conn: Connection): string | undefined {
  if (!conn.session.byCertificate) return undefined;
  const fingerprint = peerCertificate(conn.socket);
  return fingerprint === undefined ? undefined : idOfCertificate(fingerprint);
}

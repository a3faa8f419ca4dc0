import { formatHostPort, type Endpoint } from '../address';
import { normalizeFingerprint } from '../certificate';
import type { HelloFrame, ServerFrame, WelcomeFrame } from '../protocol';
import { answerChallenge } from './challengeAnswer';
import type { ClientState, ResolvedClientOptions } from './clientOptions';
import { ConnectError, FINAL_CONNECT_CODES } from './connectError';
import { Connection, type Ending } from './connection';
import { PasswordProver } from './passwordProver';
import { ServerRotation } from './serverRotation';

/** A connect() call waiting for the welcome. */
export interface PendingConnect {
  promise: Promise<WelcomeFrame>;
  resolve(w: WelcomeFrame): void;
  reject(e: Error): void;
}

/** What the dialer needs of the client it connects, and tells it. */
export interface DialerHooks {
  /** The client's state, which the dialer moves between connecting, reconnecting and closed. */
  state(): ClientState;
  setState(s: ClientState): void;
  /** The first frame of each attempt. */
  hello(): HelloFrame;
  /** A server welcomed an attempt. */
  welcomed(w: WelcomeFrame): void;
  /** A frame on the welcomed link. */
  frame(f: ServerFrame): void;
  /** The attempt or the link is gone: nothing can be written until the next welcome. */
  lost(): void;
  /** A welcomed link dropped; for the person, once. */
  dropped(why: string): void;
  /** A reconnect met an error that retrying cannot fix. */
  refused(error: ConnectError): void;
}

/**
 * The connection across attempts: a Connection per attempt, the servers of
 * the list in turn, reconnecting with backoff after a drop, the certificate
 * pinned for this server and the password prover, and connect()'s promise.
 * ChatClient owns what the link carries (rooms, messages, people); this
 * owns getting and keeping the link.
 */
export class Dialer {
  /** The servers this client may dial, and which one next. */
  private readonly rotation: ServerRotation;
  private readonly prover: PasswordProver;
  private conn?: Connection;
  /** connect()'s promise, settled by the welcome or by the attempt's failure. */
  private pending?: PendingConnect;
  private reconnectTimer?: NodeJS.Timeout;
  private everConnected = false;
  /** The fingerprint trusted for this server: the configured pin, or what verify() accepted. */
  private pinned?: string;
  private _fingerprint?: string;

  constructor(
    private readonly opts: ResolvedClientOptions,
    private readonly hooks: DialerHooks,
  ) {
    this.rotation = new ServerRotation([{ host: opts.host, port: opts.port }, ...(opts.servers ?? [])]);
    this.prover = new PasswordProver(opts.password);
    if (opts.tls?.fingerprint !== undefined) {
      this.pinned = normalizeFingerprint(opts.tls.fingerprint);
      if (!this.pinned) throw new ConnectError(`"${opts.tls.fingerprint.slice(0, 100)}" is not a SHA-256 fingerprint (64 hex digits, colons optional)`, 'bad_fingerprint');
    }
  }

  /** The current attempt or link, if any (welcomed when `ready`). */
  get connection(): Connection | undefined {
    return this.conn;
  }
  /** The server dialled last, as host:port. */
  get address(): string {
    return formatHostPort(this.rotation.endpoint);
  }
  /** Every server this client knows, in the order it tries them. */
  get servers(): readonly Endpoint[] {
    return this.rotation.endpoints;
  }
  /** SHA-256 fingerprint of the server's certificate on the latest TLS connection (colon hex). */
  get fingerprint(): string | undefined {
    return this._fingerprint;
  }

  /** Start connecting, or join the attempt under way; settles with the welcome or the attempt's failure. */
  connect(): Promise<WelcomeFrame> {
    if (this.pending) return this.pending.promise;
    let settle!: Omit<PendingConnect, 'promise'>;
    const promise = new Promise<WelcomeFrame>((resolve, reject) => (settle = { resolve, reject }));
    this.pending = { promise, ...settle };
    this.hooks.setState('connecting');
    clearTimeout(this.reconnectTimer);
    // A reconnect attempt already under way answers this call too.
    if (!this.conn) this.dial();
    return promise;
  }

  /** A welcome arrived: the backoff starts over. True when it is a reconnect (an earlier attempt was welcomed). */
  welcomed(): boolean {
    this.rotation.welcomed();
    const reconnecting = this.everConnected;
    this.everConnected = true;
    return reconnecting;
  }

  /** connect()'s waiting promise, for the client to settle at the right point of the welcome; taken once. */
  takePending(): PendingConnect | undefined {
    const pending = this.pending;
    this.pending = undefined;
    return pending;
  }

  /** Close the link and stop redialling (the client has set its state to closed first). */
  close(): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.conn?.close();
    this.conn = undefined;
  }

  private dial(): void {
    const conn: Connection = new Connection(
      {
        endpoint: this.rotation.endpoint,
        connectTimeout: this.opts.connectTimeout,
        pingInterval: this.opts.pingInterval,
        maxLine: this.opts.maxLine,
        tls: this.opts.tls && { pinned: this.pinned, verify: this.opts.tls.verify, servername: this.opts.tls.servername },
      },
      {
        hello: () => this.hooks.hello(),
        answer: (f) => (f.type === 'challenge' ? answerChallenge(f, { address: conn.address, prover: this.prover, identity: this.opts.identity, binding: conn.binding }) : undefined),
        presented: (fp) => (this._fingerprint = fp),
        trusted: (fp) => (this.pinned = fp),
        welcomed: (w) => this.hooks.welcomed(w),
        frame: (f) => this.hooks.frame(f),
        ended: (e) => this.onEnded(conn, e),
      },
    );
    this.conn = conn;
    this.rotation.dialling();
  }

  /** An attempt failed or a link closed: settle connect(), tell the person once, then reconnect or stop. */
  private onEnded(conn: Connection, e: Ending): void {
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.hooks.lost();
    if (e.redial) {
      this.rotation.again(); // the same server again, now pinned
      return this.dial();
    }
    const final = e.error !== undefined && FINAL_CONNECT_CODES.has(e.error.code ?? '');
    if (e.wasReady && this.hooks.state() !== 'closed') this.hooks.dropped(e.bye !== undefined ? `the server closed the connection: ${e.bye}` : `lost the connection to ${this.address}`);
    // Another server of the list may answer: each is tried at once, then the backoff applies.
    if (!final && this.hooks.state() !== 'closed' && (this.opts.reconnect || !this.everConnected) && this.rotation.next()) {
      if (this.everConnected) this.hooks.setState('reconnecting');
      return this.dial();
    }
    const pending = this.pending;
    this.pending = undefined;
    if (e.error) {
      if (e.error.code === 'auth_failed') this.prover.forget();
      pending?.reject(e.error);
    }
    if (this.hooks.state() === 'closed') return;
    if (final && e.error) {
      this.hooks.setState('closed');
      // Whoever called connect() has the error already; a reconnect tells through onRefused.
      if (!pending) this.hooks.refused(e.error);
      return;
    }
    if (!this.opts.reconnect || !this.everConnected) return this.hooks.setState('closed');
    this.hooks.setState('reconnecting');
    const delay = this.rotation.backoff(this.opts.minBackoff, this.opts.maxBackoff);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.hooks.state() === 'reconnecting' && !this.conn) this.dial();
    }, delay);
  }
}

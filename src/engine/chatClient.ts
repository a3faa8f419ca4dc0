import * as net from 'node:net';
import * as tls from 'node:tls';
import { createHash, randomUUID } from 'node:crypto';
import { LineDecoder, encodeFrame } from './lineCodec';
import { Emitter } from './events';
import { authProof, deriveKey, isHex, kdfProblem, passwordTag } from './auth';
import { normalizeFingerprint } from './certificate';
import {
  DEFAULT_ROOM,
  FILE_CHUNK_BYTES,
  PROTOCOL_VERSION,
  isDmKey,
  parseServerFrame,
  type ChallengeFrame,
  type ChatMessage,
  type ClientFrame,
  type ErrorFrame,
  type FileChunkEvent,
  type FileDoneEvent,
  type FileOfferEvent,
  type HistoryFrame,
  type JoinedFrame,
  type PresenceFrame,
  type SearchResultsFrame,
  type SendFrame,
  type ServerFrame,
  type Snippet,
  type TypingEvent,
  type UsersFrame,
  type WelcomeFrame,
} from './protocol';

/** How to reach a server and how to behave when the link drops. */
export interface ClientOptions {
  host: string;
  port: number;
  name: string;
  /** Milliseconds to establish the TCP connection and handshake. Default 10000. */
  connectTimeout?: number;
  /** Reconnect after an unexpected drop. Default true. */
  reconnect?: boolean;
  /** First reconnect delay in ms; it doubles up to maxBackoff, with jitter. Default 500. */
  minBackoff?: number;
  /** Cap on the reconnect delay. Default 30000. */
  maxBackoff?: number;
  /** Send a ping after this many quiet ms; a link silent for 2.5x this is considered dead. Default 30000. */
  pingInterval?: number;
  /** Milliseconds to wait for a history or search reply. Default 15000. */
  requestTimeout?: number;
  /** Longest line accepted from the server, in bytes. Default 64 MiB (see SERVER_MAX_LINE). */
  maxLine?: number;
  /** Speak TLS, trusting the server's certificate only by its pinned fingerprint (see ClientTlsOptions). */
  tls?: ClientTlsOptions;
  /**
   * The server's password, or a function that fetches it (e.g. from SecretStorage) when a challenge
   * arrives; it should answer quickly, as the server's handshake timeout runs meanwhile. Only a proof
   * derived from it is sent, never the password itself.
   */
  password?: string | (() => string | undefined | Promise<string | undefined>);
}

/**
 * How a TLS client decides to trust a server's certificate: by its SHA-256
 * fingerprint, pinned per host:port like SSH's known_hosts. Certificate
 * authorities are not consulted, so self-signed certificates work.
 */
export interface ClientTlsOptions {
  /** The fingerprint pinned for this host:port (any case, colons optional). A different certificate fails with code 'cert_changed'. */
  fingerprint?: string;
  /**
   * Trust on first use: called when nothing is pinned, before anything is sent. Show the fingerprint to a
   * person and resolve true to trust it; store the pin yourself. The client keeps it for its own
   * reconnects. Without this callback an unpinned certificate fails with code 'cert_unknown'.
   */
  verify?(fingerprint: string, host: string, port: number): boolean | Promise<boolean>;
  /** Name sent in SNI. Default: the host, unless it is an IP address. */
  servername?: string;
}

/**
 * Far above the 64 KiB a server accepts per line: a welcome or a history reply
 * carries a page of messages (up to 500, each up to a client line long), so a
 * client that capped server lines like the server caps its own could never
 * connect to a room holding a few long messages.
 */
const SERVER_MAX_LINE = 64 * 1024 * 1024;

/** Where the client stands. */
export type ClientState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** A message the server refused for good (not retried). */
export interface SendFailure {
  id: string;
  error: ErrorFrame;
}

/** Facts some ConnectErrors carry besides their message. */
export interface ConnectErrorDetail {
  /** cert_changed, cert_unknown, cert_rejected: the fingerprint the server presented. */
  fingerprint?: string;
  /** cert_changed: the fingerprint that was pinned. */
  expected?: string;
  /** auth_failed while the address is locked: ms until the server will check a password again. */
  retryAfter?: number;
}

/**
 * A connection failure described for a person. `code` is a socket error code
 * (ECONNREFUSED…), a server error code (bad_name…), or one of the security
 * codes: cert_changed, cert_unknown, cert_rejected, tls_required,
 * tls_unsupported, tls_failed, auth_required, auth_failed, bad_challenge,
 * and 'disconnected' when disconnect() ends an attempt.
 */
export class ConnectError extends Error {
  readonly fingerprint?: string;
  readonly expected?: string;
  readonly retryAfter?: number;
  constructor(
    message: string,
    readonly code?: string,
    detail: ConnectErrorDetail = {},
  ) {
    super(message);
    this.name = 'ConnectError';
    this.fingerprint = detail.fingerprint;
    this.expected = detail.expected;
    this.retryAfter = detail.retryAfter;
  }
}

/** ConnectError codes after which retrying with the same settings cannot help: the client stops reconnecting and fires onRefused. */
export const FINAL_CONNECT_CODES: ReadonlySet<string> = new Set([
  'cert_changed',
  'cert_unknown',
  'cert_rejected',
  'tls_required',
  'tls_unsupported',
  'auth_required',
  'auth_failed',
  'bad_challenge',
  'bad_version',
]);

/** Server error codes that end a handshake. */
const HANDSHAKE_ERRORS = new Set(['bad_name', 'bad_version', 'server_full', 'auth_failed', 'auth_required', 'handshake_timeout', 'tls_required']);
/** First bytes of TLS records (alert, handshake): a TLS server answering a plain client. */
const TLS_ALERT = 0x15;
const TLS_HANDSHAKE = 0x16;

interface RoomTrack {
  last?: number;
  pending: Map<number, ChatMessage>;
  fetching: boolean;
}

interface PendingRequest {
  resolve(f: ServerFrame): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Errors after which resending the same message can succeed. */
const RETRYABLE = new Set(['rate_limited', 'store_failed']);
/** Closing errors after which reconnecting would not help. */
const FINAL = new Set(['replaced', 'auth_failed', 'bad_version']);

/**
 * A chat client: handshake, reconnect with backoff and jitter, an outbox that
 * resends unacknowledged messages with their original ids, and per-room
 * sequence tracking that fills gaps from history. Messages reach `onMessage`
 * once each, in seq order per room.
 */
export class ChatClient {
  private readonly opts: Required<Omit<ClientOptions, 'tls' | 'password'>> & Pick<ClientOptions, 'tls' | 'password'>;
  private socket?: net.Socket;
  private _state: ClientState = 'idle';
  private _name: string;
  private session?: string;
  private readonly outbox = new Map<string, SendFrame>();
  private readonly tracks = new Map<string, RoomTrack>();
  private readonly joined = new Set<string>([DEFAULT_ROOM]);
  private readonly requests = new Map<string, PendingRequest>();
  private reqSeq = 0;
  private attempt = 0;
  private reconnectTimer?: NodeJS.Timeout;
  private pingTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private lastRx = 0;
  private everConnected = false;
  private _users: string[] = [];
  private _welcome?: WelcomeFrame;
  /** The server's history id from the last welcome. */
  private historyId?: string;
  /** The fingerprint trusted for this server: the configured pin, or what verify() accepted. */
  private pinned?: string;
  private _fingerprint?: string;
  /** The derived password key, so reconnects to the same server start skip the slow derivation. */
  private keyCache?: { tag: string; key: Buffer };

  private readonly stateE = new Emitter<ClientState>();
  private readonly welcomeE = new Emitter<WelcomeFrame>();
  private readonly messageE = new Emitter<ChatMessage>();
  private readonly presenceE = new Emitter<PresenceFrame>();
  private readonly typingE = new Emitter<TypingEvent>();
  private readonly joinedE = new Emitter<JoinedFrame>();
  private readonly leftE = new Emitter<string>();
  private readonly errorE = new Emitter<ErrorFrame>();
  private readonly failedE = new Emitter<SendFailure>();
  private readonly droppedE = new Emitter<string>();
  private readonly refusedE = new Emitter<ConnectError>();
  private readonly fileOfferE = new Emitter<FileOfferEvent>();
  private readonly fileChunkE = new Emitter<FileChunkEvent>();
  private readonly fileDoneE = new Emitter<FileDoneEvent>();
  private readonly fileWaits = new Map<string, { resolve(): void; reject(e: Error): void }>();

  /** The connection state changed. */
  readonly onState = this.stateE.event;
  /** A handshake completed (first connect and every reconnect). */
  readonly onWelcome = this.welcomeE.event;
  /** A new message, exactly once and in order per room (live, or caught up after a reconnect). */
  readonly onMessage = this.messageE.event;
  /** Someone came, went, joined, left or renamed. */
  readonly onPresence = this.presenceE.event;
  /** Someone is typing. */
  readonly onTyping = this.typingE.event;
  /** A room was joined; carries its members and recent history. */
  readonly onJoined = this.joinedE.event;
  /** A room was left. */
  readonly onLeft = this.leftE.event;
  /** The server reported a problem. */
  readonly onServerError = this.errorE.event;
  /** A message was refused for good and removed from the outbox. */
  readonly onSendFailed = this.failedE.event;
  /** The link dropped; the text says why, for a person. */
  readonly onDropped = this.droppedE.event;
  /**
   * A reconnect was refused for a reason retrying cannot fix (a changed certificate, a wrong
   * password…; see FINAL_CONNECT_CODES); the client is now closed. The first connect reports
   * the same through connect()'s rejection instead.
   */
  readonly onRefused = this.refusedE.event;
  /** Someone offers a file (chunks and a done event follow). */
  readonly onFileOffer = this.fileOfferE.event;
  /** A piece of an offered file. */
  readonly onFileChunk = this.fileChunkE.event;
  /** An offered file is complete. */
  readonly onFileDone = this.fileDoneE.event;

  constructor(options: ClientOptions) {
    this.opts = {
      connectTimeout: 10_000,
      reconnect: true,
      minBackoff: 500,
      maxBackoff: 30_000,
      pingInterval: 30_000,
      requestTimeout: 15_000,
      maxLine: SERVER_MAX_LINE,
      ...options,
    };
    this._name = options.name;
    if (options.tls?.fingerprint !== undefined) {
      this.pinned = normalizeFingerprint(options.tls.fingerprint);
      if (!this.pinned) throw new ConnectError(`"${options.tls.fingerprint.slice(0, 100)}" is not a SHA-256 fingerprint (64 hex digits, colons optional)`, 'bad_fingerprint');
    }
  }

  get state(): ClientState {
    return this._state;
  }
  /** The name the server assigned. */
  get name(): string {
    return this._name;
  }
  /** Everyone online at the last count. */
  get users(): readonly string[] {
    return this._users;
  }
  /** Rooms this client is in. */
  get rooms(): readonly string[] {
    return [...this.joined];
  }
  /** Messages sent but not yet acknowledged by the server. */
  get unacked(): number {
    return this.outbox.size;
  }
  /** The latest welcome. */
  get welcome(): WelcomeFrame | undefined {
    return this._welcome;
  }
  get address(): string {
    return `${this.opts.host}:${this.opts.port}`;
  }
  /** SHA-256 fingerprint of the server's certificate on the latest TLS connection (colon hex). */
  get fingerprint(): string | undefined {
    return this._fingerprint;
  }
  /** True when this client speaks TLS. */
  get secure(): boolean {
    return this.opts.tls !== undefined;
  }

  /** Connect and complete the handshake. Rejects with a ConnectError that says what to do. */
  connect(): Promise<WelcomeFrame> {
    if (this._state === 'connected' && this._welcome) return Promise.resolve(this._welcome);
    this.setState('connecting');
    return this.open();
  }

  /** Send a message to a room (default `general`) or to a person. Returns its id; it stays in the outbox until echoed. */
  send(text: string, target: { room?: string; to?: string; snippet?: Snippet } = {}): string {
    const id = randomUUID();
    const frame: SendFrame = { type: 'message', id, text };
    if (target.to !== undefined) frame.to = target.to;
    else frame.room = target.room ?? DEFAULT_ROOM;
    if (target.snippet) frame.snippet = target.snippet;
    this.outbox.set(id, frame);
    if (this._state === 'connected') this.write(frame);
    return id;
  }

  /**
   * Send a file to a room or a person: an offer, then chunks in order,
   * respecting the socket's backpressure. Resolves when the server has
   * relayed every chunk. A dropped connection fails the transfer (files are
   * not resent after a reconnect).
   */
  async sendFile(data: Buffer, name: string, target: { room?: string; to?: string } = {}, onProgress?: (sent: number) => void): Promise<string> {
    const socket = this.socket;
    if (this._state !== 'connected' || !socket) throw new ConnectError('not connected');
    const id = randomUUID();
    const sha256 = createHash('sha256').update(data).digest('hex');
    const done = new Promise<void>((resolve, reject) => this.fileWaits.set(id, { resolve, reject }));
    done.catch(() => undefined); // observed below; avoid an unhandled rejection while chunks are written
    const where = target.to !== undefined ? { to: target.to } : { room: target.room ?? DEFAULT_ROOM };
    this.write({ type: 'file_offer', id, ...where, name, size: data.length, sha256 });
    for (let i = 0, off = 0; off < data.length; i++, off += FILE_CHUNK_BYTES) {
      if (this.socket !== socket || socket.destroyed) break;
      const ok = socket.write(encodeFrame({ type: 'file_chunk', id, index: i, data: data.subarray(off, off + FILE_CHUNK_BYTES).toString('base64') }));
      onProgress?.(Math.min(data.length, off + FILE_CHUNK_BYTES));
      if (!ok) await new Promise<void>((r) => socket.once('drain', r).once('close', r));
    }
    await done;
    return id;
  }

  join(room: string): void {
    this.joined.add(room);
    if (this._state === 'connected') this.write({ type: 'join', room });
  }

  leave(room: string): void {
    this.joined.delete(room);
    if (this._state === 'connected') this.write({ type: 'leave', room });
  }

  typing(target: { room?: string; to?: string }): void {
    if (this._state === 'connected') this.write({ type: 'typing', ...target });
  }

  rename(name: string): void {
    if (this._state === 'connected') this.write({ type: 'nick', name });
  }

  /** A page of a room's history, oldest first. */
  async history(room: string, page: { before?: number; after?: number; limit?: number } = {}): Promise<HistoryFrame> {
    return (await this.request({ type: 'history', room, ...page })) as HistoryFrame;
  }

  /** Search stored history; newest first. */
  async search(query: string, opts: { room?: string; limit?: number } = {}): Promise<SearchResultsFrame> {
    return (await this.request({ type: 'search', query, ...opts })) as SearchResultsFrame;
  }

  /** Who is online now. */
  async who(): Promise<string[]> {
    const f = (await this.request({ type: 'who' })) as UsersFrame;
    this._users = f.users;
    return f.users;
  }

  /** Close on purpose: no reconnect. */
  disconnect(): void {
    this.setState('closed');
    this.clearTimers();
    this.socket?.end();
    const s = this.socket;
    setTimeout(() => s?.destroy(), 1000).unref();
    this.socket = undefined;
    this.failRequests(new ConnectError('disconnected'));
  }

  /** Release everything; the same as disconnect plus dropping listeners. */
  dispose(): void {
    this.disconnect();
    for (const e of [this.stateE, this.welcomeE, this.messageE, this.presenceE, this.typingE, this.joinedE, this.leftE, this.errorE, this.failedE, this.droppedE, this.refusedE, this.fileOfferE, this.fileChunkE, this.fileDoneE]) e.dispose();
  }

  // ------------------------------------------------------------ connection

  private open(): Promise<WelcomeFrame> {
    return new Promise((resolve, reject) => {
      const { host, port } = this.opts;
      const tlsOpts = this.opts.tls;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let tcpUp = false;
      let tlsUp = false;
      // Nothing is read from a TLS server until its certificate is trusted; early lines wait here.
      let trusted = !tlsOpts;
      let early: Buffer[] = [];
      let verifying = false;
      let closedWhileVerifying = false;
      let firstChunk = true;
      const fail = (err: ConnectError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (err.code === 'auth_failed') this.keyCache = undefined;
        reject(err);
        if (closedWhileVerifying && this.socket === socket) this.onClose();
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(
          () => fail(new ConnectError(`no answer from ${this.address} within ${this.opts.connectTimeout / 1000} s: check the host and port, and that a firewall lets it through`, 'ETIMEDOUT')),
          this.opts.connectTimeout,
        );
      };
      arm();
      const socket: net.Socket = tlsOpts
        ? tls.connect({
            host,
            port,
            servername: tlsOpts.servername ?? (net.isIP(host) ? undefined : host),
            // Certificate authorities are not consulted: the fingerprint pin below is the check.
            rejectUnauthorized: false,
            minVersion: 'TLSv1.2',
          })
        : net.connect({ host, port, noDelay: true });
      this.socket = socket;
      socket.setNoDelay(true);
      socket.setKeepAlive(true, 30_000);
      const decoder = new LineDecoder(
        {
          line: (text) => {
            const frame = parseServerFrame(text);
            if (!frame) return; // a server that sends junk is ignored line by line
            if (!settled && frame.type === 'welcome') {
              settled = true;
              clearTimeout(timer);
              this.onWelcomeFrame(frame);
              resolve(frame);
              return;
            }
            if (!settled && frame.type === 'challenge') {
              this.answerChallenge(frame).then(
                (proof) => {
                  if (!settled) this.write({ type: 'auth', proof });
                },
                (err: unknown) => fail(err instanceof ConnectError ? err : new ConnectError(`could not answer the password challenge of ${this.address}: ${(err as Error).message}`, 'bad_challenge')),
              );
              return;
            }
            if (!settled && frame.type === 'error' && HANDSHAKE_ERRORS.has(frame.code)) {
              fail(this.describeRefusal(frame));
              return;
            }
            this.onFrame(frame);
          },
          overflow: () => socket.destroy(new Error('the server sent a line longer than the limit')),
        },
        this.opts.maxLine,
      );
      const hello = () => {
        this.lastRx = Date.now();
        this.write({ type: 'hello', v: PROTOCOL_VERSION, name: this._name, ...(this.session && { session: this.session }) });
      };
      const trust = () => {
        trusted = true;
        const held = early;
        early = [];
        hello();
        for (const chunk of held) decoder.push(chunk);
      };
      socket.on('connect', () => {
        tcpUp = true;
        if (!tlsOpts) hello();
      });
      if (tlsOpts) {
        socket.on('secureConnect', () => {
          tlsUp = true;
          const fp = (socket as tls.TLSSocket).getPeerX509Certificate()?.fingerprint256;
          if (!fp) return fail(new ConnectError(`${this.address} presented no certificate`, 'cert_rejected'));
          this._fingerprint = fp;
          if (this.pinned !== undefined) {
            if (this.pinned === fp) return trust();
            return fail(
              new ConnectError(
                `the certificate of ${this.address} has CHANGED since you trusted it: pinned ${this.pinned}, now ${fp}. ` +
                  'Someone may be intercepting the connection, or the server made a new certificate. ' +
                  'Ask its operator for the fingerprint in the server banner; trust the new one only if it matches.',
                'cert_changed',
                { fingerprint: fp, expected: this.pinned },
              ),
            );
          }
          const verify = tlsOpts.verify;
          if (!verify) return fail(new ConnectError(`the certificate of ${this.address} is not pinned (SHA-256 ${fp}): pin it to connect`, 'cert_unknown', { fingerprint: fp }));
          // A person may be deciding: the connect timeout waits for them.
          clearTimeout(timer);
          verifying = true;
          Promise.resolve()
            .then(() => verify(fp, host, port))
            .then(
              (ok) => {
                verifying = false;
                if (settled) return;
                if (this._state === 'closed') return fail(new ConnectError('disconnected', 'disconnected'));
                if (!ok) return fail(new ConnectError(`you chose not to trust the certificate of ${this.address} (SHA-256 ${fp})`, 'cert_rejected', { fingerprint: fp }));
                this.pinned = fp;
                if (!closedWhileVerifying) {
                  arm();
                  return trust();
                }
                // The server stopped waiting while a person decided: connect again, now pinned.
                settled = true;
                this.open().then(resolve, reject);
              },
              (err: unknown) => {
                verifying = false;
                fail(new ConnectError(`could not check the certificate of ${this.address}: ${(err as Error).message}`, 'cert_rejected', { fingerprint: fp }));
              },
            );
        });
      }
      socket.on('data', (chunk: Buffer) => {
        this.lastRx = Date.now();
        if (firstChunk) {
          firstChunk = false;
          if (!tlsOpts && (chunk[0] === TLS_ALERT || chunk[0] === TLS_HANDSHAKE)) return fail(this.tlsMismatch(true));
        }
        if (!trusted) {
          early.push(chunk);
          return;
        }
        decoder.push(chunk);
      });
      socket.on('error', (err: NodeJS.ErrnoException) => {
        if (settled) return;
        if (tlsOpts && tcpUp && !tlsUp) return fail(this.tlsMismatch(false, err));
        fail(describeConnectError(err, this.address));
      });
      socket.on('close', () => {
        decoder.stop();
        if (verifying) {
          closedWhileVerifying = true;
          return; // settled when the person has decided
        }
        if (!settled) {
          if (tlsOpts && tcpUp && !tlsUp) fail(this.tlsMismatch(false));
          // Silence then a close is what a TLS server (not ours) does to a plain hello.
          else if (!tlsOpts && tcpUp && firstChunk) fail(new ConnectError(`${this.address} closed the connection without a word: is it a TCP Chat server, and does it expect TLS?`, 'ECONNRESET'));
          else fail(new ConnectError(`${this.address} closed the connection during the handshake`, 'ECONNRESET'));
        }
        if (this.socket === socket) this.onClose();
      });
    });
  }

  /** A plain client met TLS (`clientIsPlain`), or a TLS client met something that is not TLS. */
  private tlsMismatch(clientIsPlain: boolean, err?: NodeJS.ErrnoException): ConnectError {
    if (clientIsPlain) return new ConnectError(`the server at ${this.address} expects TLS: turn TLS on to connect to it`, 'tls_required');
    const notTls = err === undefined || err.code === 'ECONNRESET' || err.code === 'EPIPE' || /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|RECORD_LENGTH_MISMATCH|UNEXPECTED_EOF|socket disconnected/i.test(`${err.code} ${err.message}`);
    if (notTls) return new ConnectError(`the server at ${this.address} does not speak TLS: turn TLS off to connect to it, or check the port`, 'tls_unsupported');
    return new ConnectError(`the TLS handshake with ${this.address} failed: ${err.message}`, 'tls_failed');
  }

  /** A server's handshake error, told the way a person can act on it. */
  private describeRefusal(e: ErrorFrame): ConnectError {
    switch (e.code) {
      case 'tls_required':
        return this.tlsMismatch(true);
      case 'auth_failed':
        return new ConnectError(`the server at ${this.address} refused the password: ${e.message}`, e.code, { retryAfter: e.retryAfter });
      case 'auth_required':
        return new ConnectError(`the server at ${this.address} needs a password: set one and connect again`, e.code);
      default:
        return new ConnectError(`the server refused the connection: ${e.message}`, e.code);
    }
  }

  /** The proof for a password challenge: HMAC-SHA256 keyed by scrypt(password, salt), over the nonce. */
  private async answerChallenge(c: ChallengeFrame): Promise<string> {
    const bad = kdfProblem(c.kdf) ?? (isHex(c.nonce, 16, 64) && isHex(c.salt, 8, 64) ? undefined : 'the nonce and salt must be hex');
    if (bad) throw new ConnectError(`the server at ${this.address} sent a password challenge this client will not answer: ${bad}`, 'bad_challenge');
    const source = this.opts.password;
    const password = typeof source === 'function' ? await source() : source;
    if (password === undefined || password === '') throw new ConnectError(`the server at ${this.address} needs a password: set one and connect again`, 'auth_required');
    const kdf = { N: c.kdf.N, r: c.kdf.r, p: c.kdf.p, keylen: c.kdf.keylen };
    const tag = passwordTag(password, c.salt, kdf);
    let key = this.keyCache?.tag === tag ? this.keyCache.key : undefined;
    if (!key) {
      key = await deriveKey(password, Buffer.from(c.salt, 'hex'), kdf);
      this.keyCache = { tag, key };
    }
    return authProof(key, Buffer.from(c.nonce, 'hex'));
  }

  private onClose(): void {
    this.socket = undefined;
    this.clearTimers();
    this.failRequests(new ConnectError('the connection dropped'));
    if (this._state === 'closed') return;
    const wasConnected = this._state === 'connected';
    if (wasConnected) this.droppedE.fire(`lost the connection to ${this.address}`);
    if (!this.opts.reconnect || !this.everConnected) {
      this.setState('closed');
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    this.setState('reconnecting');
    const base = Math.min(this.opts.maxBackoff, this.opts.minBackoff * 2 ** this.attempt);
    const delay = Math.round(base / 2 + (Math.random() * base) / 2);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this._state !== 'reconnecting') return;
      this.open().catch((err: unknown) => {
        // onClose schedules the next attempt, unless retrying cannot help
        if (err instanceof ConnectError && FINAL_CONNECT_CODES.has(err.code ?? '')) {
          this.setState('closed');
          this.refusedE.fire(err);
        }
      });
    }, delay);
  }

  private onWelcomeFrame(w: WelcomeFrame): void {
    this._welcome = w;
    this._name = w.name;
    this.session = w.session;
    this._users = w.users;
    this.attempt = 0;
    const reconnecting = this.everConnected;
    this.everConnected = true;
    const previousHistory = this.historyId;
    this.historyId = w.server.history;
    this.setState('connected');
    this.startPing();
    const general = this.track(DEFAULT_ROOM);
    const generalSeq = w.rooms.find((r) => r.name === DEFAULT_ROOM)?.seq ?? 0;
    if (general.last === undefined) {
      general.last = generalSeq;
    } else if (reconnecting && ((w.server.history !== undefined && previousHistory !== undefined && w.server.history !== previousHistory) || generalSeq < general.last)) {
      // The server came back with a different history (no data directory, or a
      // new one) and numbers from 1 again: everything it holds is new to us, so
      // catch up from 0. The id catches this even when the new seqs already
      // passed the old ones; the seq check covers servers that send no id.
      for (const t of this.tracks.values()) {
        t.last = 0;
        t.pending.clear();
      }
    }
    this.welcomeE.fire(w);
    if (reconnecting) {
      for (const m of w.history) this.accept(m);
      const seq = w.rooms.find((r) => r.name === DEFAULT_ROOM)?.seq ?? 0;
      if (seq > (general.last ?? 0)) this.fetchGap(DEFAULT_ROOM);
      for (const room of this.joined) if (room !== DEFAULT_ROOM) this.write({ type: 'join', room });
      for (const [room, t] of this.tracks) if (isDmKey(room) && t.last !== undefined) this.fetchGap(room);
    } else {
      for (const room of this.joined) if (room !== DEFAULT_ROOM) this.write({ type: 'join', room });
    }
    // Resend whatever was not acknowledged; the server answers a known id with its original echo.
    for (const f of this.outbox.values()) this.write(f);
  }

  private onFrame(f: ServerFrame): void {
    switch (f.type) {
      case 'message':
        return this.accept(f);
      case 'presence':
        this.applyPresence(f);
        return this.presenceE.fire(f);
      case 'typing':
        return this.typingE.fire(f);
      case 'joined': {
        this.joined.add(f.room);
        const t = this.track(f.room);
        if (t.last === undefined) {
          t.last = f.seq;
        } else {
          for (const m of f.history) this.accept(m);
          if (f.seq > (t.last ?? 0)) this.fetchGap(f.room);
        }
        return this.joinedE.fire(f);
      }
      case 'left':
        this.joined.delete(f.room);
        return this.leftE.fire(f.room);
      case 'history':
      case 'search_results':
      case 'users':
        return this.settle(f);
      case 'error':
        return this.onError(f);
      case 'ping':
        return this.write(f.id === undefined ? { type: 'pong' } : { type: 'pong', id: f.id });
      case 'pong':
      case 'welcome':
      case 'challenge':
        return;
      case 'bye':
        this.droppedE.fire(`the server closed the connection: ${f.reason}`);
        return;
      case 'file_offer':
        if (f.sender !== this._name) this.fileOfferE.fire(f);
        return;
      case 'file_chunk':
        return this.fileChunkE.fire(f);
      case 'file_done': {
        const w = this.fileWaits.get(f.id);
        if (w && f.sender === this._name) {
          this.fileWaits.delete(f.id);
          w.resolve();
        } else this.fileDoneE.fire(f);
        return;
      }
      default:
        return;
    }
  }

  private onError(e: ErrorFrame): void {
    if (e.ref !== undefined) {
      const req = this.requests.get(e.ref);
      if (req) {
        this.requests.delete(e.ref);
        clearTimeout(req.timer);
        req.reject(new ConnectError(e.message, e.code));
        return;
      }
      const fw = this.fileWaits.get(e.ref);
      if (fw) {
        this.fileWaits.delete(e.ref);
        fw.reject(new ConnectError(e.message, e.code));
      }
      const out = this.outbox.get(e.ref);
      if (out) {
        if (RETRYABLE.has(e.code)) {
          this.scheduleRetry(e.retryAfter ?? 1000);
        } else {
          this.outbox.delete(e.ref);
          this.failedE.fire({ id: e.ref, error: e });
        }
      }
    }
    if (FINAL.has(e.code)) this.setState('closed');
    this.errorE.fire(e);
  }

  private scheduleRetry(ms: number): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        if (this._state === 'connected') for (const f of this.outbox.values()) this.write(f);
      },
      Math.max(50, ms),
    );
  }

  // ------------------------------------------------------------ ordering

  private track(room: string): RoomTrack {
    let t = this.tracks.get(room);
    if (!t) {
      t = { pending: new Map(), fetching: false };
      this.tracks.set(room, t);
    }
    return t;
  }

  /** Deliver a message once, in seq order; hold early arrivals and fetch what is missing. */
  private accept(m: ChatMessage): void {
    if (m.sender === this._name) this.outbox.delete(m.id);
    const t = this.track(m.room);
    if (t.last === undefined) t.last = m.seq - 1;
    if (m.seq <= t.last) return;
    if (m.seq === t.last + 1) {
      t.last = m.seq;
      this.messageE.fire(m);
      for (let next = t.pending.get(t.last + 1); next; next = t.pending.get(t.last + 1)) {
        t.pending.delete(next.seq);
        t.last = next.seq;
        this.messageE.fire(next);
      }
      return;
    }
    t.pending.set(m.seq, m);
    this.fetchGap(m.room);
  }

  private fetchGap(room: string): void {
    const t = this.track(room);
    if (t.fetching || this._state !== 'connected') return;
    t.fetching = true;
    this.history(room, { after: t.last ?? 0, limit: 500 })
      .then((page) => {
        t.fetching = false;
        for (const m of page.messages) this.accept(m);
        if (page.more || t.pending.size > 0) {
          if (page.messages.length > 0) this.fetchGap(room);
          else {
            // The server has nothing between: skip to what we hold.
            const first = Math.min(...t.pending.keys());
            t.last = first - 1;
            const m = t.pending.get(first);
            if (m) {
              t.pending.delete(first);
              this.accept(m);
            }
          }
        }
      })
      .catch(() => {
        t.fetching = false; // retried on the next reconnect
      });
  }

  private applyPresence(p: PresenceFrame): void {
    if (p.event === 'online' && !this._users.includes(p.name)) this._users = [...this._users, p.name];
    if (p.event === 'offline') this._users = this._users.filter((u) => u !== p.name);
    if (p.event === 'rename') {
      this._users = this._users.map((u) => (u === p.from ? p.name : u));
      if (p.from === this._name) this._name = p.name;
    }
  }

  // ------------------------------------------------------------ plumbing

  private request(frame: ClientFrame & { id?: string }): Promise<ServerFrame> {
    if (this._state !== 'connected') return Promise.reject(new ConnectError('not connected'));
    const id = `r${++this.reqSeq}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.requests.delete(id);
        reject(new ConnectError(`the server did not answer a ${frame.type} request within ${this.opts.requestTimeout / 1000} s`));
      }, this.opts.requestTimeout);
      this.requests.set(id, { resolve, reject, timer });
      this.write({ ...frame, id } as ClientFrame);
    });
  }

  private settle(f: HistoryFrame | SearchResultsFrame | UsersFrame): void {
    if (f.id === undefined) return;
    const req = this.requests.get(f.id);
    if (!req) return;
    this.requests.delete(f.id);
    clearTimeout(req.timer);
    req.resolve(f);
  }

  private failRequests(err: Error): void {
    for (const w of this.fileWaits.values()) w.reject(err);
    this.fileWaits.clear();
    for (const r of this.requests.values()) {
      clearTimeout(r.timer);
      r.reject(err);
    }
    this.requests.clear();
  }

  private write(frame: ClientFrame): void {
    this.socket?.write(encodeFrame(frame));
  }

  private startPing(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    const every = this.opts.pingInterval;
    this.pingTimer = setInterval(() => {
      const quiet = Date.now() - this.lastRx;
      if (quiet > every * 2.5) this.socket?.destroy();
      else if (quiet >= every) this.write({ type: 'ping' });
    }, every / 2);
    this.pingTimer.unref();
  }

  private clearTimers(): void {
    for (const t of [this.reconnectTimer, this.retryTimer]) if (t) clearTimeout(t);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.reconnectTimer = this.retryTimer = this.pingTimer = undefined;
  }

  private setState(s: ClientState): void {
    if (this._state === s) return;
    this._state = s;
    this.stateE.fire(s);
  }
}

/** Turns a socket error into a sentence that says what to do. */
export function describeConnectError(err: NodeJS.ErrnoException, address: string): ConnectError {
  switch (err.code) {
    case 'ECONNREFUSED':
      return new ConnectError(`nothing is listening at ${address}: start a server there (Chat: Start Server, or tcp-chat serve) or check the port`, err.code);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectError(`cannot find the host in ${address}: check its spelling`, err.code);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectError(`${address} cannot be reached from this machine: check the network`, err.code);
    case 'ECONNRESET':
      return new ConnectError(`${address} reset the connection: is it a TCP Chat server (and does it expect TLS)?`, err.code);
    default:
      return new ConnectError(`cannot connect to ${address}: ${err.message}`, err.code);
  }
}

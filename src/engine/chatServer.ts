import * as net from 'node:net';
import * as tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { LineDecoder, DEFAULT_MAX_LINE, encodeFrame } from './lineCodec';
import { TokenBucket } from './tokenBucket';
import { LocalBus, type Bus } from './bus';
import { MemoryStore, type Store } from './store';
import { Emitter } from './events';
import { AuthThrottle, DEFAULT_KDF, NONCE_BYTES, SALT_BYTES, deriveKey, kdfProblem, proofMatches, type KdfParams, type ThrottleOptions } from './auth';
import { fingerprintOf } from './certificate';
import {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_ROOM,
  MAX_TEXT_CHARS,
  PROTOCOL_VERSION,
  FILE_CHUNK_BYTES,
  dmKey,
  safeFileName,
  isDmKey,
  nameProblem,
  parseClientFrame,
  roomProblem,
  type ChatMessage,
  type AuthFrame,
  type ClientFrame,
  type ErrorCode,
  type RoomInfo,
  type FileChunkFrame,
  type FileOfferFrame,
  type HelloFrame,
  type SendFrame,
  type ServerFrame,
} from './protocol';
import { assertNever } from '../shared/assertNever';

export const SERVER_VERSION = '0.1.0';

/** Server settings; every field has a documented default (docs/protocol.md, "Limits"). */
export interface ServerOptions {
  host?: string;
  /** 0 picks a free port; `address()` reports it. */
  port?: number;
  /** Longest accepted line in bytes. Default 65536. */
  maxLine?: number;
  /** Connections at once. Default 10000. */
  maxClients?: number;
  /** Steady messages per second per connection; 0 turns the limit off. Default 10. */
  rate?: number;
  /** Messages allowed in a burst. Default 30. */
  burst?: number;
  /** Output bytes queued for one connection before it is cut as a slow reader. Default 8 MiB. */
  maxQueue?: number;
  /** Milliseconds to complete the handshake. Default 10000. */
  handshakeTimeout?: number;
  /** Milliseconds without a complete frame before a connection is closed. Default 90000; a ping goes out at half. */
  idleTimeout?: number;
  /** Messages of history in a welcome or join reply. Default 50. */
  historyOnJoin?: number;
  /** Largest file a client may offer, in bytes. Default 10 MiB. */
  maxFileSize?: number;
  /** Minimum milliseconds between relayed typing notices per sender and target. Default 2000. */
  typingInterval?: number;
  /**
   * Lines per second one connection may send, with bursts of twice that; past it
   * the server stops reading the socket until the budget refills, so a flood of
   * cheap frames (pings, junk) cannot starve everyone else. Default 200; 0 turns
   * it off, and so does `rate: 0`.
   */
  lineRate?: number;
  /** Serve TLS (1.2 or 1.3, 1.3 preferred) with this PEM certificate and key. Plain-TCP clients get a `tls_required` line. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Require this password before the welcome (challenge and response: it never crosses the wire). Empty is refused. */
  password?: string;
  /** scrypt cost of the password key. Default DEFAULT_KDF (N 65536, r 8, p 1, 32 bytes); tests lower N. */
  passwordKdf?: Partial<KdfParams>;
  /** Backoff for wrong passwords per address. Default: 1 s doubling to 60 s, forgiven after 10 quiet minutes or a right password. */
  authThrottle?: ThrottleOptions;
  store?: Store;
  bus?: Bus;
}

/** What a server reports to whoever runs it (the CLI logs these). */
export type ServerEvent =
  | { type: 'online'; name: string; address: string }
  | { type: 'offline'; name: string; reason: string }
  | { type: 'join'; name: string; room: string }
  | { type: 'leave'; name: string; room: string }
  | { type: 'rename'; from: string; name: string }
  | { type: 'closed'; address: string; code: ErrorCode | 'bye'; reason: string }
  | { type: 'warn'; message: string };

/** Thrown by listen() with a message that says what to do. */
export class ListenError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ListenError';
  }
}

type ConnState = 'hello' | 'auth' | 'ready' | 'closing';

/**
 * Room frames fanned out during one tick, shared by every member: the frames
 * are queued once per room rather than once per member, and joined into one
 * Buffer that every member's socket writes (no per-recipient copy).
 */
class Segment {
  readonly parts: Buffer[] = [];
  bytes = 0;
  /** Some holder got another frame after this one: later room frames must start a new segment to keep order. */
  broken = false;
  private joined?: Buffer;

  constructor(readonly tick: number) {}

  push(buf: Buffer): void {
    this.parts.push(buf);
    this.bytes += buf.length;
    this.joined = undefined;
  }

  buffer(): Buffer {
    return (this.joined ??= this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.bytes));
  }
}

/** One client connection. */
class Conn {
  state: ConnState = 'hello';
  name = '';
  session = '';
  readonly rooms = new Set<string>();
  /** Output queued this tick: its own frames, and room segments it shares with other members. */
  pending: (Buffer | Segment)[] = [];
  /** Bytes of its own frames in `pending` (segments are counted when flushed). */
  pendingBytes = 0;
  /** The room segment at the end of `pending`, if the last thing queued was one. */
  tailSeg?: Segment;
  dirty = false;
  /** Input budget in lines (see ServerOptions.lineRate), when it was last refilled, and lines read this turn. */
  lineTokens = 0;
  lineAt = performance.now();
  linesThisTurn = 0;
  lastFrame: number;
  pinged = false;
  readonly connectedAt: number;
  rejected = 0;
  rejectWindow = 0;
  typingAt = new Map<string, number>();
  /** Files this connection is sending, by transfer id. */
  readonly files = new Map<string, FileTransfer>();
  decoder!: LineDecoder;
  /** The hello held back while a password challenge is open. */
  hello?: HelloFrame;
  /** Nonce of the open challenge; cleared after one answer so a proof cannot be replayed or retried. */
  nonce?: Buffer;
  /** Set while the answer to a wrong password is held back; the handshake timeout must not pre-empt it. */
  authTimer?: NodeJS.Timeout;

  constructor(
    readonly socket: net.Socket,
    readonly bucket: TokenBucket,
    readonly address: string,
  ) {
    this.connectedAt = this.lastFrame = Date.now();
  }
}

/** A file being relayed: recipients are fixed when it is offered. */
interface FileTransfer {
  recipients: Conn[];
  size: number;
  received: number;
  next: number;
}

const SWEEP_MS = 1000;
/** Lines read from one connection before others get a turn (see chargeLine). */
const LINES_PER_TURN = 64;
/** First byte of a TLS handshake record (a ClientHello): how a TLS client is told from a plain one. */
const TLS_HANDSHAKE = 0x16;
/** Files one connection may be sending at once. */
const MAX_PARALLEL_FILES = 4;

/**
 * The chat server: names, rooms, direct messages, presence, typing, history
 * and search over newline-delimited JSON. Fan-out serializes each frame once
 * and gathers every socket's output for one write per event-loop tick.
 */
export class ChatServer {
  private readonly opts: Required<Omit<ServerOptions, 'store' | 'bus' | 'tls' | 'password' | 'passwordKdf' | 'authThrottle'>>;
  readonly store: Store;
  private readonly bus: Bus;
  private server?: net.Server;
  private readonly conns = new Set<Conn>();
  private readonly byName = new Map<string, Conn>();
  private readonly members = new Map<string, Set<Conn>>();
  private readonly unsubscribe = new Map<string, () => void>();
  private readonly dirty: Conn[] = [];
  private flushScheduled = false;
  /** Counts flushes; a room segment takes frames only during the tick it was opened in. */
  private tick = 0;
  /** The open segment of each room, by its member set. */
  private readonly segments = new WeakMap<Set<Conn>, Segment>();
  private sweepTimer?: NodeJS.Timeout;
  private readonly events = new Emitter<ServerEvent>();
  /** Log-worthy events: connections, joins, closes. */
  readonly onEvent = this.events.event;
  /** SHA-256 fingerprint of the TLS certificate (colon hex, what clients pin); undefined without TLS. */
  readonly fingerprint?: string;
  private secureContext?: tls.SecureContext;
  /** A bad certificate, key or KDF setting, reported by listen() rather than thrown by the constructor. */
  private configError?: ListenError;
  /** Kept only until listen() has derived the key from it. */
  private password?: string;
  private authKey?: Buffer;
  // Fresh per start: a captured proof is useless against the next start, and no salt needs storing.
  private readonly authSalt = randomBytes(SALT_BYTES);
  private readonly kdf: KdfParams;
  private readonly throttle: AuthThrottle;
  /** Sockets on a TLS port whose first byte has not arrived yet. */
  private readonly sniffing = new Set<net.Socket>();

  constructor(options: ServerOptions = {}) {
    this.opts = {
      host: options.host ?? DEFAULT_HOST,
      port: options.port ?? DEFAULT_PORT,
      maxLine: options.maxLine ?? DEFAULT_MAX_LINE,
      maxClients: options.maxClients ?? 10_000,
      rate: options.rate ?? 10,
      burst: options.burst ?? 30,
      maxQueue: options.maxQueue ?? 8 * 1024 * 1024,
      handshakeTimeout: options.handshakeTimeout ?? 10_000,
      idleTimeout: options.idleTimeout ?? 90_000,
      historyOnJoin: options.historyOnJoin ?? 50,
      typingInterval: options.typingInterval ?? 2000,
      lineRate: options.rate === 0 ? 0 : (options.lineRate ?? 200),
      maxFileSize: options.maxFileSize ?? 10 * 1024 * 1024,
    };
    this.store = options.store ?? new MemoryStore();
    this.bus = options.bus ?? new LocalBus();
    if (options.tls) {
      try {
        this.secureContext = tls.createSecureContext({ cert: options.tls.cert, key: options.tls.key, minVersion: 'TLSv1.2' });
        this.fingerprint = fingerprintOf(options.tls.cert);
      } catch (err) {
        this.configError = new ListenError(`the TLS certificate or key cannot be used: ${(err as Error).message}`, 'ETLSCONFIG');
      }
    }
    this.password = options.password;
    this.kdf = { ...DEFAULT_KDF, ...options.passwordKdf };
    this.throttle = new AuthThrottle(options.authThrottle);
  }

  /** True when clients must prove they know a password before the welcome. */
  get requiresPassword(): boolean {
    return this.password !== undefined || this.authKey !== undefined;
  }

  /** True when the server speaks TLS. */
  get secure(): boolean {
    return this.secureContext !== undefined;
  }

  /** Start listening. Resolves with the bound address; rejects with a ListenError that says what to do. */
  listen(): Promise<net.AddressInfo> {
    return this.prepare().then(() => this.bind());
  }

  /** Settle the TLS and password settings before the port opens, so no client ever meets a half-configured server. */
  private async prepare(): Promise<void> {
    if (this.configError) throw this.configError;
    if (this.password === undefined || this.authKey) return;
    if (this.password === '') throw new ListenError('the password is empty: give a non-empty password, or none', 'EPASSWORD');
    const bad = kdfProblem({ name: 'scrypt', ...this.kdf });
    if (bad) throw new ListenError(`bad password key settings: ${bad}`, 'EKDF');
    // Derived once per start; from here on only the key is kept, never the password.
    this.authKey = await deriveKey(this.password, this.authSalt, this.kdf);
    this.password = undefined;
  }

  private bind(): Promise<net.AddressInfo> {
    const server = net.createServer({ noDelay: true, keepAlive: true, keepAliveInitialDelay: 30_000 }, (s) => this.accept(s));
    this.server = server;
    server.maxConnections = this.opts.maxClients + 64; // above our own cap, which answers politely
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        this.server = undefined;
        reject(describeListenError(err, this.opts.host, this.opts.port));
      };
      server.once('error', onError);
      server.listen({ host: this.opts.host, port: this.opts.port, backlog: 4096 }, () => {
        server.off('error', onError);
        server.on('error', (err) => this.events.fire({ type: 'warn', message: `server error: ${err.message}` }));
        this.sweepTimer = setInterval(() => this.sweep(), SWEEP_MS);
        this.sweepTimer.unref();
        resolve(server.address() as net.AddressInfo);
      });
    });
  }

  /** The bound address, once listening. */
  address(): net.AddressInfo | undefined {
    return (this.server?.address() as net.AddressInfo | null) ?? undefined;
  }

  /** Names of everyone who completed the handshake. */
  users(): string[] {
    return [...this.byName.keys()];
  }

  /** Number of open sockets, handshake or not. */
  get connectionCount(): number {
    return this.conns.size;
  }

  /** Close every client with a reason, stop listening and release the store. */
  async close(reason = 'server shutting down'): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    for (const s of this.sniffing) s.destroy();
    this.sniffing.clear();
    for (const c of [...this.conns]) this.shut(c, { type: 'bye', reason }, 'bye', reason);
    this.flush();
    const deadline = Date.now() + 2000;
    while (this.conns.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const c of [...this.conns]) c.socket.destroy();
    await closed;
    for (const u of this.unsubscribe.values()) u();
    this.unsubscribe.clear();
    await this.store.close();
  }

  // ------------------------------------------------------------ connections

  private accept(socket: net.Socket): void {
    if (this.secureContext && !(socket instanceof tls.TLSSocket)) return this.sniff(socket);
    const address = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.conns.size >= this.opts.maxClients) {
      socket.on('error', () => undefined);
      socket.end(encodeFrame({ type: 'error', code: 'server_full', message: `the server is full (${this.opts.maxClients} connections); try again later` }));
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    const conn = new Conn(socket, new TokenBucket(this.opts.rate, this.opts.burst), address);
    conn.decoder = new LineDecoder(
      {
        line: (text) => {
          this.onLine(conn, text);
          this.chargeLine(conn);
        },
        overflow: (bytes) =>
          this.shut(conn, { type: 'error', code: 'frame_too_large', message: `a line of ${bytes} bytes or more exceeds the limit of ${this.opts.maxLine} bytes` }, 'frame_too_large', 'line too long'),
      },
      this.opts.maxLine,
    );
    this.conns.add(conn);
    if (!this.secureContext) {
      // Registered first, so it sees the first chunk before the decoder does; shut() stops the decoder.
      socket.once('data', (chunk: Buffer) => {
        if (chunk[0] === TLS_HANDSHAKE) {
          // A TLS client cannot read this line, but it fails its handshake at once instead of hanging.
          this.shut(conn, { type: 'error', code: 'tls_unexpected', message: 'this server does not speak TLS: connect with TLS turned off' }, 'tls_unexpected', 'a TLS client reached this plain server');
        }
      });
    }
    conn.lineTokens = this.opts.lineRate * 2;
    socket.on('data', (chunk: Buffer) => conn.decoder.push(chunk));
    socket.on('error', () => undefined); // 'close' follows and does the cleanup
    socket.on('close', () => this.drop(conn, 'connection closed'));
    socket.on('end', () => socket.end());
  }

  /**
   * On a TLS server, look at the first byte before choosing a protocol: a TLS
   * handshake record is handed to TLS on the same socket; anything else is a
   * plain-TCP client, which gets a plain line it can read instead of TLS noise.
   */
  private sniff(raw: net.Socket): void {
    const address = `${raw.remoteAddress}:${raw.remotePort}`;
    raw.on('error', () => undefined);
    if (this.sniffing.size + this.conns.size >= this.opts.maxClients + 64) {
      raw.destroy();
      return;
    }
    this.sniffing.add(raw);
    const timer = setTimeout(() => raw.destroy(), this.opts.handshakeTimeout);
    timer.unref();
    const forget = () => {
      clearTimeout(timer);
      this.sniffing.delete(raw);
    };
    raw.once('close', forget);
    raw.once('data', (chunk: Buffer) => {
      forget();
      raw.off('close', forget);
      raw.pause();
      if (chunk[0] !== TLS_HANDSHAKE) {
        this.events.fire({ type: 'closed', address, code: 'tls_required', reason: 'a plain-TCP client reached this TLS server' });
        raw.end(encodeFrame({ type: 'error', code: 'tls_required', message: 'this server requires TLS: connect with TLS turned on' }));
        setTimeout(() => raw.destroy(), 1000).unref();
        return;
      }
      raw.unshift(chunk); // TLSSocket reads what is already buffered before the handle
      const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: this.secureContext });
      let secured = false;
      secure.once('secure', () => (secured = true));
      secure.once('error', (err) => {
        if (!secured) this.events.fire({ type: 'warn', message: `TLS handshake with ${address} failed: ${err.message}` });
      });
      this.accept(secure);
    });
  }

  /**
   * Charge one line to the connection's input budget. When the budget is spent,
   * and briefly every LINES_PER_TURN lines, stop reading it (the kernel
   * buffers, then the sender blocks: backpressure, not a disconnect) so one
   * connection's flood of cheap frames cannot stall everyone else.
   */
  private chargeLine(conn: Conn): void {
    const rate = this.opts.lineRate;
    if (rate <= 0 || conn.state === 'closing') return;
    const now = performance.now();
    conn.lineTokens = Math.min(rate * 2, conn.lineTokens + ((now - conn.lineAt) / 1000) * rate) - 1;
    conn.lineAt = now;
    if (conn.lineTokens >= 0 && ++conn.linesThisTurn < LINES_PER_TURN) return;
    conn.decoder.pause();
    conn.socket.pause();
    const go = () => {
      conn.linesThisTurn = 0;
      if (conn.state === 'closing') return;
      conn.socket.resume();
      conn.decoder.resume();
    };
    if (conn.lineTokens >= 0) setImmediate(go);
    else setTimeout(go, Math.ceil((-conn.lineTokens / rate) * 1000)).unref();
  }

  private onLine(conn: Conn, text: string): void {
    if (conn.state === 'closing') return;
    conn.lastFrame = Date.now();
    conn.pinged = false;
    const parsed = parseClientFrame(text);
    if (!parsed.ok) return this.error(conn, parsed.code, parsed.message, parsed.ref);
    try {
      this.handle(conn, parsed.frame);
    } catch (err) {
      // A bug must not take the server down or leak a stack trace to the client.
      this.events.fire({ type: 'warn', message: `internal error handling ${parsed.frame.type}: ${(err as Error).stack ?? err}` });
      this.error(conn, 'bad_frame', 'the server could not handle that frame');
    }
  }

  private handle(conn: Conn, f: ClientFrame): void {
    if (f.type === 'ping') return this.send(conn, f.id === undefined ? { type: 'pong' } : { type: 'pong', id: f.id });
    if (f.type === 'pong') return;
    if (conn.state === 'hello' && f.type !== 'hello') return this.error(conn, 'not_ready', 'send {"type":"hello","v":1,"name":"..."} first', refOf(f));
    if (conn.state === 'auth' && f.type !== 'auth') return this.error(conn, 'not_ready', 'answer the challenge with an auth frame first', refOf(f));
    switch (f.type) {
      case 'hello':
        return this.onHello(conn, f);
      case 'auth':
        return this.onAuth(conn, f);
      case 'message':
        return this.onMessage(conn, f);
      case 'join':
        return this.onJoin(conn, f.room);
      case 'leave':
        return this.onLeave(conn, f.room);
      case 'typing':
        return this.onTyping(conn, f.room, f.to);
      case 'history': {
        if (!this.canSee(conn, f.room)) return this.error(conn, 'not_in_room', `join ${f.room} to read its history`, f.id);
        const limit = clamp(f.limit ?? 50, 0, 500);
        const page = this.store.history(f.room, { before: f.before, after: f.after, limit });
        return this.send(conn, { type: 'history', ...(f.id !== undefined && { id: f.id }), room: f.room, messages: page.messages, more: page.more });
      }
      case 'search': {
        if (f.room !== undefined && !this.canSee(conn, f.room)) return this.error(conn, 'not_in_room', `join ${f.room} to search it`, f.id);
        const limit = clamp(f.limit ?? 50, 0, 200);
        const only = f.room;
        const messages = this.store.search(f.query.slice(0, 200), (room) => (only === undefined || room === only) && this.canSee(conn, room), limit);
        return this.send(conn, { type: 'search_results', ...(f.id !== undefined && { id: f.id }), query: f.query, messages });
      }
      case 'nick':
        return this.onNick(conn, f.name);
      case 'who':
        return this.send(conn, { type: 'users', ...(f.id !== undefined && { id: f.id }), users: this.users() });
      case 'file_offer':
        return this.onFileOffer(conn, f);
      case 'file_chunk':
        return this.onFileChunk(conn, f);
      default:
        return assertNever(f);
    }
  }

  private onHello(conn: Conn, f: HelloFrame): void {
    if (conn.state !== 'hello') return this.error(conn, 'already_ready', 'the handshake is already done');
    if (f.v !== PROTOCOL_VERSION) return this.error(conn, 'bad_version', `this server speaks protocol version ${PROTOCOL_VERSION}`);
    const why = nameProblem(f.name);
    if (why) return this.error(conn, 'bad_name', why);
    // The name is claimed only after the password: a stranger must not even push someone to "alice2".
    if (this.authKey) return this.challenge(conn, f);
    this.admit(conn, f);
  }

  /** Ask for proof of the password: a fresh nonce per connection, the salt of this server start. */
  private challenge(conn: Conn, f: HelloFrame): void {
    conn.state = 'auth';
    conn.hello = f;
    conn.nonce = randomBytes(NONCE_BYTES);
    this.send(conn, { type: 'challenge', nonce: conn.nonce.toString('hex'), salt: this.authSalt.toString('hex'), kdf: { name: 'scrypt', ...this.kdf } });
  }

  private onAuth(conn: Conn, f: AuthFrame): void {
    const { nonce, hello } = conn;
    if (conn.state !== 'auth' || !nonce || !hello || !this.authKey) return this.error(conn, 'bad_frame', 'no challenge is pending');
    conn.nonce = undefined; // one answer per challenge: another guess needs another connection
    const host = conn.socket.remoteAddress ?? conn.address;
    const locked = this.throttle.lockedFor(host);
    if (locked > 0) {
      // Not even checked while the address is locked, so parallel connections buy no extra guesses.
      const message = `too many wrong passwords from your address: try again in ${Math.ceil(locked / 1000)} s`;
      return this.shut(conn, { type: 'error', code: 'auth_failed', message, retryAfter: locked }, 'auth_failed', 'password not checked: address locked after wrong passwords');
    }
    if (proofMatches(this.authKey, nonce, f.proof)) {
      this.throttle.succeed(host);
      conn.hello = undefined;
      return this.admit(conn, hello);
    }
    const delay = this.throttle.fail(host);
    const reason = `wrong password (${this.throttle.failures(host)} in a row from this address)`;
    // A timer, not a sleep: only this connection waits; everyone else is served meanwhile.
    conn.authTimer = setTimeout(() => {
      conn.authTimer = undefined;
      this.shut(conn, { type: 'error', code: 'auth_failed', message: 'wrong password' }, 'auth_failed', reason);
    }, delay);
    conn.authTimer.unref();
  }

  /** Take the name asked for in the hello and send the welcome. */
  private admit(conn: Conn, f: HelloFrame): void {
    let name = f.name;
    const holder = this.findName(name);
    if (holder && f.session !== undefined && holder.session === f.session) {
      // The same client reconnecting while its old socket lingers: the new one wins.
      this.shut(holder, { type: 'error', code: 'replaced', message: 'this session reconnected from elsewhere' }, 'replaced', 'replaced by a reconnect');
      this.drop(holder, 'replaced');
    } else if (holder) {
      name = this.freeName(name);
    }
    conn.name = name;
    conn.session = f.session && /^[A-Za-z0-9_-]{16,64}$/.test(f.session) ? f.session : randomBytes(16).toString('base64url');
    this.ready(conn);
  }

  private ready(conn: Conn): void {
    conn.state = 'ready';
    this.byName.set(conn.name, conn);
    this.addMember(conn, DEFAULT_ROOM);
    const history = this.store.history(DEFAULT_ROOM, { limit: this.opts.historyOnJoin }).messages;
    this.send(conn, {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      name: conn.name,
      session: conn.session,
      server: { version: SERVER_VERSION, history: this.store.id },
      room: DEFAULT_ROOM,
      rooms: this.roomList(),
      joined: [...conn.rooms],
      users: this.users(),
      history,
      limits: { maxLine: this.opts.maxLine, rate: this.opts.rate, burst: this.opts.burst },
    });
    this.broadcastAll({ type: 'presence', event: 'online', name: conn.name }, conn);
    this.broadcastRoom(DEFAULT_ROOM, { type: 'presence', event: 'join', name: conn.name, room: DEFAULT_ROOM }, conn);
    this.events.fire({ type: 'online', name: conn.name, address: conn.address });
  }

  private onMessage(conn: Conn, f: SendFrame): void {
    if (!conn.bucket.take()) {
      const now = Date.now();
      if (now - conn.rejectWindow > 10_000) {
        conn.rejectWindow = now;
        conn.rejected = 0;
      }
      if (++conn.rejected > Math.max(50, this.opts.burst * 2)) {
        return this.shut(conn, { type: 'error', code: 'flood', message: 'too many messages over the rate limit; disconnected' }, 'flood', 'flooding');
      }
      return this.send(conn, { type: 'error', code: 'rate_limited', message: `slow down: at most ${this.opts.rate} messages per second`, ref: f.id, retryAfter: conn.bucket.wait() });
    }
    if (f.text.length > MAX_TEXT_CHARS) return this.error(conn, 'too_long', `a message has at most ${MAX_TEXT_CHARS} characters`, f.id);
    const dup = this.store.findById(conn.name, f.id);
    if (dup) return this.sendEncoded(conn, encodeFrame(dup));
    let room: string;
    if (f.to !== undefined) {
      if (!this.byName.has(f.to)) return this.error(conn, 'no_such_user', `nobody called ${f.to} is online`, f.id);
      room = dmKey(conn.name, f.to);
    } else {
      room = f.room ?? DEFAULT_ROOM;
      if (!conn.rooms.has(room)) return this.error(conn, 'not_in_room', `join ${room} before writing to it`, f.id);
    }
    const msg: ChatMessage = {
      type: 'message',
      id: f.id,
      seq: this.store.lastSeq(room) + 1,
      room,
      sender: conn.name,
      text: f.text,
      ts: new Date().toISOString(),
      ...(f.to !== undefined && { to: f.to }),
      // Copy the known fields only: extra client fields would be stored and
      // echoed to everyone, and a deeply nested one breaks JSON.stringify for
      // every later welcome and history reply (found by the chaos fuzz test).
      ...(f.snippet !== undefined && {
        snippet: { lang: f.snippet.lang, file: f.snippet.file, startLine: f.snippet.startLine, endLine: f.snippet.endLine, code: f.snippet.code },
      }),
    };
    try {
      this.store.append(msg);
    } catch (err) {
      this.events.fire({ type: 'warn', message: (err as Error).message });
      return this.error(conn, 'store_failed', 'the server could not save your message; it was not delivered, try again later', f.id);
    }
    const frame = encodeFrame(msg);
    if (f.to !== undefined) {
      this.sendEncoded(conn, frame);
      const peer = this.byName.get(f.to);
      if (peer && peer !== conn) this.sendEncoded(peer, frame);
    } else {
      this.bus.publish(room, frame);
    }
  }

  private onFileOffer(conn: Conn, f: FileOfferFrame): void {
    // An offer costs a message token, so files cannot dodge the rate limit.
    if (!conn.bucket.take()) return this.send(conn, { type: 'error', code: 'rate_limited', message: `slow down: at most ${this.opts.rate} messages per second`, ref: f.id, retryAfter: conn.bucket.wait() });
    if (f.size > this.opts.maxFileSize) return this.error(conn, 'file_too_large', `files are limited to ${this.opts.maxFileSize} bytes on this server`, f.id);
    if (conn.files.has(f.id)) return this.error(conn, 'bad_file', 'a transfer with this id is already running', f.id);
    if (conn.files.size >= MAX_PARALLEL_FILES) return this.error(conn, 'bad_file', `at most ${MAX_PARALLEL_FILES} files at once`, f.id);
    let room: string;
    let recipients: Conn[];
    if (f.to !== undefined) {
      const peer = this.byName.get(f.to);
      if (!peer) return this.error(conn, 'no_such_user', `nobody called ${f.to} is online`, f.id);
      room = dmKey(conn.name, f.to);
      recipients = peer === conn ? [] : [peer];
    } else {
      room = f.room ?? DEFAULT_ROOM;
      if (!conn.rooms.has(room)) return this.error(conn, 'not_in_room', `join ${room} before sending files to it`, f.id);
      recipients = [...(this.members.get(room) ?? [])].filter((c) => c !== conn);
    }
    conn.files.set(f.id, { recipients, size: f.size, received: 0, next: 0 });
    const offer = encodeFrame({
      type: 'file_offer',
      id: f.id,
      sender: conn.name,
      room,
      ...(f.to !== undefined && { to: f.to }),
      name: safeFileName(f.name),
      size: f.size,
      sha256: f.sha256,
      ts: new Date().toISOString(),
    });
    this.sendEncoded(conn, offer);
    for (const c of recipients) this.sendEncoded(c, offer);
    if (f.size === 0) this.finishFile(conn, f.id);
  }

  private onFileChunk(conn: Conn, f: FileChunkFrame): void {
    const t = conn.files.get(f.id);
    if (!t) return this.error(conn, 'bad_file', 'no file with this id is being sent; send file_offer first', f.id);
    const bytes = Math.floor((f.data.length * 3) / 4) - (f.data.endsWith('==') ? 2 : f.data.endsWith('=') ? 1 : 0);
    if (f.index !== t.next || bytes > FILE_CHUNK_BYTES || t.received + bytes > t.size) {
      conn.files.delete(f.id);
      return this.error(conn, 'bad_file', 'chunks must come in order, at most 32768 bytes each, and add up to the offered size; transfer cancelled', f.id);
    }
    t.next++;
    t.received += bytes;
    const chunk = encodeFrame({ type: 'file_chunk', id: f.id, sender: conn.name, index: f.index, data: f.data });
    for (const c of t.recipients) this.sendEncoded(c, chunk);
    if (t.received === t.size) this.finishFile(conn, f.id);
  }

  private finishFile(conn: Conn, id: string): void {
    const t = conn.files.get(id);
    conn.files.delete(id);
    const done = encodeFrame({ type: 'file_done', id, sender: conn.name });
    this.sendEncoded(conn, done);
    for (const c of t?.recipients ?? []) this.sendEncoded(c, done);
  }

  private onJoin(conn: Conn, room: string): void {
    const why = roomProblem(room);
    if (why) return this.error(conn, 'bad_room', why);
    const fresh = !conn.rooms.has(room);
    if (fresh) this.addMember(conn, room);
    this.send(conn, {
      type: 'joined',
      room,
      members: [...(this.members.get(room) ?? [])].map((c) => c.name),
      seq: this.store.lastSeq(room),
      history: this.store.history(room, { limit: this.opts.historyOnJoin }).messages,
    });
    if (fresh) {
      this.broadcastRoom(room, { type: 'presence', event: 'join', name: conn.name, room }, conn);
      this.events.fire({ type: 'join', name: conn.name, room });
    }
  }

  private onLeave(conn: Conn, room: string): void {
    if (!conn.rooms.has(room)) return this.error(conn, 'not_in_room', `you are not in ${room}`);
    this.removeMember(conn, room);
    this.send(conn, { type: 'left', room });
    this.broadcastRoom(room, { type: 'presence', event: 'leave', name: conn.name, room });
    this.events.fire({ type: 'leave', name: conn.name, room });
  }

  private onTyping(conn: Conn, room: string | undefined, to: string | undefined): void {
    const target = to !== undefined ? '@' + to : (room ?? DEFAULT_ROOM);
    const now = Date.now();
    if (now - (conn.typingAt.get(target) ?? 0) < this.opts.typingInterval) return; // relayed at most once per interval
    if (to !== undefined) {
      const peer = this.byName.get(to);
      if (!peer) return this.error(conn, 'no_such_user', `nobody called ${to} is online`);
      conn.typingAt.set(target, now);
      return this.send(peer, { type: 'typing', name: conn.name, to });
    }
    if (!conn.rooms.has(target)) return this.error(conn, 'not_in_room', `you are not in ${target}`);
    conn.typingAt.set(target, now);
    this.broadcastRoom(target, { type: 'typing', name: conn.name, room: target }, conn);
  }

  private onNick(conn: Conn, name: string): void {
    const why = nameProblem(name);
    if (why) return this.error(conn, 'bad_name', why);
    if (name === conn.name) return;
    const holder = this.findName(name);
    if (holder && holder !== conn) return this.error(conn, 'bad_name', `${name} is taken`);
    const from = conn.name;
    this.byName.delete(from);
    conn.name = name;
    this.byName.set(name, conn);
    this.broadcastAll({ type: 'presence', event: 'rename', name, from });
    this.events.fire({ type: 'rename', from, name });
  }

  /** Forget a connection that closed. */
  private drop(conn: Conn, reason: string): void {
    if (!this.conns.delete(conn)) return;
    conn.decoder.stop();
    conn.pending = [];
    conn.pendingBytes = 0;
    const wasReady = conn.name !== '' && this.byName.get(conn.name) === conn;
    for (const room of [...conn.rooms]) {
      this.removeMember(conn, room);
      if (wasReady) this.broadcastRoom(room, { type: 'presence', event: 'leave', name: conn.name, room });
    }
    if (wasReady) {
      this.byName.delete(conn.name);
      this.broadcastAll({ type: 'presence', event: 'offline', name: conn.name });
      this.events.fire({ type: 'offline', name: conn.name, reason });
    }
    conn.state = 'closing';
  }

  /** Send a last frame and close. Reading stops at once; writes get a moment to drain. */
  private shut(conn: Conn, last: ServerFrame, code: ErrorCode | 'bye', reason: string): void {
    if (conn.state === 'closing') return;
    conn.state = 'closing';
    conn.decoder.stop();
    this.events.fire({ type: 'closed', address: conn.address, code, reason });
    const queued = this.takePending(conn);
    const out = queued ? Buffer.concat([queued, encodeFrame(last)]) : encodeFrame(last);
    const s = conn.socket;
    if (code === 'slow_reader') {
      // It is not reading, so waiting for a drain would only hold memory.
      s.write(out);
      s.destroy();
    } else {
      s.end(out);
      setTimeout(() => s.destroy(), 2000).unref();
    }
    this.drop(conn, reason); // a no-op when 'close' already dropped it
  }

  // ------------------------------------------------------------ rooms

  private addMember(conn: Conn, room: string): void {
    conn.rooms.add(room);
    let set = this.members.get(room);
    if (!set) {
      set = new Set();
      this.members.set(room, set);
      const members = set;
      this.unsubscribe.set(
        room,
        this.bus.subscribe(room, (frame) => this.fanOut(members, frame)),
      );
    }
    set.add(conn);
    this.segments.delete(set); // a new member must not receive what was queued before it joined
  }

  private removeMember(conn: Conn, room: string): void {
    conn.rooms.delete(room);
    const set = this.members.get(room);
    if (!set) return;
    set.delete(conn);
    this.segments.delete(set);
    if (set.size === 0) {
      this.members.delete(room);
      this.unsubscribe.get(room)?.();
      this.unsubscribe.delete(room);
    }
  }

  private roomList(): RoomInfo[] {
    // Counts, not member lists: with everyone in `general`, names would repeat
    // `users` and make each welcome twice as large on a busy server.
    const names = new Set<string>([DEFAULT_ROOM, ...this.members.keys(), ...this.store.rooms()]);
    return [...names]
      .filter((r) => !isDmKey(r))
      .sort()
      .map((name) => ({ name, count: this.members.get(name)?.size ?? 0, seq: this.store.lastSeq(name) }));
  }


  private canSee(conn: Conn, room: string): boolean {
    if (isDmKey(room)) return room.slice(1).split(',').includes(conn.name);
    return conn.rooms.has(room);
  }

  private findName(name: string): Conn | undefined {
    const exact = this.byName.get(name);
    if (exact) return exact;
    const lower = name.toLowerCase();
    for (const [n, c] of this.byName) if (n.toLowerCase() === lower) return c;
    return undefined;
  }

  private freeName(name: string): string {
    for (let i = 2; ; i++) {
      const suffix = String(i);
      const candidate = [...name].slice(0, 32 - suffix.length).join('') + suffix;
      if (!this.findName(candidate)) return candidate;
    }
  }

  // ------------------------------------------------------------ output

  private error(conn: Conn, code: ErrorCode, message: string, ref?: string): void {
    this.send(conn, { type: 'error', code, message, ...(ref !== undefined && { ref }) });
  }

  private send(conn: Conn, frame: ServerFrame): void {
    this.sendEncoded(conn, encodeFrame(frame));
  }

  private broadcastRoom(room: string, frame: ServerFrame, except?: Conn): void {
    const set = this.members.get(room);
    if (!set) return;
    const buf = encodeFrame(frame);
    for (const c of set) if (c !== except) this.sendEncoded(c, buf);
  }

  private broadcastAll(frame: ServerFrame, except?: Conn): void {
    const buf = encodeFrame(frame);
    for (const c of this.byName.values()) if (c !== except) this.sendEncoded(c, buf);
  }

  /**
   * A room frame to every member. While every member's queue still ends with
   * this tick's segment of the room, the frame is appended to that segment
   * once: O(1) per message instead of O(members).
   */
  private fanOut(members: Set<Conn>, frame: Buffer): void {
    let seg = this.segments.get(members);
    if (seg && seg.tick === this.tick && !seg.broken) {
      seg.push(frame);
      return;
    }
    seg = new Segment(this.tick);
    seg.push(frame);
    this.segments.set(members, seg);
    for (const c of members) {
      if (c.state === 'closing') continue;
      if (c.tailSeg) c.tailSeg.broken = true;
      c.tailSeg = seg;
      c.pending.push(seg);
      if (c.pendingBytes + c.socket.writableLength > this.opts.maxQueue) {
        this.slowReader(c);
        continue;
      }
      this.markDirty(c);
    }
  }

  /** Queue bytes for a connection; they are written once per tick with everything else it gets. */
  private sendEncoded(conn: Conn, buf: Buffer): void {
    if (conn.state === 'closing') return;
    if (conn.tailSeg) {
      conn.tailSeg.broken = true;
      conn.tailSeg = undefined;
    }
    conn.pending.push(buf);
    conn.pendingBytes += buf.length;
    if (conn.pendingBytes + conn.socket.writableLength > this.opts.maxQueue) {
      return this.slowReader(conn);
    }
    this.markDirty(conn);
  }

  private markDirty(conn: Conn): void {
    if (conn.dirty) return;
    conn.dirty = true;
    this.dirty.push(conn);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Everything queued for a connection as one Buffer (shared segments are joined once, not per member). */
  private takePending(conn: Conn): Buffer | undefined {
    const p = conn.pending;
    conn.pending = [];
    conn.pendingBytes = 0;
    conn.tailSeg = undefined;
    if (p.length === 0) return undefined;
    if (p.length === 1) return p[0] instanceof Segment ? p[0].buffer() : p[0];
    return Buffer.concat(p.map((x) => (x instanceof Segment ? x.buffer() : x)));
  }

  private slowReader(conn: Conn): void {
    conn.pending = [];
    conn.pendingBytes = 0;
    conn.tailSeg = undefined;
    this.shut(conn, { type: 'error', code: 'slow_reader', message: `disconnected: more than ${this.opts.maxQueue} bytes of output were waiting for you to read` }, 'slow_reader', 'slow reader');
  }

  private flush(): void {
    this.flushScheduled = false;
    this.tick++; // segments queued so far are closed: new room frames open new ones
    const list = this.dirty.splice(0);
    for (const conn of list) {
      conn.dirty = false;
      if (conn.state === 'closing' && !this.conns.has(conn)) continue;
      const out = this.takePending(conn);
      if (!out) continue;
      conn.socket.write(out);
      if (conn.socket.writableLength > this.opts.maxQueue) this.slowReader(conn);
    }
  }

  /** Handshake and idle timeouts, checked once a second for all connections. */
  private sweep(): void {
    const now = Date.now();
    this.throttle.sweep(now);
    for (const c of this.conns) {
      if (c.state === 'closing') continue;
      if (c.state !== 'ready') {
        if (now - c.connectedAt > this.opts.handshakeTimeout && !c.authTimer) {
          this.shut(c, { type: 'error', code: 'handshake_timeout', message: `no hello within ${this.opts.handshakeTimeout} ms` }, 'handshake_timeout', 'handshake timeout');
        }
        continue;
      }
      const quiet = now - c.lastFrame;
      if (quiet > this.opts.idleTimeout) {
        this.shut(c, { type: 'error', code: 'idle_timeout', message: `nothing received for ${Math.round(quiet / 1000)} s` }, 'idle_timeout', 'idle');
      } else if (quiet > this.opts.idleTimeout / 2 && !c.pinged) {
        c.pinged = true;
        this.send(c, { type: 'ping' });
      }
    }
  }
}

function refOf(f: ClientFrame): string | undefined {
  return 'id' in f && typeof f.id === 'string' ? f.id : undefined;
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}


/** Turns a listen failure into a sentence that says what to do. */
export function describeListenError(err: NodeJS.ErrnoException, host: string, port: number): ListenError {
  switch (err.code) {
    case 'EADDRINUSE':
      return new ListenError(`port ${port} is already in use: pick another port or stop the program using it`, err.code);
    case 'EACCES':
      return new ListenError(`not allowed to listen on port ${port}: ports below 1024 need privileges; pick a port above 1024`, err.code);
    case 'EADDRNOTAVAIL':
      return new ListenError(`cannot listen on ${host}: this machine has no such address; use 127.0.0.1, 0.0.0.0 or one of its own addresses`, err.code);
    case 'ENOTFOUND':
      return new ListenError(`cannot resolve host ${host}: check the bind host`, err.code);
    default:
      return new ListenError(`cannot listen on ${host}:${port}: ${err.message}`, err.code);
  }
}

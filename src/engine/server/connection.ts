import type * as net from 'node:net';
import type * as tls from 'node:tls';
import { isLoopback } from '../exposure';
import { TokenBucket } from '../tokenBucket';
import type { ClientFrame, ErrorCode, HelloFrame, Person } from '../protocol';
import type { Codec, CodecSink, WireProtocol } from './codec';
import type { Segment } from './outputQueue';

/** Where a session stands in the handshake. */
export type Phase = 'hello' | 'auth' | 'ready';

/**
 * The chat side of a connection: who it is, where it is, what it may still
 * send. Nothing here touches the socket.
 */
export class Session {
  phase: Phase = 'hello';
  name = '';
  /** The secret that lets a reconnect take this name back (see `hello.session`). */
  token = '';
  /**
   * Who this is, set at admission: `ed25519:…` once the hello's key is
   * proven, else a guest id derived from the session token (identity.ts).
   * DM keys, DM delivery and de-duplication go by it, never by the name.
   */
  id = '';
  /** Proved no key: may use only names nobody has claimed. */
  guest = true;
  /**
   * Set by a codec before its hello: the client asked to be known by its TLS
   * client certificate (IRC's SASL EXTERNAL). The handshake then admits it as
   * `cert:<sha256>` of the certificate the socket itself presents, never of
   * anything the client wrote.
   */
  byCertificate = false;
  /** This session's identity topic is subscribed (see BusRouter.watchPerson); unsubscribed once when it departs. */
  watching = false;
  readonly rooms = new Set<string>();
  /** When a typing notice was last relayed, per target; made at the first notice (most connections never type). */
  typingAt?: Map<string, number>;
  /** Refusals over the rate limit in the current 10-second window (past a cap: `flood`). */
  rejected = 0;
  rejectWindow = 0;
  /** The hello held back while a challenge (password, identity key, or both) is open. */
  hello?: HelloFrame;
  /** Nonce of the open challenge; cleared after one answer so a proof cannot be replayed or retried. */
  nonce?: Buffer;
  /** Set while the answer to a wrong proof is held back; the handshake timeout must not pre-empt it. */
  authTimer?: NodeJS.Timeout;

  /** @param bucket the message rate limit (messages, file offers, searches, history pages) */
  constructor(readonly bucket: TokenBucket) {}

  get ready(): boolean {
    return this.phase === 'ready';
  }

  /**
   * Who writes this session's messages, as the Store de-duplicates them and
   * messages carry it: the identity, so a resend after a reconnect under
   * another name is still recognised.
   */
  get author(): string {
    return this.id;
  }

  /** This session as the people lists show it. */
  get person(): Person {
    return this.guest ? { name: this.name, id: this.id, guest: true } : { name: this.name, id: this.id };
  }
}

/** An input unit the codec could not accept; it is answered in order with the frames around it. */
export class Rejection {
  constructor(
    readonly code: ErrorCode,
    readonly message: string,
    readonly ref: string | undefined,
  ) {}
}

/** An input unit its codec handles itself (see CodecSink.command). */
export class CodecCommand {
  constructor(readonly run: Parameters<CodecSink['command']>[0]) {}
}

/** One unit of a connection's input, in arrival order. */
export type Input = ClientFrame | Rejection | CodecCommand;

/** What a connection reports to the server. */
export interface ConnectionHandlers {
  /**
   * Handle one unit of input. A handler that must wait (for the store, for a
   * bus lease) returns a promise, which must not reject; the connection
   * handles its next unit only after it settles.
   */
  input(conn: Connection, unit: Input): void | Promise<void>;
  /** Bytes the codec answers by itself. */
  reply(conn: Connection, bytes: Buffer): void;
  /** The codec's shared-frame variant changed. */
  variantChanged(conn: Connection): void;
  /** A line grew past the limit; reading has stopped. */
  overflow(conn: Connection, bytes: number): void;
  /** The client asked to leave (its codec's close()). */
  quit(conn: Connection, reason: string): void;
  /** The socket closed (for whatever reason). */
  closed(conn: Connection): void;
}

/** Lines read from one connection before others get a turn (see charge()). */
const LINES_PER_TURN = 64;
let serial = 0;
/** Input units waiting behind an unfinished one before reading stops. */
const MAX_BACKLOG = 32;
/** Why reading is stopped: bits, so each reason is lifted on its own. */
const PACING = 1;
const BACKLOG = 2;

/**
 * The socket side of a connection: reading with backpressure, the output
 * queued for it this tick, and its liveness. The person behind it is `session`.
 */
export class Connection implements CodecSink {
  /** Set once the server decided to close it; nothing more is read or queued. */
  closing = false;
  /** Unique among this server's connections; bus events name their sender's connection by it. */
  readonly id: number;
  readonly session: Session;
  readonly connectedAt: number;
  /** When the last complete frame arrived, and whether a ping is out since. */
  lastFrame: number;
  pinged = false;

  /** Output queued this tick: its own frames, and room segments it shares with other members (see OutputQueue); none between ticks. */
  pending?: (Buffer | Segment)[];
  /** Bytes of its own frames in `pending` (segments are counted when flushed). */
  pendingBytes = 0;
  /** The room segment at the end of `pending`, if the last thing queued was one. */
  tailSeg?: Segment;
  /** On the output queue's dirty list. */
  dirty = false;

  /** Bytes to frames and frames to bytes, in this connection's wire protocol. */
  readonly codec: Codec;
  /** The name of that protocol (`json`, `irc`). */
  readonly protocol: string;
  /** True when the socket is TLS. */
  readonly secure: boolean;
  /** Units that arrived while an earlier one was still being handled, oldest first; made when one has to wait. */
  private backlog?: Input[];
  private busy = false;
  /** Reasons reading is stopped (PACING, BACKLOG); reading resumes when none is left. */
  private held = 0;
  /** Input budget in lines (see ServerOptions.lineRate). */
  private readonly lines: TokenBucket;
  /** lineRate 0 turns input pacing off, the turn-taking included. */
  private readonly paced: boolean;
  private linesThisTurn = 0;

  constructor(
    readonly socket: net.Socket,
    readonly address: string,
    protocol: WireProtocol,
    limits: { maxLine: number; lineRate: number; rate: number; burst: number },
    private readonly handlers: ConnectionHandlers,
  ) {
    this.id = ++serial;
    this.connectedAt = this.lastFrame = Date.now();
    this.session = new Session(new TokenBucket(limits.rate, limits.burst));
    this.lines = new TokenBucket(limits.lineRate, limits.lineRate * 2);
    this.paced = limits.lineRate > 0;
    this.protocol = protocol.name;
    this.secure = (socket as tls.TLSSocket).encrypted === true;
    // The connection is its codec's sink, and the socket's listeners are shared
    // functions that find it on the socket: no closures per connection beyond
    // the codec's certificate lookup (docs/performance.md, "What a connection costs").
    this.codec = protocol.open(this, {
      maxLine: limits.maxLine,
      session: this.session,
      address,
      secure: this.secure,
      loopback: isLoopback(socket.remoteAddress ?? ''),
      clientCertificate: () => peerCertificate(socket),
    });
    (socket as OwnedSocket)[OWNER] = this;
    socket.on('data', onData);
    socket.on('error', ignore); // 'close' follows and does the cleanup
    socket.on('close', onClose);
    socket.on('end', onEnd);
  }

  // ---- CodecSink: what the codec reports

  frame(f: ClientFrame): void {
    this.receive(f);
  }

  reject(code: ErrorCode, message: string, ref?: string): void {
    this.receive(new Rejection(code, message, ref));
  }

  reply(bytes: Buffer): void {
    this.handlers.reply(this, bytes);
  }

  variantChanged(): void {
    this.handlers.variantChanged(this);
  }

  overflow(bytes: number): void {
    this.handlers.overflow(this, bytes);
  }

  command(run: (handle: (f: ClientFrame) => void | Promise<void>) => void | Promise<void>): void {
    this.receive(new CodecCommand(run));
  }

  /** The client asked to end the connection (IRC's QUIT). */
  close(reason: string): void {
    this.handlers.quit(this, reason);
  }

  /** The socket closed. */
  closed(): void {
    this.handlers.closed(this);
  }

  /** Stop reading for good (the connection is closing). */
  stopReading(): void {
    this.codec.stop();
  }

  /**
   * One unit of input, in order: handled at once unless an earlier one is
   * still in progress; then it waits, and past MAX_BACKLOG waiting units
   * reading stops (backpressure) until they are handled.
   */
  private receive(unit: Input): void {
    if (this.closing) return;
    this.lastFrame = Date.now();
    this.pinged = false;
    if (this.busy) {
      (this.backlog ??= []).push(unit);
      if (this.backlog.length >= MAX_BACKLOG) this.hold(BACKLOG);
    } else {
      this.run(unit);
    }
    this.charge();
  }

  private run(unit: Input): void {
    const pending = this.handlers.input(this, unit);
    if (!pending) return;
    this.busy = true;
    void pending.then(() => this.next());
  }

  /** The unit in progress is done: handle the waiting ones, in order, until one has to wait again. */
  private next(): void {
    this.busy = false;
    const backlog = this.backlog;
    while (!this.busy && backlog && backlog.length > 0 && !this.closing) this.run(backlog.shift()!);
    if (this.busy) return;
    this.backlog = undefined;
    this.release(BACKLOG);
  }

  private hold(reason: number): void {
    if (this.held === 0) {
      this.codec.pause();
      this.socket.pause();
    }
    this.held |= reason;
  }

  private release(reason: number): void {
    if ((this.held & reason) === 0) return;
    this.held &= ~reason;
    if (this.held !== 0 || this.closing) return;
    this.socket.resume();
    this.codec.resume();
  }

  /**
   * Charge one line to the input budget. When the budget is spent, and briefly
   * every LINES_PER_TURN lines, stop reading (the kernel buffers, then the
   * sender blocks: backpressure, not a disconnect) so one connection's flood
   * of cheap frames cannot stall everyone else.
   */
  private charge(): void {
    if (this.closing || !this.paced) return;
    const within = this.lines.charge();
    if (within && ++this.linesThisTurn < LINES_PER_TURN) return;
    if (this.held & PACING) return; // a pause is already timed
    this.hold(PACING);
    const go = () => {
      this.linesThisTurn = 0;
      this.release(PACING);
    };
    if (within) setImmediate(go);
    else setTimeout(go, this.lines.wait(0)).unref(); // until the debt is paid
  }
}

/** Where a socket's listeners find their connection. */
const OWNER = Symbol('connection');
type OwnedSocket = net.Socket & { [OWNER]: Connection };

// Shared by every socket: Node calls a listener with the socket as `this`.
function onData(this: OwnedSocket, chunk: Buffer): void {
  this[OWNER].codec.push(chunk);
}
function onClose(this: OwnedSocket): void {
  this[OWNER].closed();
}
function onEnd(this: net.Socket): void {
  this.end();
}
function ignore(): void {}

/** The SHA-256 fingerprint of a TLS client's certificate, if it sent one. */
/** SHA-256 fingerprint (colon hex) of the TLS client certificate a socket presented, or undefined. */
export function peerCertificate(socket: net.Socket): string | undefined {
  const s = socket as Partial<tls.TLSSocket>;
  if (typeof s.getPeerCertificate !== 'function' || !s.encrypted) return undefined;
  const cert = s.getPeerCertificate();
  return cert && typeof cert.fingerprint256 === 'string' && cert.fingerprint256 !== '' ? cert.fingerprint256 : undefined;
}

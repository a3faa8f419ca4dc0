import type { ClientFrame, ErrorCode, ErrorFrame, ServerFrame } from '../protocol';
import type { Session } from './connection';
import type { ServerView } from './serverView';

/**
 * The codec seam: the server core speaks protocol-neutral frames (the types
 * in protocol.ts); a codec turns one connection's bytes into client frames
 * and server frames into bytes. The JSON-lines codec (codecs/json/) writes
 * the frames as they are; an IRC codec (codecs/irc/) maps them to commands
 * and numerics, runs its own registration dialogue before it reports a
 * `hello`, and keeps per-connection state such as negotiated capabilities.
 */
export interface Codec {
  /**
   * The encoder for frames many connections receive alike (room messages,
   * presence, typing, file relay). Connections whose codecs return the same
   * encoder object get the same bytes, encoded once per frame and shared
   * through the room's output segment (see OutputQueue). A codec whose
   * output differs by capability (IRC's server-time tags, say) returns one
   * encoder per combination, and calls CodecSink.variantChanged() when it
   * switches.
   */
  readonly variant: FrameEncoder;
  /**
   * How the sender's own room messages come back to it. True: in the shared
   * bytes of its variant, like everyone else's copy (JSON, where the echo is
   * the acknowledgement). False: the server leaves the sender out of the
   * shared copy and asks this codec's `encode()` for it, so the codec can tag
   * it (IRC's labeled-response) or drop it (IRC without echo-message).
   * Direct messages always come back through `encode()`.
   */
  readonly sharedEcho: boolean;
  /** Bytes from the socket; complete input units are reported to the sink in order. */
  push(chunk: Buffer): void;
  /** A frame for this connection only (a welcome, a reply, an error). Undefined: nothing to send in this protocol. */
  encode(frame: ServerFrame): Buffer | undefined;
  /** Stop reporting (from inside a sink call, too) until resume(); bytes pushed meanwhile are held. */
  pause(): void;
  /** Report what was held, then carry on. */
  resume(): void;
  /** Stop for good and drop held bytes: the connection is closing. */
  stop(): void;
}

/** Encodes shared frames for one encoding variant; stateless, so every connection of the variant can use it. */
export interface FrameEncoder {
  /** Undefined when the frame means nothing in this protocol (IRC has no global "online" line, say). */
  encode(frame: ServerFrame): Buffer | undefined;
  /**
   * Whether one connection of this variant gets a frame sent to everyone
   * (Delivery.toEveryone); absent means yes. IRC's away-notify reaches only
   * the people who share a channel with whoever went away or came back.
   */
  accepts?(frame: ServerFrame, session: Session): boolean;
}

/** What a codec reports while decoding. Every input unit (a line) ends in exactly one call of frame() or reject(). */
export interface CodecSink {
  /** One well-formed client frame. */
  frame(f: ClientFrame): void;
  /** An input unit that is not a valid frame; it is answered with an error, and the connection stays open. */
  reject(code: ErrorCode, message: string, ref?: string): void;
  /** Bytes the codec answers by itself, in order with the server's output (IRC's `CAP LS` reply, say). */
  reply(bytes: Buffer): void;
  /** The codec's `variant` changed (a capability was negotiated): shared output must be regrouped. */
  variantChanged(): void;
  /** Input broke a hard limit (a line too long); the codec has stopped, and the connection is closed with `frame_too_large`. */
  overflow(bytes: number): void;
  /**
   * An input unit the codec handles itself (IRC's WHO, or a JOIN that needs
   * numerics around the server's answer), in order with every other unit and
   * charged like one. `run` may hand frames to the server with `handle`,
   * whose answers reach encode() before `handle` settles; it returns a
   * promise when it must wait, and the connection's next unit waits for it.
   */
  command(run: (handle: (f: ClientFrame) => void | Promise<void>) => void | Promise<void>): void;
  /** End the connection on the client's request (IRC's QUIT): what is queued goes out, then encode({type:'bye'}), then the socket closes. */
  close(reason: string): void;
}

/** What a codec knows about its connection when it opens. */
export interface CodecContext {
  /** Longest line the server accepts (the JSON codec's cap; other protocols have their own). */
  maxLine: number;
  /** The connection's chat session: its name and rooms, read only (but for `byCertificate`, set before the hello). */
  session: Session;
  /** The peer as `address:port`. */
  address: string;
  /** True when the connection is TLS. */
  secure: boolean;
  /** True when the peer is on this machine (loopback). */
  loopback: boolean;
  /** SHA-256 fingerprint (colon hex) of the client's TLS certificate, when it sent one (see WireProtocol.clientCertificates). */
  clientCertificate(): string | undefined;
}

/** A wire protocol a listener speaks: opens a codec for each accepted socket. */
export interface WireProtocol {
  /** Short name for logs: `json`, `irc`. */
  readonly name: string;
  open(sink: CodecSink, context: CodecContext): Codec;
  /** Ask TLS clients for a certificate (optional for them): IRC's SASL EXTERNAL proves an identity with one. */
  readonly clientCertificates?: boolean;
  /** Called once by the server that serves this protocol, before it listens: what the codecs may ask about people and rooms. */
  attach?(view: ServerView): void;
  /** The one line a socket gets when it is turned away before it becomes a connection (server_full, tls_required). */
  refusal(frame: ErrorFrame): Buffer;
}

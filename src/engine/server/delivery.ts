import type { ServerFrame } from '../protocol';
import type { FrameEncoder } from './codec';
import type { Connection } from './connection';
import { excluded, type Except, type OutputQueue } from './outputQueue';
import type { Registry } from './registry';

/** Room frames held for a member still reading the room's history before it is cut as a slow reader. */
const MAX_CATCH_UP = 10_000;

/**
 * Puts frames on the output queue of the connections they are for: one, a
 * few, a room's members, or everyone. A frame for several connections is
 * encoded once per codec variant, however many receive it.
 */
export class Delivery {
  constructor(
    private readonly registry: Registry,
    private readonly output: OutputQueue,
  ) {}

  /** A frame for one connection only (a reply, an error): its own codec encodes it. */
  toConn(conn: Connection, frame: ServerFrame): void {
    const buf = conn.codec.encode(frame);
    if (buf) this.output.send(conn, buf);
  }

  /** Bytes a codec produced itself. */
  raw(conn: Connection, buf: Buffer): void {
    this.output.send(conn, buf);
  }

  /** A shared frame (a message, a presence change) to a few connections. */
  toConns(conns: Iterable<Connection>, frame: ServerFrame): void {
    const enc = new SharedEncoding(frame);
    for (const c of conns) {
      const buf = enc.for(c.codec.variant);
      if (buf) this.output.send(c, buf);
    }
  }

  /**
   * To every local member of a room but `except`. Each variant group of the
   * room gets the frame encoded once and appended once to its segment.
   */
  toRoom(room: string, frame: ServerFrame, except?: Except): void {
    const r = this.registry.room(room);
    if (!r) return;
    for (const group of r.groups.values()) {
      const buf = group.encoder.encode(frame);
      // A segment that skips nobody of this group can go on taking frames meant for everyone.
      const skip = except === undefined || except instanceof Set ? except : group.members.has(except as Connection) ? except : undefined;
      if (buf) this.output.fanOut(group, buf, skip);
    }
    if (r.catchingUp.size === 0) return;
    for (const [c, waiting] of r.catchingUp) {
      if (excluded(c, except)) continue;
      // A store that never answers must not grow this without bound.
      if (waiting.length >= MAX_CATCH_UP) this.output.overflow(c);
      else waiting.push(frame);
    }
  }

  /** To everyone who completed the handshake but `except`. */
  toEveryone(frame: ServerFrame, except?: Except): void {
    const enc = new SharedEncoding(frame);
    for (const c of this.registry.everyone()) {
      if (excluded(c, except)) continue;
      const variant = c.codec.variant;
      if (variant.accepts !== undefined && !variant.accepts(frame, c.session)) continue;
      const buf = enc.for(variant);
      if (buf) this.output.send(c, buf);
    }
  }
}

/** One frame's bytes per variant, encoded on first use. */
class SharedEncoding {
  private lastEncoder?: FrameEncoder;
  private lastBuf?: Buffer;
  private others?: Map<FrameEncoder, Buffer | undefined>;

  constructor(private readonly frame: ServerFrame) {}

  for(encoder: FrameEncoder): Buffer | undefined {
    if (encoder === this.lastEncoder) return this.lastBuf;
    if (this.lastEncoder) (this.others ??= new Map()).set(this.lastEncoder, this.lastBuf);
    this.lastEncoder = encoder;
    this.lastBuf = this.others?.has(encoder) ? this.others.get(encoder) : encoder.encode(this.frame);
    return this.lastBuf;
  }
}

import type { Connection } from './connection';

/** Who of a group does not get a frame: one connection (a typist), several (newcomers told of their own arrival otherwise), or nobody. */
export type Except = Connection | ReadonlySet<Connection> | undefined;

/** True when `c` is left out by `except`. */
export function excluded(c: Connection, except: Except): boolean {
  return except !== undefined && (except === c || (except instanceof Set && except.has(c)));
}

/**
 * Room frames fanned out during one tick, shared by every member: the frames
 * are queued once per room rather than once per member, and joined into one
 * Buffer that every member's socket writes (no per-recipient copy).
 */
export class Segment {
  readonly parts: Buffer[] = [];
  bytes = 0;
  /** Some holder got another frame after this one: later room frames must start a new segment to keep order. */
  broken = false;
  private joined?: Buffer;
  /** Where each part starts in the joined Buffer. */
  private readonly starts: number[] = [];
  /**
   * The parts a holder must not get, by holder: a sender left out of its own
   * message (an IRC client gets its copy through its codec, see
   * Codec.sharedEcho), a typist. Skipping keeps the segment shared: without
   * it, every message from a different sender would need a segment of its
   * own, and each member would have to join a Buffer per tick.
   */
  private skips?: Map<Connection, number[]>;
  /** What a member that skips a part gets in its place, by part: the sender's own copy as its codec wrote it. */
  private owns?: Map<number, Buffer>;

  /** @param except the members of the group that hold none of this segment (newcomers told of their own arrival otherwise), if any */
  constructor(
    readonly tick: number,
    readonly except: ReadonlySet<Connection> | undefined,
  ) {}

  /** Append a frame for every holder but `skip`, which gets `own` in its place, if anything. */
  push(buf: Buffer, skip?: Connection, own?: Buffer): void {
    if (skip) {
      const mine = (this.skips ??= new Map()).get(skip);
      if (mine) mine.push(this.parts.length);
      else this.skips.set(skip, [this.parts.length]);
      if (own) (this.owns ??= new Map()).set(this.parts.length, own);
    }
    this.starts.push(this.bytes);
    this.parts.push(buf);
    this.bytes += buf.length;
    this.joined = undefined;
  }

  buffer(): Buffer {
    return (this.joined ??= this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.bytes));
  }

  /** Adds what `holder` gets of this segment to `out`: the shared Buffer, or views of it around the parts it skips and its own copies of them (no copy). */
  collect(holder: Connection, out: Buffer[]): void {
    const skipped = this.skips?.get(holder);
    if (!skipped) return void out.push(this.buffer());
    const all = this.buffer();
    let from = 0;
    for (const i of skipped) {
      if (this.starts[i] > from) out.push(all.subarray(from, this.starts[i]));
      const own = this.owns?.get(i);
      if (own) out.push(own);
      from = this.starts[i] + this.parts[i].length;
    }
    if (from < this.bytes) out.push(all.subarray(from));
  }
}

/** Connections that receive the same frames: the members of a room. Its open segment lives here. */
export interface FanoutGroup {
  readonly members: ReadonlySet<Connection>;
  /** The segment this group's frames are appended to during the current tick; reset when membership changes. */
  seg?: Segment;
}

/**
 * Everything the server writes goes through here. Each connection gathers
 * what it is sent during one event-loop tick; one flush per tick writes it
 * with one `socket.write` per connection. Output is bounded: past `maxQueue`
 * bytes waiting for one connection, it is handed to `slowReader`.
 */
export class OutputQueue {
  private readonly dirty: Connection[] = [];
  private flushScheduled = false;
  /** Counts flushes; a segment takes frames only during the tick it was opened in. */
  private tick = 0;

  constructor(
    private readonly maxQueue: number,
    private readonly slowReader: (conn: Connection) => void,
  ) {}

  /** Queue bytes for one connection; they are written with everything else it gets this tick. */
  send(conn: Connection, buf: Buffer): void {
    if (conn.closing) return;
    if (conn.tailSeg) {
      conn.tailSeg.broken = true;
      conn.tailSeg = undefined;
    }
    (conn.pending ??= []).push(buf);
    conn.pendingBytes += buf.length;
    if (conn.pendingBytes + conn.socket.writableLength > this.maxQueue) return this.slowReader(conn);
    this.markDirty(conn);
  }

  /**
   * A frame to every member of a group but `except`. While every receiving
   * member's queue still ends with this tick's segment of the group, the frame
   * is appended to that segment once: O(1) per frame instead of O(members).
   * One member left out (the sender, a typist) skips its part of the segment,
   * and gets `own` there instead if given (the sender's copy as its codec
   * wrote it); a set of them (newcomers) needs a segment that they do not hold.
   */
  fanOut(group: FanoutGroup, buf: Buffer, except?: Except, own?: Buffer): void {
    const holdersExcept = except instanceof Set ? except : undefined;
    const skip = except instanceof Set ? undefined : (except as Connection | undefined);
    let seg = group.seg;
    if (seg && seg.tick === this.tick && !seg.broken && seg.except === holdersExcept) {
      seg.push(buf, skip, own);
      return;
    }
    // A segment that some members do not hold cannot take frames meant for them, nor the reverse: a new one keeps order.
    if (seg) seg.broken = true;
    seg = new Segment(this.tick, holdersExcept);
    seg.push(buf, skip, own);
    group.seg = seg;
    for (const c of group.members) {
      if (c.closing || excluded(c, holdersExcept)) continue;
      if (c.tailSeg) c.tailSeg.broken = true;
      c.tailSeg = seg;
      (c.pending ??= []).push(seg);
      if (c.pendingBytes + c.socket.writableLength > this.maxQueue) {
        this.slowReader(c);
        continue;
      }
      this.markDirty(c);
    }
  }

  /** A connection has more waiting for it than it may: cut it as a slow reader. */
  overflow(conn: Connection): void {
    if (!conn.closing) this.slowReader(conn);
  }

  /** Everything queued for a connection as one Buffer (for a last write before closing). */
  take(conn: Connection): Buffer | undefined {
    const out = this.takeParts(conn);
    return out && (out.length === 1 ? out[0] : Buffer.concat(out));
  }

  /** Everything queued for a connection, in order, as the Buffers to write: its own frames, and shared segments or views of them (nothing is copied). */
  private takeParts(conn: Connection): Buffer[] | undefined {
    const p = conn.pending;
    this.discard(conn);
    if (!p || p.length === 0) return undefined;
    const out: Buffer[] = [];
    for (const x of p) {
      if (x instanceof Segment) x.collect(conn, out);
      else out.push(x);
    }
    return out.length === 0 ? undefined : out;
  }

  /** Forget what is queued for a connection (it is gone, or cut). */
  discard(conn: Connection): void {
    conn.pending = undefined;
    conn.pendingBytes = 0;
    conn.tailSeg = undefined;
  }

  /** Write what every dirty connection has queued; runs once per tick, and at close. */
  flush(): void {
    this.flushScheduled = false;
    this.tick++; // segments queued so far are closed: new room frames open new ones
    const list = this.dirty.splice(0);
    for (const conn of list) {
      conn.dirty = false;
      if (conn.closing) continue;
      const out = this.takeParts(conn);
      if (!out) continue;
      writeAll(conn.socket, out);
      if (conn.socket.writableLength > this.maxQueue) this.slowReader(conn);
    }
  }

  private markDirty(conn: Connection): void {
    if (conn.dirty) return;
    conn.dirty = true;
    this.dirty.push(conn);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }
}

/** Bytes below which several Buffers are joined before writing: Node allocates that little from its pool, so a join is cheaper than a writev. */
const JOIN_BELOW = Buffer.poolSize >>> 1;

/**
 * Writes Buffers in order with one system call. Small ones are joined; large
 * ones go out as one writev (cork, write each, uncork), because joining them
 * would copy each member's share of a busy room's segment: a fresh large
 * Buffer per member per tick, which cost more than the writes themselves.
 */
function writeAll(socket: Connection['socket'], bufs: Buffer[]): void {
  if (bufs.length === 1) return void socket.write(bufs[0]);
  let bytes = 0;
  for (const b of bufs) bytes += b.length;
  if (bytes < JOIN_BELOW) return void socket.write(Buffer.concat(bufs, bytes));
  socket.cork();
  for (const b of bufs) socket.write(b);
  socket.uncork();
}

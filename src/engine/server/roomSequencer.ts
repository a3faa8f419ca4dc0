import type { ChatMessage } from '../protocol';
import type { Store } from '../stores/store';
import type { Connection } from './connection';

/** How long a message whose predecessor has not arrived is held before the gap is read from the store. */
export const GAP_WAIT_MS = 300;
/** After a failed store read, how long until the next try. */
const RETRY_MS = 1000;
/** Messages read from the store per request while filling a gap or catching up. */
const PAGE = 500;
/** Messages held behind a gap in one room; past this the oldest are delivered over the gap rather than held without bound. */
const MAX_HELD = 10_000;

/** What the sequencer needs from the server. */
export interface RoomSequencerHost {
  /** Deliver one room message to the room's local members; `sender` is the local connection that wrote it, when known. */
  deliver(room: string, message: ChatMessage, sender: Connection | undefined): void;
  /** Resolves once every bus subscription made so far is live (Bus.settled). */
  settled(): Promise<void>;
  warn(message: string): void;
}

interface Held {
  message: ChatMessage;
  sender: Connection | undefined;
}

/** One room with local members. */
class Track {
  /** The last seq delivered here; undefined until the base is read from the store. */
  last: number | undefined;
  /** The base being read. */
  base: Promise<void> | undefined;
  /** Messages that arrived ahead of a gap (or before the base was known), by seq. */
  readonly held = new Map<number, Held>();
  timer: NodeJS.Timeout | undefined;
  filling = false;
  /** A catch-up was asked for while a fill was running: read once more when it ends. */
  again = false;
  closed = false;
}

/**
 * Delivers each room's messages to this node's members in seq order, once.
 *
 * Messages come off the bus, which may drop some (Redis blinked or
 * restarted) and may bring two nodes' messages in either order. A message
 * whose predecessor is missing is held for GAP_WAIT_MS; if the gap is still
 * there, the sequencer reads what follows the last delivered seq from the
 * store (every message is there before it is published) and delivers it with
 * what it held. `catchUp` does the same for every room when the bus comes
 * back, so what it lost meanwhile arrives without waiting for the next message.
 *
 * A room is tracked from the store's newest seq at the time its first local
 * member joined: joiners wait for that (`ready`) before they read history,
 * so nothing falls between what their history holds and what is delivered.
 */
export class RoomSequencer {
  private readonly rooms = new Map<string, Track>();

  constructor(
    private readonly store: Store,
    private readonly host: RoomSequencerHost,
    private readonly waitMs = GAP_WAIT_MS,
  ) {}

  /** A room got its first local member. */
  open(room: string): void {
    if (!this.rooms.has(room)) this.rooms.set(room, new Track());
  }

  /** A room lost its last local member. */
  close(room: string): void {
    const t = this.rooms.get(room);
    if (!t) return;
    t.closed = true;
    clearTimeout(t.timer);
    this.rooms.delete(room);
  }

  /**
   * Resolves once the room's base is known. Read after the room's bus
   * subscription is live, so every message after the base either arrives
   * on the bus or is found in the store. Rejects when the store cannot
   * answer; the next call tries again.
   */
  ready(room: string): Promise<void> {
    const t = this.rooms.get(room);
    if (!t || t.last !== undefined) return Promise.resolve();
    return (t.base ??= this.readBase(room, t));
  }

  /** A room message from the bus (this node's own included). */
  accept(room: string, message: ChatMessage, sender: Connection | undefined): void {
    const t = this.rooms.get(room);
    if (!t) return; // no local member (any more)
    if (t.last === undefined) {
      this.hold(t, message, sender);
      this.ready(room).catch((err: unknown) => this.host.warn(`cannot read where ${room} stands: ${(err as Error).message}`));
      return;
    }
    if (message.seq <= t.last) return; // delivered already (a fill found it first)
    if (message.seq === t.last + 1) {
      t.last = message.seq;
      this.host.deliver(room, message, sender);
      return this.drain(room, t);
    }
    this.hold(t, message, sender);
    this.arm(room, t, this.waitMs);
  }

  /**
   * The seq up to which this node has delivered a room, while it tracks it:
   * what the store's `append` is told (Store.append's `seen`), so it can hand
   * back the other nodes' earlier messages with the result.
   */
  seen(room: string): number | undefined {
    return this.rooms.get(room)?.last;
  }

  /** Read every room's news from the store (the bus came back, or another node's did). */
  catchUp(): void {
    for (const [room, t] of this.rooms) if (t.last !== undefined) void this.fill(room, t);
  }

  /** Rooms tracked here (for tests and logs). */
  get size(): number {
    return this.rooms.size;
  }

  private async readBase(room: string, t: Track): Promise<void> {
    try {
      await this.host.settled();
      const seq = await this.store.lastSeq(room);
      if (t.closed || t.last !== undefined) return;
      t.last = seq;
      this.drain(room, t);
    } finally {
      t.base = undefined;
    }
  }

  private hold(t: Track, message: ChatMessage, sender: Connection | undefined): void {
    if (!t.held.has(message.seq)) t.held.set(message.seq, { message, sender });
  }

  /** Deliver what now follows on; forget what was delivered meanwhile; wait for the rest. */
  private drain(room: string, t: Track): void {
    if (t.last === undefined) return;
    for (let next = t.held.get(t.last + 1); next; next = t.held.get(t.last + 1)) {
      t.held.delete(next.message.seq);
      t.last = next.message.seq;
      this.host.deliver(room, next.message, next.sender);
    }
    for (const seq of t.held.keys()) if (seq <= t.last) t.held.delete(seq);
    if (t.held.size === 0) {
      clearTimeout(t.timer);
      t.timer = undefined;
    } else if (t.held.size > MAX_HELD) {
      this.skip(room, t);
    } else {
      this.arm(room, t, this.waitMs);
    }
  }

  private arm(room: string, t: Track, ms: number): void {
    if (t.timer || t.filling || t.closed) return;
    t.timer = setTimeout(() => {
      t.timer = undefined;
      void this.fill(room, t);
    }, ms);
    t.timer.unref();
  }

  /**
   * Read what follows the last delivered seq from the store, page by page,
   * and deliver it in order with what was held (a held copy is preferred: it
   * knows its local sender). What the store does not have either (retention
   * dropped it) is skipped.
   */
  private async fill(room: string, t: Track): Promise<void> {
    if (t.filling) {
      t.again = true;
      return;
    }
    if (t.closed || t.last === undefined) return;
    t.filling = true;
    clearTimeout(t.timer);
    t.timer = undefined;
    let failed = false;
    try {
      do {
        t.again = false;
        for (;;) {
          const from: number = t.last;
          const page = await this.store.history(room, { after: from, limit: PAGE });
          if (t.closed) return;
          for (const m of page.messages) {
            if (m.seq <= t.last) continue;
            const held = t.held.get(m.seq);
            t.held.delete(m.seq);
            t.last = m.seq;
            this.host.deliver(room, held?.message ?? m, held?.sender);
          }
          if (!page.more || t.last === from) break;
        }
      } while (t.again);
      // Held messages are committed, so the store had everything before them unless retention dropped it.
      if (t.held.size > 0 && !t.held.has(t.last + 1)) this.skip(room, t);
    } catch (err) {
      failed = true;
      this.host.warn(`cannot read ${room} from the store to fill a gap: ${(err as Error).message}`);
    } finally {
      t.filling = false;
    }
    if (t.closed) return;
    if (failed) this.arm(room, t, RETRY_MS);
    else this.drain(room, t);
  }

  /** Deliver the oldest held message over the gap before it (nobody can supply the gap). */
  private skip(room: string, t: Track): void {
    const first = Math.min(...t.held.keys());
    t.last = first - 1;
    this.drain(room, t);
  }
}

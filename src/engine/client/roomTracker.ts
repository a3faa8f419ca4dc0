import type { ChatMessage } from '../protocol';

/** A page of a room's history after some seq, oldest first. */
export interface Page {
  messages: ChatMessage[];
  /** The server holds more after the last message of this page. */
  more: boolean;
}

/** Fetches the messages of `room` after seq `after`: on a live client, a history request. */
export type FetchPage = (room: string, after: number, limit: number) => Promise<Page>;

/** The largest history page a server gives (docs/protocol.md, Limits). */
export const PAGE_LIMIT = 500;

interface Track {
  /** The last seq delivered, or taken as seen; undefined until the room is first heard of. */
  last?: number;
  /** Messages that arrived ahead of a gap, by seq. */
  pending: Map<number, ChatMessage>;
  fetching: boolean;
  retry?: NodeJS.Timeout;
}

/**
 * Delivers each room's messages once and in seq order. Messages that arrive
 * ahead of a gap are held while the gap is fetched; what the server cannot
 * supply is skipped, so a room never waits forever.
 */
export class RoomTracker {
  private readonly tracks = new Map<string, Track>();

  constructor(
    private readonly deliver: (m: ChatMessage) => void,
    private readonly fetchPage: FetchPage,
    private readonly pageSize = PAGE_LIMIT,
  ) {}

  /** The last seq delivered in a room, or undefined when it was never heard of. */
  last(room: string): number | undefined {
    return this.tracks.get(room)?.last;
  }

  /** Rooms and DM keys heard of so far. */
  get rooms(): string[] {
    return [...this.tracks.keys()];
  }

  /**
   * A room as the server describes it (in a welcome, or a joined reply).
   * A room heard of for the first time starts at `seq`: its recent history is
   * the caller's to show, not delivered here. A known room delivers what it
   * missed from `history`, and fetches the rest up to `seq`.
   */
  sync(room: string, seq: number, history: readonly ChatMessage[] = []): void {
    const t = this.track(room);
    if (t.last === undefined) {
      t.last = seq;
      return;
    }
    for (const m of history) this.accept(m);
    if (seq > t.last) this.fill(room);
  }

  /** Fetch whatever a known room missed (DMs after a reconnect have no joined reply to say). */
  catchUp(room: string): void {
    if (this.tracks.get(room)?.last !== undefined) this.fill(room);
  }

  /** Deliver a message once, in seq order; hold an early one and fetch what is missing. */
  accept(m: ChatMessage): void {
    const t = this.track(m.room);
    if (t.last === undefined) t.last = m.seq - 1;
    if (m.seq <= t.last) return;
    if (m.seq > t.last + 1) {
      t.pending.set(m.seq, m);
      this.fill(m.room);
      return;
    }
    t.last = m.seq;
    this.deliver(m);
    this.drain(t);
  }

  /** The server's history started over (it lost its data): every room counts from 0 again. */
  restart(): void {
    for (const t of this.tracks.values()) {
      t.last = 0;
      t.pending.clear();
    }
  }

  /** Stop waiting to retry fetches (the client is closing). */
  stop(): void {
    for (const t of this.tracks.values()) {
      clearTimeout(t.retry);
      t.retry = undefined;
    }
  }

  private track(room: string): Track {
    let t = this.tracks.get(room);
    if (!t) {
      t = { pending: new Map(), fetching: false };
      this.tracks.set(room, t);
    }
    return t;
  }

  /** Deliver held messages that now follow on. */
  private drain(t: Track): void {
    for (let next = t.pending.get(t.last! + 1); next; next = t.pending.get(t.last! + 1)) {
      t.pending.delete(next.seq);
      t.last = next.seq;
      this.deliver(next);
    }
  }

  /** Page through the gap after `last` until the server has no more, or has nothing for it. */
  private fill(room: string): void {
    const t = this.track(room);
    if (t.fetching) return;
    t.fetching = true;
    clearTimeout(t.retry);
    t.retry = undefined;
    const before = t.last ?? 0;
    this.fetchPage(room, before, this.pageSize).then(
      (page) => {
        // Still fetching while the page is delivered, so a gap inside it does not start a second fetch.
        for (const m of page.messages) this.accept(m);
        t.fetching = false;
        const progressed = (t.last ?? 0) > before;
        if (!page.more && t.pending.size === 0) return; // caught up
        if (progressed) return this.fill(room);
        if (t.pending.size === 0) {
          // An empty page that says "more" offers nothing to skip to: stay where we are
          // (the next message, or the next reconnect, asks again) rather than guess.
          return;
        }
        // The server has nothing between what we saw and what we hold: skip to what we hold.
        t.last = Math.min(...t.pending.keys()) - 1;
        this.drain(t);
        if (t.pending.size > 0) this.fill(room);
      },
      (err: unknown) => {
        t.fetching = false;
        // A busy server says when to ask again; any other failure waits for the next reconnect.
        const wait = (err as { retryAfter?: unknown }).retryAfter;
        if (typeof wait === 'number' && Number.isFinite(wait)) {
          t.retry = setTimeout(() => this.fill(room), Math.max(50, wait));
          t.retry.unref();
        }
      },
    );
  }
}

import { randomUUID } from 'node:crypto';
import type { ChatMessage } from './protocol';

/** Options for reading a page of a room's history. */
export interface HistoryQuery {
  /** Only messages with a smaller seq. */
  before?: number;
  /** Only messages with a larger seq. */
  after?: number;
  limit: number;
}

/** A page of history, oldest first. */
export interface HistoryPage {
  messages: ChatMessage[];
  /** More messages remain beyond this page in the direction asked. */
  more: boolean;
}

/**
 * Where a server keeps history. The chat logic sees only this interface, so a
 * database store can replace the file store without touching it.
 */
export interface Store {
  /** Names this history; a new id means seqs started over (a fresh in-memory store, a new data directory). */
  readonly id: string;
  /** The seq of the newest message stored for a room, 0 when there is none. */
  lastSeq(room: string): number;
  /**
   * Keep one message. Throws when it cannot be made durable; the caller then
   * must not acknowledge it.
   */
  append(msg: ChatMessage): void;
  /** A page of a room's messages. */
  history(room: string, query: HistoryQuery): HistoryPage;
  /** Messages whose text contains `query` (case-insensitive), newest first, in rooms `canSee` accepts. */
  search(query: string, canSee: (room: string) => boolean, limit: number): ChatMessage[];
  /** An accepted message with this sender and client id, if it is still remembered. */
  findById(sender: string, id: string): ChatMessage | undefined;
  /** Rooms that have stored messages. */
  rooms(): string[];
  /** Release files and handles. */
  close(): Promise<void>;
}

/** How much a store keeps. */
export interface RetentionOptions {
  /** Messages kept per room; older ones are dropped. 0 keeps everything. */
  maxPerRoom: number;
  /** Message ids remembered for resend de-duplication. */
  maxIds: number;
}

export const DEFAULT_RETENTION: RetentionOptions = { maxPerRoom: 100_000, maxIds: 200_000 };

/** One room's messages: a window of consecutive seqs. */
class RoomLog {
  /** messages[i] has seq firstSeq + i (until retention trims the front). */
  messages: ChatMessage[] = [];
  head = 0;
  last = 0;

  get count(): number {
    return this.messages.length - this.head;
  }
  at(seq: number): number {
    // Index of the first message with seq >= given seq.
    const first = this.count > 0 ? this.messages[this.head].seq : this.last + 1;
    return this.head + Math.max(0, Math.min(this.count, seq - first));
  }
}

/** History in memory only: the default when the server has no data directory. */
export class MemoryStore implements Store {
  id: string = randomUUID();
  protected readonly logs = new Map<string, RoomLog>();
  private readonly ids = new Map<string, ChatMessage>();
  /**
   * Keys in the order they were remembered, oldest at idHead. Evicting through
   * `ids.keys().next()` instead walks every entry deleted from the front of the
   * Map each time, which made a 1M-message recovery take a minute.
   */
  private idOrder: string[] = [];
  private idHead = 0;

  constructor(protected readonly retention: RetentionOptions = DEFAULT_RETENTION) {}

  lastSeq(room: string): number {
    return this.logs.get(room)?.last ?? 0;
  }

  append(msg: ChatMessage): void {
    this.remember(msg);
  }

  /** Put a message into the in-memory index (used by append and by recovery). */
  protected remember(msg: ChatMessage): void {
    let log = this.logs.get(msg.room);
    if (!log) {
      log = new RoomLog();
      this.logs.set(msg.room, log);
    }
    // Seqs only rise; a duplicate from a replayed file is ignored.
    if (msg.seq <= log.last) return;
    log.messages.push(msg);
    log.last = msg.seq;
    const max = this.retention.maxPerRoom;
    if (max > 0 && log.count > max) {
      log.head++;
      // Trim the array now and then rather than shifting on every append.
      if (log.head > 1024 && log.head > log.messages.length / 2) {
        log.messages = log.messages.slice(log.head);
        log.head = 0;
      }
    }
    const key = msg.sender + '\u0000' + msg.id;
    if (!this.ids.has(key)) this.idOrder.push(key);
    this.ids.set(key, msg);
    while (this.ids.size > this.retention.maxIds && this.idHead < this.idOrder.length) {
      this.ids.delete(this.idOrder[this.idHead++]);
    }
    if (this.idHead > 65_536 && this.idHead * 2 > this.idOrder.length) {
      this.idOrder = this.idOrder.slice(this.idHead);
      this.idHead = 0;
    }
  }

  history(room: string, q: HistoryQuery): HistoryPage {
    const log = this.logs.get(room);
    if (!log || log.count === 0) return { messages: [], more: false };
    const limit = Math.max(0, q.limit);
    const end = q.before !== undefined ? log.at(q.before) : log.messages.length;
    let start = q.after !== undefined ? log.at(q.after + 1) : log.head;
    if (q.after !== undefined) {
      const stop = Math.min(end, start + limit);
      return { messages: log.messages.slice(start, stop), more: stop < end };
    }
    start = Math.max(start, end - limit);
    return { messages: log.messages.slice(start, end), more: start > log.head };
  }

  search(query: string, canSee: (room: string) => boolean, limit: number): ChatMessage[] {
    const needle = query.toLowerCase();
    const out: ChatMessage[] = [];
    if (needle.length === 0 || limit <= 0) return out;
    const logs = [...this.logs.entries()].filter(([room]) => canSee(room)).map(([, log]) => log);
    // Walk all visible rooms newest first, merging by timestamp.
    const idx = logs.map((l) => l.messages.length - 1);
    for (;;) {
      let best = -1;
      for (let i = 0; i < logs.length; i++) {
        if (idx[i] < logs[i].head) continue;
        if (best === -1 || logs[i].messages[idx[i]].ts > logs[best].messages[idx[best]].ts) best = i;
      }
      if (best === -1) break;
      const m = logs[best].messages[idx[best]--];
      if (m.text.toLowerCase().includes(needle)) {
        out.push(m);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  findById(sender: string, id: string): ChatMessage | undefined {
    return this.ids.get(sender + '\u0000' + id);
  }

  rooms(): string[] {
    return [...this.logs.keys()];
  }

  async close(): Promise<void> {
    // nothing to release
  }
}

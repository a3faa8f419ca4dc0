import { dmParticipants, isDmKey, type ChatMessage } from '../protocol';
import { applyChange, type Applied, type Reactors } from './messageChanges';
import type { Change, ChangesPage, HistoryPage, HistoryQuery, MessageDraft, RetentionOptions, RoomSummary } from './store';

/**
 * One room's retained messages, oldest at `head`. Seqs rise; they are
 * consecutive unless recovery skipped a corrupt line, so lookups by seq
 * search rather than subtract.
 */
export class RoomLog {
  messages: ChatMessage[] = [];
  /** authors[i] wrote messages[i]: the file store writes it back when it compacts. */
  authors: string[] = [];
  /** Index of the oldest retained message; entries before it were dropped by retention. */
  head = 0;
  /**
   * How many entries were cut off the front of the arrays so far. `base + i`
   * names messages[i] for good, so a search that yields between slices keeps
   * its place even when the arrays are trimmed meanwhile.
   */
  base = 0;
  last = 0;
  /** The newest message's time: later ones never get an earlier one (see MessageIndex.next). */
  lastTs = '';
  /** The room's newest rev: every change to one of its messages takes the next. */
  lastRev = 0;
  /** Who reacted to which message with what, by seq (only messages with reactions). */
  readonly reactors = new Map<number, Reactors[]>();
  /**
   * Changes in rev order: `[rev, seq]`. A message changed twice appears twice;
   * `changes` skips an entry whose message has moved on to a later rev.
   */
  changeLog: Array<[rev: number, seq: number]> = [];

  constructor(readonly room: string) {}

  get count(): number {
    return this.messages.length - this.head;
  }

  /** Index of the first retained message with a seq of at least `seq`. */
  indexOf(seq: number): number {
    let lo = this.head;
    let hi = this.messages.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.messages[mid].seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * The in-memory index both built-in stores keep: each room's retained window,
 * the ids remembered for de-duplication, and which DM conversations each
 * person takes part in. It is synchronous; MemoryStore and FileStore wrap it
 * (FileStore writes the file first, then adds here).
 */
export class MessageIndex {
  private readonly logs = new Map<string, RoomLog>();
  private readonly dms = new Map<string, Set<string>>();
  /**
   * Remembered messages by author, then client id. Two Maps rather than one
   * keyed by `author + id`: that key is a new string per lookup, flattened
   * and hashed every time, and it was the store's largest cost per message in
   * a blast profile; the author string is the session's, its hash cached.
   */
  private readonly ids = new Map<string, Map<string, ChatMessage>>();
  private idCount = 0;
  /**
   * (author, id) in the order they were remembered, oldest at idHead. Evicting
   * through `ids.keys().next()` instead walks every entry deleted from the front
   * of the Map each time, which made a 1M-message recovery take a minute.
   */
  private idAuthors: string[] = [];
  private idOrder: string[] = [];
  private idHead = 0;

  constructor(private readonly retention: RetentionOptions) {}

  lastSeq(room: string): number {
    return this.logs.get(room)?.last ?? 0;
  }

  log(room: string): RoomLog | undefined {
    return this.logs.get(room);
  }

  /** The stored message with this author and client id, while it is remembered. */
  find(author: string, id: string): ChatMessage | undefined {
    return this.ids.get(author)?.get(id);
  }

  /**
   * The message a draft becomes: the room's next seq, and a time no earlier
   * than the room's newest (a clock stepping back must not reorder a room,
   * search pages by time). Nothing is stored until `add`.
   */
  next(draft: MessageDraft): ChatMessage {
    const log = this.logs.get(draft.room);
    const last = log?.lastTs ?? '';
    const msg: ChatMessage = {
      type: 'message',
      id: draft.id,
      seq: (log?.last ?? 0) + 1,
      room: draft.room,
      sender: draft.sender,
      author: draft.author,
      text: draft.text,
      ts: draft.ts < last ? last : draft.ts,
    };
    if (draft.to !== undefined) msg.to = draft.to;
    if (draft.snippet !== undefined) msg.snippet = draft.snippet;
    if (draft.replyTo !== undefined) msg.replyTo = draft.replyTo;
    return msg;
  }

  /**
   * Keep a message (from append or from recovery, with its reactor sets when
   * it has any). A seq that is not above the room's newest is ignored: a
   * replayed line.
   */
  add(msg: ChatMessage, author: string, reactors?: Reactors[]): boolean {
    const log = this.logs.get(msg.room) ?? this.newLog(msg.room);
    if (msg.seq <= log.last) return false;
    log.messages.push(msg);
    log.authors.push(author);
    log.last = msg.seq;
    if (msg.ts > log.lastTs) log.lastTs = msg.ts;
    if (reactors && reactors.length > 0) log.reactors.set(msg.seq, reactors);
    if (msg.rev !== undefined) this.noteRev(log, msg.rev, msg.seq);
    const max = this.retention.maxPerRoom;
    if (max > 0 && log.count > max) {
      log.reactors.delete(log.messages[log.head].seq);
      log.head++;
      // Trim the arrays now and then rather than shifting on every append.
      if (log.head > 1024 && log.head > log.messages.length / 2) {
        log.messages = log.messages.slice(log.head);
        log.authors = log.authors.slice(log.head);
        log.base += log.head;
        log.head = 0;
      }
    }
    this.rememberId(author, msg.id, msg);
    return true;
  }

  /** A retained message, or undefined. */
  get(room: string, seq: number): ChatMessage | undefined {
    const log = this.logs.get(room);
    if (!log) return undefined;
    const i = log.indexOf(seq);
    return i < log.messages.length && log.messages[i].seq === seq ? log.messages[i] : undefined;
  }

  /** The reactor sets of a retained message (empty when none). */
  reactorsOf(room: string, seq: number): Reactors[] {
    return this.logs.get(room)?.reactors.get(seq) ?? [];
  }

  /**
   * What a change would make of a message, under the room's next rev (or
   * `rev`, replaying a stored change). Nothing is kept until `apply`.
   */
  prepare(room: string, seq: number, change: Change, actor: string, rev?: number): Applied {
    const log = this.logs.get(room);
    const msg = this.get(room, seq);
    if (!log || !msg) return { ok: false, code: 'bad_target', reason: `there is no message ${seq} in ${room}` };
    return applyChange(msg, log.reactors.get(seq) ?? [], change, actor, rev ?? log.lastRev + 1);
  }

  /** Keep a prepared change: the message is replaced everywhere the index holds it, so the old text is gone from reads and search. */
  apply(applied: Extract<Applied, { ok: true }>): void {
    const m = applied.message;
    const log = this.logs.get(m.room);
    if (!log || !applied.changed) return;
    const i = log.indexOf(m.seq);
    if (i >= log.messages.length || log.messages[i].seq !== m.seq) return;
    log.messages[i] = m;
    if (applied.reactors.length > 0) log.reactors.set(m.seq, applied.reactors);
    else log.reactors.delete(m.seq);
    const byId = this.ids.get(log.authors[i]);
    if (byId?.has(m.id)) byId.set(m.id, m);
    if (m.rev !== undefined) this.noteRev(log, m.rev, m.seq);
  }

  lastRev(room: string): number {
    return this.logs.get(room)?.lastRev ?? 0;
  }

  /** A recovered or compacted file may name a rev newer than any message it kept. */
  raiseRev(room: string, rev: number): void {
    const log = this.logs.get(room) ?? this.newLog(room);
    if (rev > log.lastRev) log.lastRev = rev;
  }

  /** Retained messages changed after `since`, latest states, by rev. */
  changes(room: string, since: number, limit: number): ChangesPage {
    const log = this.logs.get(room);
    if (!log) return { messages: [], rev: 0, more: false };
    const entries = log.changeLog;
    let lo = 0;
    let hi = entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (entries[mid][0] <= since) lo = mid + 1;
      else hi = mid;
    }
    const messages: ChatMessage[] = [];
    for (let i = lo; i < entries.length; i++) {
      const [rev, seq] = entries[i];
      const m = this.get(room, seq);
      if (!m || m.rev !== rev) continue; // dropped by retention, or changed again later
      if (messages.length === limit) return { messages, rev: log.lastRev, more: true };
      messages.push(m);
    }
    return { messages, rev: log.lastRev, more: false };
  }

  private noteRev(log: RoomLog, rev: number, seq: number): void {
    if (rev > log.lastRev) log.lastRev = rev;
    const entries = log.changeLog;
    // Recovery adds messages by seq, not rev: keep the log sorted by rev.
    let i = entries.length;
    while (i > 0 && entries[i - 1][0] > rev) i--;
    entries.splice(i, 0, [rev, seq]);
    // Entries superseded by a later change of the same message are skipped by reads; drop them now and then.
    if (entries.length > 1024 && entries.length > 2 * log.count) {
      log.changeLog = entries.filter(([r, s]) => this.get(log.room, s)?.rev === r);
    }
  }

  history(room: string, q: HistoryQuery): HistoryPage {
    const log = this.logs.get(room);
    if (!log || log.count === 0) return { messages: [], more: false };
    const limit = Math.max(0, q.limit);
    const end = q.before !== undefined ? log.indexOf(q.before) : log.messages.length;
    let start = q.after !== undefined ? log.indexOf(q.after + 1) : log.head;
    if (q.after !== undefined) {
      const stop = Math.max(start, Math.min(end, start + limit));
      return { messages: log.messages.slice(start, stop), more: stop < end };
    }
    start = Math.max(start, end - limit);
    return { messages: log.messages.slice(start, end), more: start > log.head };
  }

  /** The retained messages of a room with their authors and reactor sets, oldest first. */
  retained(room: string): { messages: ChatMessage[]; authors: string[]; reactors: Reactors[][] } {
    const log = this.logs.get(room);
    if (!log) return { messages: [], authors: [], reactors: [] };
    const messages = log.messages.slice(log.head);
    return { messages, authors: log.authors.slice(log.head), reactors: messages.map((m) => log.reactors.get(m.seq) ?? []) };
  }

  /** Rooms with messages; DM conversations are left out. */
  rooms(): RoomSummary[] {
    const out: RoomSummary[] = [];
    for (const log of this.logs.values()) if (!isDmKey(log.room) && log.last > 0) out.push({ name: log.room, lastSeq: log.last, lastRev: log.lastRev });
    return out;
  }

  /** The DM conversations a participant takes part in, with their newest seq. */
  conversationsOf(participant: string): RoomSummary[] {
    return [...this.dmsOf(participant)].map((name) => ({ name, lastSeq: this.lastSeq(name), lastRev: this.lastRev(name) }));
  }

  /** The DM keys a participant takes part in. */
  dmsOf(participant: string): ReadonlySet<string> {
    return this.dms.get(participant) ?? EMPTY;
  }

  private newLog(room: string): RoomLog {
    const log = new RoomLog(room);
    this.logs.set(room, log);
    const pair = dmParticipants(room);
    if (pair) {
      for (const p of pair) {
        let set = this.dms.get(p);
        if (!set) this.dms.set(p, (set = new Set()));
        set.add(room);
      }
    }
    return log;
  }

  private rememberId(author: string, id: string, msg: ChatMessage): void {
    let byId = this.ids.get(author);
    if (!byId) this.ids.set(author, (byId = new Map()));
    if (!byId.has(id)) {
      this.idAuthors.push(author);
      this.idOrder.push(id);
      this.idCount++;
    }
    byId.set(id, msg);
    while (this.idCount > this.retention.maxIds && this.idHead < this.idOrder.length) {
      const oldAuthor = this.idAuthors[this.idHead];
      const old = this.ids.get(oldAuthor);
      if (old?.delete(this.idOrder[this.idHead])) this.idCount--;
      if (old?.size === 0) this.ids.delete(oldAuthor);
      this.idHead++;
    }
    if (this.idHead > 65_536 && this.idHead * 2 > this.idOrder.length) {
      this.idAuthors = this.idAuthors.slice(this.idHead);
      this.idOrder = this.idOrder.slice(this.idHead);
      this.idHead = 0;
    }
  }
}

const EMPTY: ReadonlySet<string> = new Set();

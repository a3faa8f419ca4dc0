import { dmParticipants, isDmKey, type ChatMessage } from '../protocol';
import type { MessageIndex, RoomLog } from './messageIndex';
import type { SearchPage, SearchQuery } from './store';

/** How much work one search call over a MessageIndex may do. */
export interface SearchBudget {
  /** Messages one call examines at most; then it answers with what it found and a `next` cursor. */
  perCall: number;
  /** Messages examined between yields to the event loop, so searches cannot starve everyone else. */
  perSlice: number;
}

/**
 * 1,000 messages take well under a millisecond to test, so even many
 * searches in flight let other work run between slices; 50,000 per call keeps
 * one request's cost bounded while a rare word in a big room still needs only
 * a few pages.
 */
export const DEFAULT_SEARCH_BUDGET: SearchBudget = { perCall: 50_000, perSlice: 1_000 };

/**
 * Search an index newest first (by time, then room, then seq: one total
 * order, so a cursor is just the last message looked at). Text matches as a
 * case-insensitive substring. DM conversations are searched only for one of
 * their two participants, whatever `query.rooms` says.
 */
export async function searchIndex(index: MessageIndex, query: SearchQuery, budget: SearchBudget): Promise<SearchPage> {
  const needle = query.text.toLowerCase();
  const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
  if (needle.length === 0 || query.limit <= 0) return { messages: [] };
  const heap = new Heap();
  for (const room of visibleRooms(index, query)) {
    const log = index.log(room);
    if (!log) continue;
    const end = after ? lowerBound(log, after) : log.messages.length;
    if (end > log.head) heap.push({ log, pos: log.base + end - 1, msg: log.messages[end - 1] });
  }
  const found: ChatMessage[] = [];
  let examined = 0;
  let sliceLeft = budget.perSlice;
  let last: ChatMessage | undefined;
  while (heap.size > 0 && found.length < query.limit && examined < budget.perCall) {
    if (sliceLeft <= 0) {
      await new Promise(setImmediate);
      sliceLeft = budget.perSlice;
    }
    const top = heap.pop();
    const { log } = top;
    // Retention may have dropped this room's older messages while we yielded.
    if (top.pos - log.base < log.head) continue;
    examined++;
    sliceLeft--;
    last = top.msg;
    if (top.msg.text.toLowerCase().includes(needle)) found.push(top.msg);
    const older = top.pos - 1 - log.base;
    if (older >= log.head) heap.push({ log, pos: top.pos - 1, msg: log.messages[older] });
  }
  return heap.size > 0 && last ? { messages: found, next: encodeCursor(last) } : { messages: found };
}

/** The rooms a query may see: its rooms (DM keys only for a participant) and the DMs of `dmsOf`. */
function visibleRooms(index: MessageIndex, query: SearchQuery): Set<string> {
  const rooms = new Set<string>();
  const me = query.dmsOf;
  for (const room of query.rooms) {
    if (!isDmKey(room) || (me !== undefined && dmParticipants(room)?.includes(me))) rooms.add(room);
  }
  if (me !== undefined) for (const room of index.dmsOf(me)) rooms.add(room);
  return rooms;
}

/** Where a search stands: the message looked at last. */
type Position = [ts: string, room: string, seq: number];

function compare(m: ChatMessage, p: Position): number {
  if (m.ts !== p[0]) return m.ts < p[0] ? -1 : 1;
  if (m.room !== p[1]) return m.room < p[1] ? -1 : 1;
  return m.seq - p[2];
}

/** Index of the first retained message at or after a position; times never fall within a room, so this is a binary search. */
function lowerBound(log: RoomLog, p: Position): number {
  let lo = log.head;
  let hi = log.messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compare(log.messages[mid], p) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function encodeCursor(m: ChatMessage): string {
  return Buffer.from(JSON.stringify([m.ts, m.room, m.seq])).toString('base64url');
}

/** Rejects (RangeError) a cursor this store did not make: it comes from a client. */
function decodeCursor(cursor: string): Position {
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    p = undefined;
  }
  if (Array.isArray(p) && p.length === 3 && typeof p[0] === 'string' && typeof p[1] === 'string' && Number.isSafeInteger(p[2])) return p as Position;
  throw new RangeError('the search cursor was not made by this store; start the search again without one');
}

/** One room's place in the merge: the message at absolute position `pos` (see RoomLog.base). */
interface Entry {
  log: RoomLog;
  pos: number;
  msg: ChatMessage;
}

/** A max-heap of rooms by their next message, newest on top. */
class Heap {
  private readonly items: Entry[] = [];

  get size(): number {
    return this.items.length;
  }

  push(e: Entry): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!newer(a[i], a[parent])) break;
      [a[i], a[parent]] = [a[parent], a[i]];
      i = parent;
    }
  }

  pop(): Entry {
    const a = this.items;
    const top = a[0];
    const end = a.pop() as Entry;
    if (a.length > 0) {
      a[0] = end;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < a.length && newer(a[l], a[best])) best = l;
        if (r < a.length && newer(a[r], a[best])) best = r;
        if (best === i) break;
        [a[i], a[best]] = [a[best], a[i]];
        i = best;
      }
    }
    return top;
  }
}

function newer(a: Entry, b: Entry): boolean {
  const x = a.msg;
  const y = b.msg;
  if (x.ts !== y.ts) return x.ts > y.ts;
  if (x.room !== y.room) return x.room > y.room;
  return x.seq > y.seq;
}

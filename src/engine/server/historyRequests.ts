import { isDmKey, type ErrorCode, type HistoryRequest, type SearchRequest } from '../protocol';
import type { SearchPage, Store } from '../stores/store';
import type { Connection } from './connection';
import type { Delivery } from './delivery';
import type { RateLimit } from './rateLimit';
import type { Registry } from './registry';
import { attachQuotes } from './conversationRelay';

/** What history requests need from the server. */
export interface HistoryRequestsHost {
  error(conn: Connection, code: ErrorCode, message: string, ref?: string): void;
}

/** Largest page of history, and of search results, one request may ask for. */
const MAX_HISTORY_PAGE = 500;
const MAX_SEARCH_PAGE = 200;
/** Longest search text looked for; the rest is ignored. */
const MAX_QUERY_CHARS = 200;

/**
 * Answers history pages and searches, only over what the asker may read.
 * Each is charged to the asker's rate limit (a search costs more); paging
 * and the bound on each search's work belong to the store.
 */
export class HistoryRequests {
  constructor(
    private readonly registry: Registry,
    private readonly store: Store,
    private readonly delivery: Delivery,
    private readonly limit: RateLimit,
    private readonly host: HistoryRequestsHost,
  ) {}

  async history(conn: Connection, f: HistoryRequest): Promise<void> {
    if (!this.limit.charge(conn, f.id, 'history')) return;
    if (!this.registry.canSee(conn, f.room)) return this.host.error(conn, 'not_in_room', `join ${f.room} to read its history`, f.id);
    const limit = clamp(f.limit ?? 50, 0, MAX_HISTORY_PAGE);
    const page = await this.store.history(f.room, { before: f.before, after: f.after, limit });
    const messages = await attachQuotes(this.store, page.messages);
    this.delivery.toConn(conn, { type: 'history', ...(f.id !== undefined && { id: f.id }), room: f.room, messages, more: page.more });
  }

  async search(conn: Connection, f: SearchRequest): Promise<void> {
    if (!this.limit.charge(conn, f.id, 'search')) return;
    const only = f.room;
    if (only !== undefined && !this.registry.canSee(conn, only)) return this.host.error(conn, 'not_in_room', `join ${only} to search it`, f.id);
    // What the asker may see, said as data so a database can run the search: its rooms, and the DMs of its identity.
    const rooms = only !== undefined ? [only] : [...conn.session.rooms];
    const dmsOf = only === undefined || isDmKey(only) ? conn.session.id : undefined;
    let page: SearchPage;
    try {
      page = await this.store.search({ text: f.query.slice(0, MAX_QUERY_CHARS), rooms, dmsOf, limit: clamp(f.limit ?? 50, 0, MAX_SEARCH_PAGE), cursor: f.cursor });
    } catch (err) {
      if (err instanceof RangeError) return this.host.error(conn, 'bad_frame', 'this search cursor is not valid here: search again without it', f.id);
      throw err;
    }
    // dmsOf adds all of the asker's DMs; a search of one DM keeps that one.
    const messages = await attachQuotes(this.store, only !== undefined && isDmKey(only) ? page.messages.filter((m) => m.room === only) : page.messages);
    this.delivery.toConn(conn, { type: 'search_results', ...(f.id !== undefined && { id: f.id }), query: f.query, messages, ...(page.next !== undefined && { next: page.next }) });
  }
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

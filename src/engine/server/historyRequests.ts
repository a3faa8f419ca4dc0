import type { ErrorCode, HistoryRequest, SearchRequest } from '../protocol';
import type { Store } from '../store';
import type { Connection } from './connection';
import type { Delivery } from './delivery';
import type { Registry } from './registry';

/** What history requests need from the server. */
export interface HistoryRequestsHost {
  error(conn: Connection, code: ErrorCode, message: string, ref?: string): void;
}

/** Largest page of history, and of search results, one request may ask for. */
const MAX_HISTORY_PAGE = 500;
const MAX_SEARCH_PAGE = 200;
/** Longest search text looked for; the rest is ignored. */
const MAX_QUERY_CHARS = 200;

/** Answers history pages and searches, only over what the asker may read. */
export class HistoryRequests {
  constructor(
    private readonly registry: Registry,
    private readonly store: Store,
    private readonly delivery: Delivery,
    private readonly host: HistoryRequestsHost,
  ) {}

  history(conn: Connection, f: HistoryRequest): void {
    if (!this.registry.canSee(conn, f.room)) return this.host.error(conn, 'not_in_room', `join ${f.room} to read its history`, f.id);
    const limit = clamp(f.limit ?? 50, 0, MAX_HISTORY_PAGE);
    const page = this.store.history(f.room, { before: f.before, after: f.after, limit });
    this.delivery.toConn(conn, { type: 'history', ...(f.id !== undefined && { id: f.id }), room: f.room, messages: page.messages, more: page.more });
  }

  search(conn: Connection, f: SearchRequest): void {
    if (f.room !== undefined && !this.registry.canSee(conn, f.room)) return this.host.error(conn, 'not_in_room', `join ${f.room} to search it`, f.id);
    const limit = clamp(f.limit ?? 50, 0, MAX_SEARCH_PAGE);
    const only = f.room;
    const messages = this.store.search(f.query.slice(0, MAX_QUERY_CHARS), (room) => (only === undefined || room === only) && this.registry.canSee(conn, room), limit);
    this.delivery.toConn(conn, { type: 'search_results', ...(f.id !== undefined && { id: f.id }), query: f.query, messages });
  }
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

import type { ErrorCode, ServerFrame } from '../protocol';
import type { Connection } from './connection';

/** What the rate limit needs from the server. */
export interface RateLimitHost {
  send(conn: Connection, frame: ServerFrame): void;
  shut(conn: Connection, last: ServerFrame, code: ErrorCode, reason: string): void;
}

/**
 * What each kind of request costs, in tokens of the per-person bucket. A
 * search scans history (the store bounds one call, see docs/storage.md), so
 * it costs more than a message; a history page is one read, and so is a
 * page of `who` (it sorts a room's names). A room command (topic, mode,
 * kick, invite, room_info, away) reads or writes the room's stored settings
 * and reaches a whole room, so it costs one too.
 */
export const COSTS = { message: 1, file: 1, history: 1, search: 3, who: 1, room: 1 } as const;
// Reactions, edits and deletes are charged as messages: they are broadcast like one.
export type Charged = keyof typeof COSTS;

/** Refusals within FLOOD_WINDOW_MS before a connection is cut as a flood (at least; see charge()). */
const FLOOD_REFUSALS = 50;
const FLOOD_WINDOW_MS = 10_000;

/**
 * The per-person rate limit on work: messages, file offers, history pages,
 * searches and room commands all draw on one token bucket per session (`rate` per second,
 * bursts of `burst`). A request over the limit is answered `rate_limited`
 * with `retryAfter`; a connection that keeps pushing past it is cut as a
 * `flood`.
 */
export class RateLimit {
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly host: RateLimitHost,
  ) {}

  /** Take what a request costs; false, with the refusal already sent, when over the limit. */
  charge(conn: Connection, ref: string | undefined, kind: Charged): boolean {
    const s = conn.session;
    const cost = COSTS[kind];
    if (s.bucket.take(cost)) return true;
    const now = Date.now();
    if (now - s.rejectWindow > FLOOD_WINDOW_MS) {
      s.rejectWindow = now;
      s.rejected = 0;
    }
    if (++s.rejected > Math.max(FLOOD_REFUSALS, this.burst * 2)) {
      this.host.shut(conn, { type: 'error', code: 'flood', message: 'too many requests over the rate limit; disconnected' }, 'flood', 'flooding');
      return false;
    }
    const message =
      cost === 1
        ? `slow down: at most ${this.rate} messages per second`
        : `slow down: a ${kind} counts as ${cost} messages, and you may send at most ${this.rate} per second`;
    this.host.send(conn, { type: 'error', code: 'rate_limited', message, ...(ref !== undefined && { ref }), retryAfter: s.bucket.wait(cost) });
    return false;
  }
}

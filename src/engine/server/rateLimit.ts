import type { ErrorCode, ServerFrame } from '../protocol';
import type { Connection } from './connection';

/** What the rate limit needs from the server. */
export interface RateLimitHost {
  send(conn: Connection, frame: ServerFrame): void;
  shut(conn: Connection, last: ServerFrame, code: ErrorCode, reason: string): void;
}

/** Refusals within FLOOD_WINDOW_MS before a connection is cut as a flood (at least; see charge()). */
const FLOOD_REFUSALS = 50;
const FLOOD_WINDOW_MS = 10_000;

/**
 * The per-person rate limit on work: messages, file offers, and (costing
 * more) searches and history pages all draw on one token bucket per session.
 * A request over the limit is answered `rate_limited` with `retryAfter`; a
 * connection that keeps pushing past it is cut as a `flood`.
 */
export class RateLimit {
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly host: RateLimitHost,
  ) {}

  /** Take `cost` tokens for a request; false, with the refusal already sent, when over the limit. */
  charge(conn: Connection, ref: string | undefined, cost = 1, what = 'messages'): boolean {
    const s = conn.session;
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
    const message = `slow down: at most ${this.rate} ${what} per second`;
    this.host.send(conn, { type: 'error', code: 'rate_limited', message, ...(ref !== undefined && { ref }), retryAfter: s.bucket.wait(cost) });
    return false;
  }
}

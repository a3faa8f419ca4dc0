import type { SendFrame, WelcomeFrame } from '../protocol';
import { TokenBucket } from '../tokenBucket';

/** The server's message rate limit, as its welcome states it. */
export type RateLimits = Pick<WelcomeFrame['limits'], 'rate' | 'burst'>;

interface Entry {
  frame: SendFrame;
  /** Written on the current link; cleared when the link drops or the server asks for a resend. */
  sent: boolean;
}

/**
 * The part of the server's burst left unused. The server measures arrival
 * times, not our send times, so two messages sent 100 ms apart may arrive
 * together; a few tokens of slack absorb that instead of earning a refusal.
 */
export function headroom(burst: number): number {
  return Math.min(burst - 1, Math.max(1, Math.ceil(burst / 10)));
}

/**
 * Messages sent but not yet acknowledged (their echo is the acknowledgement).
 * While online it writes them in order, paced by a token bucket that mirrors
 * the server's limits from the welcome, so a long queue (written while the
 * server was down) goes out at the rate the server accepts instead of all at
 * once, which would earn `rate_limited` and then a `flood` disconnect.
 */
export class Outbox {
  private readonly entries = new Map<string, Entry>();
  private write?: (frame: SendFrame) => boolean;
  private rate = 0;
  private bucket = new TokenBucket(0, 1);
  private timer?: NodeJS.Timeout;

  /** Messages not yet acknowledged. */
  get size(): number {
    return this.entries.size;
  }

  /** Keep a message until it is acknowledged; it goes out when the pace allows. */
  add(frame: SendFrame): void {
    this.entries.set(frame.id, { frame, sent: false });
    this.pump();
  }

  /** The echo of `id` arrived. True when it was waiting here. */
  ack(id: string): boolean {
    return this.entries.delete(id);
  }

  /** The server refused `id` for good: forget it, and return it. */
  drop(id: string): SendFrame | undefined {
    const e = this.entries.get(id);
    this.entries.delete(id);
    return e?.frame;
  }

  /** The server could not take `id` now (rate_limited, store_failed): send it again, and nothing at all for `ms`. */
  retry(id: string, ms: number): void {
    const e = this.entries.get(id);
    if (!e) return;
    e.sent = false;
    if (!this.write) return;
    // Our mirror of the server's bucket was too generous: empty it, so sending resumes at the steady rate.
    if (this.rate > 0) while (this.bucket.take());
    clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(50, ms),
    );
  }

  /**
   * A link is up (a welcome arrived): resend everything unacknowledged, in
   * order, under these limits. `write` returns false when the link is gone
   * and nothing was written.
   */
  online(write: (frame: SendFrame) => boolean, limits: RateLimits | undefined): void {
    this.offline();
    this.write = write;
    // A server that states no limits is not paced; its refusals still slow us down through retry().
    this.rate = limits && limits.rate > 0 ? limits.rate : 0;
    const burst = limits && limits.burst >= 1 ? Math.floor(limits.burst) : 1;
    this.bucket = new TokenBucket(this.rate, this.rate > 0 ? burst - headroom(burst) : 1);
    this.pump();
  }

  /** The link is down: stop writing; everything unacknowledged waits for the next online(). */
  offline(): void {
    this.write = undefined;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const e of this.entries.values()) e.sent = false;
  }

  /** Write what the pace allows now, and come back when the next token is due. */
  private pump(): void {
    if (!this.write || this.timer) return;
    for (const e of this.entries.values()) {
      if (e.sent) continue;
      if (!this.bucket.take()) {
        this.timer = setTimeout(
          () => {
            this.timer = undefined;
            this.pump();
          },
          Math.max(1, this.bucket.wait()),
        );
        return;
      }
      e.sent = true;
      if (!this.write(e.frame)) {
        e.sent = false;
        return;
      }
    }
  }
}

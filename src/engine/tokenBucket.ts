/** A token bucket: `burst` tokens at most, refilled at `rate` per second. A rate of 0 never limits. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
    this.last = performance.now();
  }

  /** Take `cost` tokens if the bucket holds them; false (and nothing taken) when it does not. */
  take(cost = 1): boolean {
    if (this.rate <= 0) return true;
    this.refill();
    if (this.tokens >= cost) {
      this.tokens -= cost;
      return true;
    }
    return false;
  }

  /**
   * Take `cost` tokens even into debt (for work already done, such as a line
   * already read). False while the bucket is in debt: wait() says how long.
   */
  charge(cost = 1): boolean {
    if (this.rate <= 0) return true;
    this.refill();
    this.tokens -= cost;
    return this.tokens >= 0;
  }

  /** Milliseconds until `cost` tokens are available. */
  wait(cost = 1): number {
    if (this.rate <= 0 || this.tokens >= cost) return 0;
    return Math.ceil(((cost - this.tokens) / this.rate) * 1000);
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }
}

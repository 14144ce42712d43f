// A token bucket in bytes: snapshot transfer and log catch-up take from it so a returning node
// cannot starve new writes of disk and network. Pure: the time is always passed in.

export interface TokenBucketOptions {
  bytesPerSecond: number; // sustained rate
  burstBytes: number; // bucket size: what may go at once after a quiet period
}

export class TokenBucket {
  private tokens: number; // may go negative: a debt the next delays pay off
  private lastRefillMs: number | undefined;

  constructor(private readonly options: TokenBucketOptions) {
    if (!(options.bytesPerSecond > 0) || !(options.burstBytes >= 0)) {
      throw new RangeError(`token bucket needs bytesPerSecond > 0 and burstBytes >= 0, got ${options.bytesPerSecond} and ${options.burstBytes}`);
    }
    this.tokens = options.burstBytes; // starts full
  }

  /**
   * Takes `bytes` at time `nowMs` and returns how many ms to wait before sending them (0: send now).
   * The bytes are taken even when a delay is returned, so call it once per send. A send larger than
   * the burst is allowed and simply waits longer. A clock going backwards counts as no time passing.
   */
  take(bytes: number, nowMs: number): number {
    if (!(bytes >= 0)) throw new RangeError(`cannot take ${bytes} bytes`);
    this.refill(nowMs);
    this.tokens -= bytes;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.options.bytesPerSecond);
  }

  /** Tokens available at nowMs (negative while in debt). */
  available(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens;
  }

  private refill(nowMs: number): void {
    if (this.lastRefillMs !== undefined && nowMs > this.lastRefillMs) {
      const earned = ((nowMs - this.lastRefillMs) * this.options.bytesPerSecond) / 1000;
      this.tokens = Math.min(this.options.burstBytes, this.tokens + earned);
    }
    this.lastRefillMs = Math.max(this.lastRefillMs ?? nowMs, nowMs);
  }
}

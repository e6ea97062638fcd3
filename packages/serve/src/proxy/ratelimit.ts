/**
 * Per-account rate limit: a token bucket per account (`ratePerSec` requests per second
 * on average, bursts of up to `burst`). A request that finds its bucket empty is
 * refused at once (429, Retry-After: the seconds until a token is back).
 */
export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly ratePerSec: number,
    readonly burst: number,
    readonly now: () => number = () => performance.now(),
  ) {
    if (!(ratePerSec > 0) || !Number.isFinite(ratePerSec)) throw new RangeError('rate must be a positive number');
    if (!Number.isInteger(burst) || burst < 1) throw new RangeError('burst must be an integer ≥ 1');
  }

  /** Take a token for `account`: 0 if granted, else the seconds to wait. */
  take(account: string): number {
    const t = this.now();
    let b = this.#buckets.get(account);
    if (!b) this.#buckets.set(account, (b = { tokens: this.burst, at: t }));
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.ratePerSec);
    b.at = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return (1 - b.tokens) / this.ratePerSec;
  }
}

/** Per-key token bucket: `perMinute` requests a minute, with bursts up to the same number. */
export interface RateLimiterOptions {
  readonly perMinute: number;
  readonly now: () => number;
}

export class RateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #opts: RateLimiterOptions;

  constructor(opts: RateLimiterOptions) {
    this.#opts = opts;
  }

  /** Seconds to wait, or 0 when the request may proceed (and is counted). */
  take(key: string): number {
    const { perMinute, now } = this.#opts;
    if (perMinute <= 0) return 0;
    const t = now();
    const rate = perMinute / 60_000;
    const b = this.#buckets.get(key) ?? { tokens: perMinute, at: t };
    b.tokens = Math.min(perMinute, b.tokens + (t - b.at) * rate);
    b.at = t;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      this.#buckets.set(key, b);
      return 0;
    }
    this.#buckets.set(key, b);
    return Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
  }
}

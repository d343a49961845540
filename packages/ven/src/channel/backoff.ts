/**
 * Reconnect delays: exponential from `baseMs` to `maxMs`, with "equal jitter" (half fixed,
 * half random) so a fleet that lost its PCE at the same moment does not come back at once.
 */
export interface BackoffOptions {
  readonly baseMs?: number;
  readonly maxMs?: number;
  /** [0, 1); injected so tests are deterministic. */
  readonly random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 1_000;
    this.maxMs = opts.maxMs ?? 60_000;
    this.random = opts.random ?? Math.random;
  }

  next(): number {
    const cap = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.round(cap / 2 + this.random() * (cap / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}

/**
 * A cache of rendered collection answers (JSON text) for hot lists such as workloads. Writes
 * in this process invalidate the org at once; entries also expire after `ttlMs`, which
 * bounds staleness when several PCE processes share one PostgreSQL.
 */
export class ListCache {
  readonly #entries = new Map<string, { body: string; total: number; at: number; gen: number }>();
  readonly #gen = new Map<number, number>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #max: number;

  constructor(ttlMs: number, now: () => number, max = 256) {
    this.#ttlMs = ttlMs;
    this.#now = now;
    this.#max = max;
  }

  get(org: number, key: string): { body: string; total: number } | undefined {
    const e = this.#entries.get(`${org} ${key}`);
    if (!e || e.gen !== (this.#gen.get(org) ?? 0) || this.#now() - e.at > this.#ttlMs) return undefined;
    return e;
  }

  /** The generation to pass back to `set`, read before computing the answer. */
  generation(org: number): number {
    return this.#gen.get(org) ?? 0;
  }

  set(org: number, key: string, gen: number, body: string, total: number): void {
    if (gen !== this.generation(org)) return; // a write happened meanwhile
    if (this.#entries.size >= this.#max) this.#entries.clear();
    this.#entries.set(`${org} ${key}`, { body, total, at: this.#now(), gen });
  }

  invalidate(org: number): void {
    this.#gen.set(org, this.generation(org) + 1);
  }
}

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
  readonly #inflight = new Map<string, Promise<{ body: string; total: number }>>();

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

  /**
   * The cached answer, or one computation shared by every concurrent caller of the same
   * key (so an expiry under load renders once, not once per waiting request).
   */
  async getOrCompute(org: number, key: string, compute: () => Promise<{ body: string; total: number }>): Promise<{ body: string; total: number }> {
    const hit = this.get(org, key);
    if (hit) return hit;
    const k = `${org} ${key} ${this.generation(org)}`;
    const running = this.#inflight.get(k);
    if (running) return running;
    const gen = this.generation(org);
    const p = compute()
      .then((r) => {
        this.set(org, key, gen, r.body, r.total);
        return r;
      })
      .finally(() => this.#inflight.delete(k));
    this.#inflight.set(k, p);
    return p;
  }

  invalidate(org: number): void {
    this.#gen.set(org, this.generation(org) + 1);
  }
}

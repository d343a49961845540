/**
 * A cache of rendered collection answers (JSON text) for hot lists such as workloads. Writes
 * in this process invalidate the org at once; entries also expire after `ttlMs`, which
 * bounds staleness when several PCE processes share one PostgreSQL (an expired entry is
 * answered once more while its refresh runs).
 */
import { gzipSync } from 'node:zlib';

export interface CachedList {
  readonly body: string;
  readonly total: number;
  /** The body gzip-compressed, made once on first request (clients send Accept-Encoding: gzip). */
  gzipped(): Buffer;
}

function cachedList(body: string, total: number): CachedList {
  let gz: Buffer | undefined;
  return { body, total, gzipped: () => (gz ??= gzipSync(body, { level: 6 })) };
}

export class ListCache {
  readonly #entries = new Map<string, { list: CachedList; at: number; gen: number }>();
  readonly #gen = new Map<number, number>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #max: number;
  readonly #inflight = new Map<string, Promise<CachedList>>();

  constructor(ttlMs: number, now: () => number, max = 256) {
    this.#ttlMs = ttlMs;
    this.#now = now;
    this.#max = max;
  }

  get(org: number, key: string): CachedList | undefined {
    const e = this.#entries.get(`${org} ${key}`);
    if (!e || e.gen !== (this.#gen.get(org) ?? 0) || this.#now() - e.at > this.#ttlMs) return undefined;
    return e.list;
  }

  /** The generation to pass back to `set`, read before computing the answer. */
  generation(org: number): number {
    return this.#gen.get(org) ?? 0;
  }

  set(org: number, key: string, gen: number, list: CachedList): void {
    if (gen !== this.generation(org)) return; // a write happened meanwhile
    if (this.#entries.size >= this.#max) this.#entries.clear();
    this.#entries.set(`${org} ${key}`, { list, at: this.#now(), gen });
  }

  /**
   * The cached answer, or one computation shared by every concurrent caller of the same
   * key (so an expiry under load renders once, not once per waiting request).
   */
  async getOrCompute(org: number, key: string, compute: () => Promise<{ body: string; total: number }>): Promise<CachedList> {
    const hit = this.get(org, key);
    if (hit) return hit;
    // Expired but of the current generation (no write here since): answer it while one
    // refresh runs, so an expiry under load never makes every waiting request stall.
    const e = this.#entries.get(`${org} ${key}`);
    if (e && e.gen === this.generation(org)) {
      void this.#refresh(org, key, compute).catch(() => undefined);
      return e.list;
    }
    return this.#refresh(org, key, compute);
  }

  #refresh(org: number, key: string, compute: () => Promise<{ body: string; total: number }>): Promise<CachedList> {
    const k = `${org} ${key} ${this.generation(org)}`;
    const running = this.#inflight.get(k);
    if (running) return running;
    const gen = this.generation(org);
    const p = compute()
      .then((r) => {
        const list = cachedList(r.body, r.total);
        this.set(org, key, gen, list);
        return list;
      })
      .finally(() => this.#inflight.delete(k));
    this.#inflight.set(k, p);
    return p;
  }

  invalidate(org: number): void {
    this.#gen.set(org, this.generation(org) + 1);
  }
}

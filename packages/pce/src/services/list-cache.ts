/**
 * A cache of rendered collection answers (JSON text, its UTF-8 bytes and its gzip) for hot
 * lists such as workloads. Writes in this process invalidate the org at once; entries are
 * also re-read after `ttlMs`, which bounds staleness when several PCE processes share one
 * database (an expired entry is answered while its refresh runs).
 *
 * A refresh must not stall the event loop that serves every other request: it asks the
 * source whether anything changed since the version it has (a cheap read) and renders only
 * when something did, and the gzip is made on libuv's thread pool, once per rendering.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

export interface CachedList {
  readonly body: string;
  readonly total: number;
  /** Identifies the content: the source answers `unchanged` when it still matches. */
  readonly version: string;
  /** The body as UTF-8, encoded once (not on every request). */
  utf8(): Buffer;
  /** The body gzip-compressed (clients send Accept-Encoding: gzip), made once. */
  gzipped(): Buffer;
}

/** What a list's source answers: a new rendering, or that `previous` still holds. */
export type ListAnswer = { readonly version: string; readonly total: number; readonly body: string } | { readonly unchanged: true };

/** Reads a list; given the version in the cache it may answer `{ unchanged: true }`. */
export type ListSource = (previous: string | undefined) => Promise<ListAnswer>;

async function cachedList(body: string, total: number, version: string): Promise<CachedList> {
  const gz = await gzipAsync(body, { level: 6 });
  let bytes: Buffer | undefined;
  return { body, total, version, utf8: () => (bytes ??= Buffer.from(body, 'utf8')), gzipped: () => gz };
}

interface Entry {
  readonly list: CachedList;
  readonly at: number;
  readonly gen: number;
}

export class ListCache {
  readonly #entries = new Map<string, Entry>();
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
    return e && e.gen === this.generation(org) && this.#now() - e.at <= this.#ttlMs ? e.list : undefined;
  }

  /**
   * For a caller that cannot refresh (the hot path, which has no source): a fresh entry, or
   * an expired one of the current generation while its refresh runs, as `getOrCompute` would
   * answer. So only the request that started the refresh leaves the hot path, not every
   * request until the store answers.
   */
  peek(org: number, key: string): CachedList | undefined {
    const e = this.#entries.get(`${org} ${key}`);
    if (!e || e.gen !== this.generation(org)) return undefined;
    return this.#now() - e.at <= this.#ttlMs || this.#inflight.has(`${org} ${key} ${e.gen}`) ? e.list : undefined;
  }

  /** The generation to pass back to `set`, read before computing the answer. */
  generation(org: number): number {
    return this.#gen.get(org) ?? 0;
  }

  set(org: number, key: string, gen: number, list: CachedList): void {
    if (gen !== this.generation(org)) return; // a write happened meanwhile
    if (this.#entries.size >= this.#max && !this.#entries.has(`${org} ${key}`)) this.#entries.clear();
    this.#entries.set(`${org} ${key}`, { list, at: this.#now(), gen });
  }

  /**
   * The cached answer, or one computation shared by every concurrent caller of the same
   * key (so an expiry under load reads once, not once per waiting request).
   */
  async getOrCompute(org: number, key: string, source: ListSource): Promise<CachedList> {
    const e = this.#entries.get(`${org} ${key}`);
    if (e && e.gen === this.generation(org)) {
      if (this.#now() - e.at <= this.#ttlMs) return e.list;
      // Expired but of the current generation (no write here since): answer it while one
      // refresh runs, so an expiry under load never makes the waiting requests stall.
      void this.#refresh(org, key, source, e.list).catch(() => undefined);
      return e.list;
    }
    // After a write every caller waits for the store, but a rendering from before the write
    // is still reused when the source says its version holds (the write was elsewhere).
    return this.#refresh(org, key, source, e?.list);
  }

  #refresh(org: number, key: string, source: ListSource, previous: CachedList | undefined): Promise<CachedList> {
    const gen = this.generation(org);
    const k = `${org} ${key} ${gen}`;
    const running = this.#inflight.get(k);
    if (running) return running;
    const p = source(previous?.version)
      .then((a) => ('unchanged' in a && previous ? previous : 'body' in a ? cachedList(a.body, a.total, a.version) : Promise.reject(new Error('the list source answered unchanged without a previous version'))))
      .then((list) => {
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

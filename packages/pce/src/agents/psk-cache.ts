/**
 * The org's SecureConnect PSK as agents receive it. Read from the store at most every few
 * seconds per org (a push to 1,000 agents must not read it 1,000 times); a rotation in this
 * process drops the cached value at once.
 */
import type { Store } from '../store/store.ts';

export interface PskDelivery {
  readonly current: string;
  /** During a rotation: the previous key, still accepted (make-before-break). */
  readonly previous: string | null;
  readonly generation: number;
}

const TTL_MS = 5_000;

export class PskCache {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #cache = new Map<number, { value: PskDelivery; at: number }>();

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  async get(org: number): Promise<PskDelivery | null> {
    const hit = this.#cache.get(org);
    if (hit && this.#now() - hit.at < TTL_MS) return hit.value;
    const o = await this.#store.read((tx) => tx.getOrg(org));
    if (!o) return null;
    const value = { current: o.psk, previous: o.psk_previous, generation: o.psk_generation };
    this.#cache.set(org, { value, at: this.#now() });
    return value;
  }

  /** The cached value if fresh (synchronous path for pushes). */
  peek(org: number): PskDelivery | null | undefined {
    const hit = this.#cache.get(org);
    return hit && this.#now() - hit.at < TTL_MS ? hit.value : undefined;
  }

  forget(org: number): void {
    this.#cache.delete(org);
  }
}

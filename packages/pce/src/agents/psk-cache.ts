/**
 * The org's SecureConnect PSK as agents receive it (the rotation step included). Read from
 * the store at most every few seconds per org (a push to 1,000 agents must not read it 1,000
 * times); a rotation step in this process drops the cached value at once.
 */
import type { Store } from '../store/store.ts';
import { pskDelivery, pskVens, type PskDelivery } from './psk-rotation.ts';

export type { PskDelivery } from './psk-rotation.ts';

const TTL_MS = 5_000;

export class PskCache {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #cache = new Map<number, { value: PskDelivery; at: number }>();
  /** The rotation step last handed out per org (survives cache expiry). */
  readonly #lastStep = new Map<number, number>();

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  async get(org: number): Promise<PskDelivery | null> {
    const hit = this.#cache.get(org);
    if (hit && this.#now() - hit.at < TTL_MS) return hit.value;
    const value = await this.#store.read(async (tx) => {
      const o = await tx.getOrg(org);
      return o ? pskDelivery(o, await pskVens(tx, org)) : null;
    });
    if (!value) return null;
    this.#lastStep.set(org, value.generation);
    this.#cache.set(org, { value, at: this.#now() });
    return value;
  }

  /** The cached value if fresh (synchronous path for pushes). */
  peek(org: number): PskDelivery | null | undefined {
    const hit = this.#cache.get(org);
    return hit && this.#now() - hit.at < TTL_MS ? hit.value : undefined;
  }

  lastStep(org: number): number | undefined {
    return this.#lastStep.get(org);
  }

  forget(org: number): void {
    this.#cache.delete(org);
  }
}

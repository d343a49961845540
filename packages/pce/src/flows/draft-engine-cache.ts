/**
 * A policy engine per org over the *draft*, for `draft_policy_decision`. Building one costs a
 * snapshot load and an index of every workload, so it is kept until the draft, the workloads
 * or the labels change (`Store.draftStamp`, one cheap read per ingest batch).
 */
import { PolicyEngine } from '@palisade/core/compute/index.ts';
import { loadLabels, loadSnapshot, loadWorkloads } from '../compute/policy-inputs.ts';
import type { Store } from '../store/store.ts';

interface Cached {
  readonly stamp: string;
  readonly engine: Promise<PolicyEngine>;
}

export class DraftEngineCache {
  readonly #store: Store;
  readonly #engines = new Map<number, Cached>();

  constructor(store: Store) {
    this.#store = store;
  }

  async engine(org: number): Promise<PolicyEngine> {
    const stamp = await this.#store.read((tx) => tx.draftStamp(org));
    const hit = this.#engines.get(org);
    if (hit && hit.stamp === stamp) return hit.engine;
    const engine = this.#store.read(async (tx) => new PolicyEngine({ snapshot: await loadSnapshot(tx, org, 'draft'), workloads: await loadWorkloads(tx, org), labels: await loadLabels(tx, org) }));
    this.#engines.set(org, { stamp, engine });
    engine.catch(() => this.#engines.delete(org));
    return engine;
  }
}

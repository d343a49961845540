/**
 * The PCE's side of policy compute: one engine per org over the active policy, built lazily
 * from the store and kept current — a provision swaps the policy, a workload write updates
 * one workload — so only the workloads whose plan can change are recomputed. Listeners (the
 * agent channel) hear which workloads' plans changed.
 *
 * With several PCE processes on one PostgreSQL, each notices a newer active version on its
 * next use; workload writes made by another process are picked up when the engine is
 * rebuilt (`invalidate`).
 */
import { PolicyEngine, checkPolicy, checkPolicySnapshot, type ChangeResult, type PolicyCheckQuery, type PolicyCheckResult, type WorkloadPlan } from '@palisade/core/compute/index.ts';
import type { Store } from '../store/store.ts';
import { computeWorkloadOf, loadLabels, loadSnapshot, loadWorkloads } from './policy-inputs.ts';

export type PlanListener = (org: number, change: ChangeResult, policyVersion: number) => void;

interface OrgEngine {
  readonly engine: PolicyEngine;
  version: number;
}

export class ComputeService {
  readonly #store: Store;
  readonly #engines = new Map<number, Promise<OrgEngine>>();
  readonly #listeners = new Set<PlanListener>();
  readonly #updating = new Map<number, Promise<unknown>>();
  /** Engines that finished building (the promises above, resolved). */
  readonly #built = new Map<number, OrgEngine>();

  constructor(store: Store) {
    this.#store = store;
  }

  onChange(listener: PlanListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(org: number, change: ChangeResult, version: number): void {
    if (change.changed.length + change.removed.length === 0) return;
    for (const l of this.#listeners) l(org, change, version);
  }

  async #build(org: number): Promise<OrgEngine> {
    return this.#store.read(async (tx) => {
      const snapshot = await loadSnapshot(tx, org, 'active');
      const engine = new PolicyEngine({ snapshot, workloads: await loadWorkloads(tx, org), labels: await loadLabels(tx, org) });
      engine.computeAll();
      const built = { engine, version: typeof snapshot.version === 'number' ? snapshot.version : 0 };
      this.#built.set(org, built);
      return built;
    });
  }

  /** The org's engine, with the newest active version applied. */
  async engine(org: number): Promise<OrgEngine> {
    let p = this.#engines.get(org);
    if (!p) {
      p = this.#build(org);
      this.#engines.set(org, p);
      p.catch(() => this.#engines.delete(org));
    }
    const e = await p;
    const latest = await this.#store.read((tx) => tx.latestVersion(org));
    if (latest > e.version) await this.policyProvisioned(org);
    return e;
  }

  /** Forget an org's engine (after a failure, or to pick up other processes' writes). */
  invalidate(org: number): void {
    this.#engines.delete(org);
    this.#built.delete(org);
  }

  /** Apply the newest active policy; answers the workloads whose plan changed. */
  async policyProvisioned(org: number): Promise<ChangeResult> {
    // One update at a time per org: provisions and engine reads may race.
    const prev = this.#updating.get(org) ?? Promise.resolve();
    const next = prev.then(() => this.#applyLatest(org));
    this.#updating.set(org, next.catch(() => undefined));
    return next;
  }

  async #applyLatest(org: number): Promise<ChangeResult> {
    const p = this.#engines.get(org);
    if (!p) return { changed: [], removed: [], recomputed: 0 };
    const e = await p;
    try {
      const snapshot = await this.#store.read((tx) => loadSnapshot(tx, org, 'active'));
      const version = typeof snapshot.version === 'number' ? snapshot.version : 0;
      if (version <= e.version) return { changed: [], removed: [], recomputed: 0 };
      const change = e.engine.setPolicy(snapshot);
      e.version = version;
      this.#emit(org, change, version);
      return change;
    } catch (err) {
      this.invalidate(org);
      throw err;
    }
  }

  /** A workload was created, changed or deleted in the store. */
  async workloadChanged(org: number, id: string): Promise<void> {
    const p = this.#engines.get(org);
    if (!p) return;
    const e = await p;
    try {
      const { row, labels } = await this.#store.read(async (tx) => ({ row: await tx.getWorkload(org, id), labels: await loadLabels(tx, org) }));
      e.engine.defineLabels(labels);
      const change = row ? e.engine.updateWorkload(computeWorkloadOf(org, row)) : e.engine.removeWorkload(id);
      this.#emit(org, change, e.version);
    } catch (err) {
      this.invalidate(org);
      throw err;
    }
  }

  /** The plan in the org's engine as it stands (no freshness check): for change listeners. */
  currentPlan(org: number, workloadId: string): { plan: WorkloadPlan | undefined; version: number } | undefined {
    const e = this.#built.get(org);
    return e ? { plan: e.engine.plan(workloadId), version: e.version } : undefined;
  }

  async plan(org: number, workloadId: string): Promise<{ plan: WorkloadPlan | undefined; version: number }> {
    const e = await this.engine(org);
    return { plan: e.engine.plan(workloadId), version: e.version };
  }

  /** Decide a connection against the active policy (the org's engine) or the draft (a one-off engine). */
  async check(org: number, q: PolicyCheckQuery, against: 'active' | 'draft'): Promise<PolicyCheckResult> {
    if (against === 'active') {
      return checkPolicy((await this.engine(org)).engine, q);
    }
    const input = await this.#store.read(async (tx) => ({ snapshot: await loadSnapshot(tx, org, 'draft'), workloads: await loadWorkloads(tx, org), labels: await loadLabels(tx, org) }));
    return checkPolicySnapshot(input, q);
  }
}

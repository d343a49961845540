/**
 * Flow ingest (issue 6): a VEN's batch of flow summaries becomes stored flows, each
 * attributed to the workloads at its two IPs (with their labels at that moment) and decided
 * against the active and the draft policy by the same check the agents enforce
 * (`checkPolicy`, DESIGN §3). Decisions are computed before the write transaction, so the
 * write lock is held only for the inserts; a batch is one transaction, and a batch id seen
 * before stores nothing (the VEN resends after a PCE outage).
 */
import { checkPolicy, type PolicyEngine } from '@palisade/core/compute/index.ts';
import { parseAddress } from '@palisade/core/compute/address-ranges.ts';
import type { PceEnv } from '../env.ts';
import type { ComputeService } from '../compute/compute-service.ts';
import type { FlowDecision, NewFlowRow, Store } from '../store/store.ts';
import { DraftEngineCache } from './draft-engine-cache.ts';
import type { FlowBatch } from './flow-schemas.ts';

/** Who reported a batch: the VEN's workload. */
export interface FlowReporter {
  readonly org: number;
  readonly workloadId: string;
}

interface Attribution {
  readonly workload: string | null;
  /** Sorted label ids; null when no workload has the IP. */
  readonly labelKey: string | null;
  readonly labels: readonly number[];
}

/** Distinct connection tuples remembered per org (about 100 bytes each). */
const DECISION_CACHE_SIZE = 200_000;

const NONE: Attribution = { workload: null, labelKey: null, labels: [] };

/** The workload at an IP in the engine (the lowest href when several share it, as policy check does). */
function attribute(engine: PolicyEngine, ip: string): Attribution {
  const a = parseAddress(ip);
  if (!a) return NONE;
  let best: { id: string; href: string; labels: readonly string[] } | undefined;
  for (const i of engine.workloadsAt(a)) {
    const w = engine.recordAt(i)?.w;
    if (w && (!best || w.href < best.href)) best = w;
  }
  if (!best) return NONE;
  const labels = best.labels.map(Number).sort((x, y) => x - y);
  return { workload: best.id, labelKey: labels.join(','), labels };
}

export class FlowIngest {
  readonly #store: Store;
  readonly #compute: ComputeService;
  readonly #env: PceEnv;
  readonly #drafts: DraftEngineCache;
  /** org → label-set key → id; filled only after the transaction that interned it commits. */
  readonly #labelSets = new Map<number, Map<string, number>>();
  readonly #decisions = new Map<number, { active: PolicyEngine; version: number; draft: PolicyEngine; generation: number; decided: Map<string, readonly [FlowDecision, FlowDecision]> }>();
  #generation = 0;

  constructor(store: Store, compute: ComputeService, env: PceEnv) {
    this.#store = store;
    this.#compute = compute;
    this.#env = env;
    this.#drafts = new DraftEngineCache(store);
    // Plans changed (a workload's addresses, labels or mode, or the policy): forget decisions.
    // A workload change also makes a new draft engine (its stamp changes), which does the same.
    compute.onChange(() => this.#generation++);
  }

  #decisionCache(org: number, active: PolicyEngine, version: number, draft: PolicyEngine): Map<string, readonly [FlowDecision, FlowDecision]> {
    const c = this.#decisions.get(org);
    if (c && c.active === active && c.version === version && c.draft === draft && c.generation === this.#generation) return c.decided;
    const fresh = { active, version, draft, generation: this.#generation, decided: new Map<string, readonly [FlowDecision, FlowDecision]>() };
    this.#decisions.set(org, fresh);
    return fresh.decided;
  }

  /** Stores a batch; answers the number of flows accepted (those of a resent batch included). */
  async ingest(reporter: FlowReporter, batch: FlowBatch): Promise<number> {
    const { org } = reporter;
    const { engine: active, version: activeVersion } = await this.#compute.engine(org);
    const draft = await this.#drafts.engine(org);
    const reporterRec = active.recordOf(reporter.workloadId)?.w;
    const withBytes = reporterRec?.visibility_level === 'enhanced_data_collection';

    const byIp = new Map<string, Attribution>();
    const at = (ip: string): Attribution => {
      let a = byIp.get(ip);
      if (!a) byIp.set(ip, (a = attribute(active, ip)));
      return a;
    };
    // Summaries repeat their connection tuples batch after batch: decide each tuple once per
    // pair of engines (a provision, a draft edit or a workload change makes new engines or
    // bumps the version, which starts a new cache).
    const decided = this.#decisionCache(org, active, activeVersion, draft);
    const decide = (src: string, dst: string, proto: number, port: number | undefined): readonly [FlowDecision, FlowDecision] => {
      const key = `${src} ${dst} ${proto} ${port ?? ''}`;
      let d = decided.get(key);
      if (!d) {
        const q = port === undefined ? { src, dst, proto } : { src, dst, proto, port };
        d = [checkPolicy(active, q).decision, checkPolicy(draft, q).decision];
        if (decided.size >= DECISION_CACHE_SIZE) decided.clear();
        decided.set(key, d);
      }
      return d;
    };

    // Label sets first (a small transaction of its own, only for sets never seen): interning
    // is idempotent, so it is harmless even when the batch turns out to be a resend.
    let sets = this.#labelSets.get(org) ?? new Map<string, number>();
    const unknownSets = new Map<string, readonly number[]>();
    for (const f of batch.flows) {
      for (const a of [at(f.src_ip), at(f.dst_ip)]) if (a.labelKey !== null && !sets.has(a.labelKey)) unknownSets.set(a.labelKey, a.labels);
    }
    if (unknownSets.size > 0) {
      const ids = await this.#store.transaction((tx) => tx.labelSetIds(org, [...unknownSets.values()]));
      sets = new Map(sets);
      [...unknownSets.keys()].forEach((k, i) => sets.set(k, ids[i] ?? -1));
      this.#labelSets.set(org, sets);
    }
    const setOf = (k: string | null): number | null => (k === null ? null : (sets.get(k) ?? null));

    const rows: NewFlowRow[] = new Array<NewFlowRow>(batch.flows.length);
    batch.flows.forEach((f, i) => {
      const src = at(f.src_ip);
      const dst = at(f.dst_ip);
      const [policy, draftPolicy] = decide(f.src_ip, f.dst_ip, f.proto, f.dst_port);
      rows[i] = {
        org_id: org,
        src_ip: f.src_ip,
        dst_ip: f.dst_ip,
        src_workload: src.workload,
        dst_workload: dst.workload,
        src_set: setOf(src.labelKey),
        dst_set: setOf(dst.labelKey),
        proto: f.proto,
        port: f.dst_port ?? null,
        direction: f.direction,
        first_seen: Date.parse(f.first_seen),
        last_seen: Date.parse(f.last_seen),
        connections: f.connections,
        bytes_in: withBytes ? (f.bytes_in ?? null) : null,
        bytes_out: withBytes ? (f.bytes_out ?? null) : null,
        reporter_workload: reporter.workloadId,
        state: f.state,
        // What the host's firewall already blocked is blocked, whatever the policy says now.
        policy_decision: f.state === 'blocked' ? 'blocked' : policy,
        draft_policy_decision: draftPolicy,
      };
    });

    const now = this.#env.now().getTime();
    await this.#store.transaction(async (tx) => {
      const fresh = await tx.recordFlowBatch({ org_id: org, batch_id: batch.batch_id, reporter_workload: reporter.workloadId, received_at: now, flows: batch.flows.length, dropped: batch.dropped });
      if (fresh) await tx.insertFlows(rows);
    });
    return batch.flows.length;
  }
}

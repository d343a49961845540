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

  constructor(store: Store, compute: ComputeService, env: PceEnv) {
    this.#store = store;
    this.#compute = compute;
    this.#env = env;
    this.#drafts = new DraftEngineCache(store);
  }

  /** Stores a batch; answers the number of flows accepted (those of a resent batch included). */
  async ingest(reporter: FlowReporter, batch: FlowBatch): Promise<number> {
    const { org } = reporter;
    const active = (await this.#compute.engine(org)).engine;
    const draft = await this.#drafts.engine(org);
    const reporterRec = active.recordOf(reporter.workloadId)?.w;
    const withBytes = reporterRec?.visibility_level === 'enhanced_data_collection';

    const byIp = new Map<string, Attribution>();
    const at = (ip: string): Attribution => {
      let a = byIp.get(ip);
      if (!a) byIp.set(ip, (a = attribute(active, ip)));
      return a;
    };
    // Many summaries of a batch share a connection tuple: decide each tuple once.
    const decided = new Map<string, readonly [FlowDecision, FlowDecision]>();
    const decide = (src: string, dst: string, proto: number, port: number | undefined): readonly [FlowDecision, FlowDecision] => {
      const key = `${src} ${dst} ${proto} ${port ?? ''}`;
      let d = decided.get(key);
      if (!d) {
        const q = port === undefined ? { src, dst, proto } : { src, dst, proto, port };
        d = [checkPolicy(active, q).decision, checkPolicy(draft, q).decision];
        decided.set(key, d);
      }
      return d;
    };

    const sets = this.#labelSets.get(org) ?? new Map<string, number>();
    const rows: (Omit<NewFlowRow, 'src_set' | 'dst_set'> & { srcKey: string | null; dstKey: string | null })[] = [];
    const unknownSets = new Map<string, readonly number[]>();
    for (const f of batch.flows) {
      const src = at(f.src_ip);
      const dst = at(f.dst_ip);
      for (const a of [src, dst]) if (a.labelKey !== null && !sets.has(a.labelKey)) unknownSets.set(a.labelKey, a.labels);
      const [policy, draftPolicy] = decide(f.src_ip, f.dst_ip, f.proto, f.dst_port);
      rows.push({
        org_id: org,
        src_ip: f.src_ip,
        dst_ip: f.dst_ip,
        src_workload: src.workload,
        dst_workload: dst.workload,
        srcKey: src.labelKey,
        dstKey: dst.labelKey,
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
      });
    }

    const now = this.#env.now().getTime();
    const interned = await this.#store.transaction(async (tx) => {
      const fresh = await tx.recordFlowBatch({ org_id: org, batch_id: batch.batch_id, reporter_workload: reporter.workloadId, received_at: now, flows: batch.flows.length, dropped: batch.dropped });
      if (!fresh) return undefined;
      const keys = [...unknownSets.keys()];
      const ids = keys.length === 0 ? [] : await tx.labelSetIds(org, [...unknownSets.values()]);
      const local = new Map(sets);
      keys.forEach((k, i) => local.set(k, ids[i] ?? -1));
      const setOf = (k: string | null): number | null => (k === null ? null : (local.get(k) ?? null));
      await tx.insertFlows(rows.map(({ srcKey, dstKey, ...r }) => ({ ...r, src_set: setOf(srcKey), dst_set: setOf(dstKey) })));
      return local;
    });
    if (interned) this.#labelSets.set(org, interned);
    return batch.flows.length;
  }
}

/**
 * Flow ingest (issue 6): a VEN's batch of flow reports is added into the daily flow
 * summaries, each report attributed to the workloads at its two IPs (with their labels at
 * that moment) and decided against the active and the draft policy by the same check the
 * agents enforce (`flowDecision`, the decision alone of `checkPolicy`, DESIGN §3). Decisions are computed
 * before the write, which holds the write lock only for the upserts (on SQLite, on a thread
 * of its own); a batch is one transaction, and a batch id seen before stores nothing (the
 * VEN resends after a PCE outage).
 */
import { flowDecision, workloadAtAddress, type PolicyEngine } from '@palisade/core/compute/index.ts';
import { parseAddress, type ParsedAddress } from '@palisade/core/compute/address-ranges.ts';
import type { WorkloadRecord } from '@palisade/core/compute/workload-record.ts';
import type { PceEnv } from '../env.ts';
import type { ComputeService } from '../compute/compute-service.ts';
import type { FlowDecision, FlowEndpoint, NewFlowRow, Store } from '../store/store.ts';
import { DAY_MS } from '../store/migrations/005-flow-summaries.ts';
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

/** An address of a flow as both engines see it, worked out once per engine pair. */
interface Endpoint {
  readonly attribution: Attribution;
  /** Undefined for text that is not an address (validated before: never in practice). */
  readonly address: ParsedAddress | undefined;
  readonly active: WorkloadRecord | undefined;
  readonly draft: WorkloadRecord | undefined;
}

/** What is remembered per org for one pair of engines (a new pair starts afresh). */
interface EngineCache {
  readonly active: PolicyEngine;
  readonly version: number;
  readonly draft: PolicyEngine;
  readonly generation: number;
  readonly decided: Map<string, readonly [FlowDecision, FlowDecision]>;
  readonly endpoints: Map<string, Endpoint>;
}

/** Distinct connection tuples (about 100 bytes each) and addresses remembered per org. */
const DECISION_CACHE_SIZE = 200_000;

const NONE: Attribution = { workload: null, labelKey: null, labels: [] };

/** The workload at an address (the lowest href when several share it, as policy check does) and its labels. */
function attribution(rec: WorkloadRecord | undefined): Attribution {
  if (!rec) return NONE;
  const labels = rec.w.labels.map(Number).sort((x, y) => x - y);
  return { workload: rec.w.id, labelKey: labels.join(','), labels };
}

function endpointOf(c: EngineCache, ip: string): Endpoint {
  let e = c.endpoints.get(ip);
  if (e === undefined) {
    const address = parseAddress(ip);
    const active = address ? workloadAtAddress(c.active, address) : undefined;
    e = { attribution: attribution(active), address, active, draft: address ? workloadAtAddress(c.draft, address) : undefined };
    if (c.endpoints.size >= DECISION_CACHE_SIZE) c.endpoints.clear();
    c.endpoints.set(ip, e);
  }
  return e;
}

/** The org's map, made empty on first use. */
function orgMap<V>(maps: Map<number, Map<string, V>>, org: number): Map<string, V> {
  let m = maps.get(org);
  if (m === undefined) {
    m = new Map();
    maps.set(org, m);
  }
  return m;
}

export class FlowIngest {
  readonly #store: Store;
  readonly #compute: ComputeService;
  readonly #env: PceEnv;
  readonly #drafts: DraftEngineCache;
  /** org → label-set key → id; filled only after the transaction that interned it commits. */
  readonly #labelSets = new Map<number, Map<string, number>>();
  /**
   * org → "ip workload" → endpoint id and the UTC day this process last marked it used;
   * filled only after the transaction that interned (or marked) it commits.
   */
  readonly #endpointIds = new Map<number, Map<string, { readonly id: number; readonly day: number }>>();
  readonly #caches = new Map<number, EngineCache>();
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

  #engineCache(org: number, active: PolicyEngine, version: number, draft: PolicyEngine): EngineCache {
    const c = this.#caches.get(org);
    if (c && c.active === active && c.version === version && c.draft === draft && c.generation === this.#generation) return c;
    const fresh: EngineCache = { active, version, draft, generation: this.#generation, decided: new Map(), endpoints: new Map() };
    this.#caches.set(org, fresh);
    return fresh;
  }

  /** Stores a batch; answers the number of flows accepted (those of a resent batch included). */
  async ingest(reporter: FlowReporter, batch: FlowBatch): Promise<number> {
    const { org } = reporter;
    const { engine: active, version: activeVersion } = await this.#compute.engine(org);
    const draft = await this.#drafts.engine(org);
    const reporterRec = active.recordOf(reporter.workloadId)?.w;
    const withBytes = reporterRec?.visibility_level === 'enhanced_data_collection';

    // Summaries repeat their addresses and connection tuples batch after batch: attribute
    // each address and decide each tuple once per pair of engines (a provision, a draft edit
    // or a workload change makes new engines or bumps the version, which starts afresh).
    const cache = this.#engineCache(org, active, activeVersion, draft);
    const at = (ip: string): Attribution => endpointOf(cache, ip).attribution;
    const decided = cache.decided;
    const decide = (srcIp: string, dstIp: string, proto: number, port: number | undefined): readonly [FlowDecision, FlowDecision] => {
      const key = `${srcIp} ${dstIp} ${proto} ${port ?? ''}`;
      let d = decided.get(key);
      if (!d) {
        const src = endpointOf(cache, srcIp);
        const dst = endpointOf(cache, dstIp);
        const q = port === undefined ? { proto } : { proto, port };
        d =
          src.address && dst.address
            ? [flowDecision(active, { rec: src.active, address: src.address }, { rec: dst.active, address: dst.address }, q), flowDecision(draft, { rec: src.draft, address: src.address }, { rec: dst.draft, address: dst.address }, q)]
            : ['unknown', 'unknown'];
        if (decided.size >= DECISION_CACHE_SIZE) decided.clear();
        decided.set(key, d);
      }
      return d;
    };

    // Label sets and endpoints first (a small transaction of its own, only for those never
    // seen): interning is idempotent, so it is harmless even when the batch is a resend.
    // Interned ids never change, so the maps only grow in place (past the bound, the next
    // batches start a new one); a batch keeps the maps it began with. An endpoint is also
    // marked used today once a day: retention deletes endpoints unused for its whole window,
    // and one it deleted from under this cache is interned again here (a new id) before any
    // summary names it, since the cache's day for it is older than today. (A host whose clock
    // runs ahead reports days to come: they mark its endpoints used until then.)
    const lastSeen = batch.flows.map((f) => Date.parse(f.last_seen));
    const today = Math.floor(lastSeen.reduce((a, t) => Math.max(a, t), this.#env.now().getTime()) / DAY_MS);
    const sets = orgMap(this.#labelSets, org);
    const endpointIds = orgMap(this.#endpointIds, org);
    const unknownSets = new Map<string, readonly number[]>();
    const unknownEndpoints = new Map<string, FlowEndpoint>();
    const endpointKey = (ip: string, a: Attribution): string => (a.workload === null ? ip : `${ip} ${a.workload}`);
    for (const f of batch.flows) {
      for (const ip of [f.src_ip, f.dst_ip]) {
        const a = at(ip);
        if (a.labelKey !== null && !sets.has(a.labelKey)) unknownSets.set(a.labelKey, a.labels);
        const k = endpointKey(ip, a);
        if ((endpointIds.get(k)?.day ?? -1) < today) unknownEndpoints.set(k, { ip, workload: a.workload });
      }
    }
    if (unknownSets.size > 0 || unknownEndpoints.size > 0) {
      const [setIds, epIds] = await this.#store.transaction(async (tx) => [await tx.labelSetIds(org, [...unknownSets.values()]), await tx.flowEndpointIds(org, [...unknownEndpoints.values()], today)] as const);
      [...unknownSets.keys()].forEach((k, i) => sets.set(k, setIds[i] ?? -1));
      [...unknownEndpoints.keys()].forEach((k, i) => endpointIds.set(k, { id: epIds[i] ?? -1, day: today }));
      // Addresses from outside (clients on the internet) are unbounded.
      if (endpointIds.size > DECISION_CACHE_SIZE) this.#endpointIds.set(org, new Map());
    }
    const setOf = (k: string | null): number | null => (k === null ? null : (sets.get(k) ?? null));
    const epOf = (ip: string, a: Attribution): number => endpointIds.get(endpointKey(ip, a))?.id ?? -1;

    const rows: NewFlowRow[] = new Array<NewFlowRow>(batch.flows.length);
    batch.flows.forEach((f, i) => {
      const src = at(f.src_ip);
      const dst = at(f.dst_ip);
      const [policy, draftPolicy] = decide(f.src_ip, f.dst_ip, f.proto, f.dst_port);
      rows[i] = {
        org_id: org,
        src_ep: epOf(f.src_ip, src),
        dst_ep: epOf(f.dst_ip, dst),
        src_set: setOf(src.labelKey),
        dst_set: setOf(dst.labelKey),
        proto: f.proto,
        port: f.dst_port ?? null,
        direction: f.direction,
        first_seen: Date.parse(f.first_seen),
        last_seen: lastSeen[i] ?? 0,
        connections: f.connections,
        bytes_in: withBytes ? (f.bytes_in ?? null) : null,
        bytes_out: withBytes ? (f.bytes_out ?? null) : null,
        state: f.state,
        // What the host's firewall already blocked is blocked, whatever the policy says now.
        policy_decision: f.state === 'blocked' ? 'blocked' : policy,
        draft_policy_decision: draftPolicy,
      };
    });

    const now = this.#env.now().getTime();
    await this.#store.addFlowBatch({ org_id: org, batch_id: batch.batch_id, reporter_workload: reporter.workloadId, received_at: now, flows: batch.flows.length, dropped: batch.dropped }, rows);
    return batch.flows.length;
  }
}

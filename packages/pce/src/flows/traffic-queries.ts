/**
 * Async traffic queries (Illumio's `traffic_flows/async_queries`, DESIGN §6): a query is
 * stored `queued`, run in the background (`working`), and its result written as a data file
 * (`completed`, with `result` the download href) or its error kept (`failed`). Everything
 * lives in the store, so any PCE process can answer a poll or a download.
 */
import { invalid, notFound } from '@palisade/core/errors.ts';
import { orgHref, parseHref, type PolicyVersionRef } from '@palisade/core/href.ts';
import { principalRef, type Principal } from '../auth/principal.ts';
import type { Pce } from '../pce.ts';
import { ipListRanges } from '@palisade/core/compute/address-ranges.ts';
import { parseCidr } from '@palisade/core/ip.ts';
import type { IpList } from '@palisade/core/model/ip-lists.ts';
import type { LabelGroup } from '@palisade/core/model/labels.ts';
import { getObject, type StoredObject } from '../services/policy-store.ts';
import type { FlowEndpointTerm, FlowIpRanges, FlowQuery, FlowQueryRow, FlowSideFilter, FlowSummaryRow, StoreTx } from '../store/store.ts';
import type { Actor, TrafficQuery } from './flow-schemas.ts';

export interface RenderedEndpoint {
  readonly ip: string;
  readonly workload?: { readonly href: string; readonly hostname: string | null; readonly name: string | null; readonly labels: readonly { href: string; key: string; value: string }[] };
}

export interface RenderedFlow {
  readonly src: RenderedEndpoint;
  readonly dst: RenderedEndpoint;
  readonly service: { readonly proto: number; readonly port?: number };
  readonly num_connections: number;
  readonly policy_decision: string;
  readonly draft_policy_decision: string;
  readonly flow_direction: string;
  readonly state: string;
  readonly timestamp_range: { readonly first_detected: string; readonly last_detected: string };
  readonly bytes?: { readonly in: number | null; readonly out: number | null };
}

const queryHref = (org: number, id: string): string => `/orgs/${org}/traffic_flows/async_queries/${id}`;

/** Every range of an IP list or CIDR in one query, at most (SQL text grows with each). */
const MAX_QUERY_RANGES = 10_000;

/** Label ids are database integers: an id beyond them names no label (and must not reach SQL). */
function labelIdOf(id: string): number | undefined {
  const n = /^\d{1,10}$/.test(id) ? Number(id) : NaN;
  return n >= 1 && n <= 2_147_483_647 ? n : undefined;
}

/** A policy object of the org named by href (`/orgs/1/sec_policy/draft|active|N/<type>/<id>`); 406 when it is not one or does not exist. */
async function policyObject(tx: StoreTx, org: number, where: string, h: string, type: 'label_groups' | 'ip_lists'): Promise<{ version: PolicyVersionRef; obj: StoredObject }> {
  const what = type === 'ip_lists' ? 'IP list' : 'label group';
  const p = parseHref(h);
  if (!p || p.kind !== 'policy' || p.org !== org || p.type !== type || p.sub !== undefined) {
    throw invalid('invalid_actor', `${where}: "${h}" is not a ${what} href of org ${org} (/orgs/${org}/sec_policy/draft/${type}/…)`);
  }
  // A version number beyond the database's integers names no version (and must not reach SQL).
  const obj = typeof p.version === 'number' && p.version > 2_147_483_647 ? undefined : await getObject(tx, org, p.version, type, p.id);
  if (!obj) throw invalid(`${type.replace(/s$/, '')}_not_found`, `${where}: no ${what} ${h}`);
  return { version: p.version, obj };
}

/** The label ids of a label group and of its sub-groups (in the same policy version), each group once. */
async function labelGroupLabels(tx: StoreTx, org: number, where: string, h: string): Promise<number[]> {
  const { version, obj } = await policyObject(tx, org, where, h, 'label_groups');
  const labels = new Set<number>();
  const seen = new Set<string>();
  const walk = async (g: StoredObject): Promise<void> => {
    if (seen.has(g.id)) return;
    seen.add(g.id);
    const group = g as unknown as Partial<Pick<LabelGroup, 'labels' | 'sub_groups'>>;
    for (const l of group.labels ?? []) {
      const p = parseHref(l.href);
      const id = p && p.kind === 'org' && p.type === 'labels' ? labelIdOf(p.id) : undefined;
      if (id !== undefined) labels.add(id);
    }
    for (const sub of group.sub_groups ?? []) {
      const p = parseHref(sub.href);
      const child = p && p.kind === 'policy' && p.type === 'label_groups' ? await getObject(tx, org, version, 'label_groups', p.id) : undefined;
      if (child) await walk(child);
    }
  };
  await walk(obj);
  return [...labels];
}

/** The ranges of an actor's addresses: one IP, a CIDR, or an IP list (exclusions removed; FQDNs match no flow). */
async function rangesOf(tx: StoreTx, org: number, where: string, a: Actor): Promise<FlowIpRanges | undefined> {
  if ('ip_address' in a) {
    const r = parseCidr(a.ip_address);
    if (!r) return undefined;
    return r.family === 4 ? { v4: [Number(r.from), Number(r.to)], v6: [] } : { v4: [], v6: [r.from, r.to] };
  }
  if (!('ip_list' in a)) return undefined;
  const { obj } = await policyObject(tx, org, where, a.ip_list.href, 'ip_lists');
  return ipListRanges((obj as unknown as Partial<Pick<IpList, 'ip_ranges'>>).ip_ranges ?? []);
}

/** Actors → store terms; every reference must be the org's and exist (406 otherwise). */
async function terms(tx: StoreTx, org: number, where: string, actors: readonly Actor[], budget: { ranges: number }): Promise<FlowEndpointTerm[]> {
  const out: FlowEndpointTerm[] = [];
  for (const a of actors) {
    if ('label_group' in a) {
      out.push({ anyLabel: await labelGroupLabels(tx, org, where, a.label_group.href) });
      continue;
    }
    const ranges = await rangesOf(tx, org, where, a);
    if (ranges) {
      budget.ranges += (ranges.v4.length + ranges.v6.length) / 2;
      if (budget.ranges > MAX_QUERY_RANGES) throw invalid('too_many_ip_ranges', `${where}: the IP lists and addresses of a query hold more than ${MAX_QUERY_RANGES} ranges; query with fewer or smaller IP lists`);
      out.push({ ipRanges: ranges });
      continue;
    }
    if (!('label' in a) && !('workload' in a)) continue;
    const [kind, h] = 'label' in a ? (['labels', a.label.href] as const) : (['workloads', a.workload.href] as const);
    const p = parseHref(h);
    if (!p || p.kind !== 'org' || p.org !== org || p.type !== kind) throw invalid('invalid_actor', `${where}: "${h}" is not a ${kind === 'labels' ? 'label' : 'workload'} href of org ${org} (/orgs/${org}/${kind}/…)`);
    if (kind === 'labels') {
      const id = labelIdOf(p.id);
      if (id === undefined || !(await tx.getLabel(org, id))) throw invalid('label_not_found', `${where}: no label ${h}`);
      out.push({ labelId: id });
    } else out.push({ workload: p.id });
  }
  return out;
}

async function side(tx: StoreTx, org: number, name: string, a: TrafficQuery['sources'], budget: { ranges: number }): Promise<FlowSideFilter> {
  const include: FlowEndpointTerm[][] = [];
  for (const [i, all] of a.include.entries()) include.push(await terms(tx, org, `${name}.include[${i}]`, all, budget));
  return { include, exclude: await terms(tx, org, `${name}.exclude`, a.exclude, budget) };
}

/** The store query of a request (validates references: call it before answering 202). */
export async function toFlowQuery(tx: StoreTx, org: number, q: TrafficQuery): Promise<FlowQuery> {
  const svc = (s: TrafficQuery['services']['include'][number]) => ({ ...(s.proto !== undefined ? { proto: s.proto } : {}), ...(s.port !== undefined ? { port: s.port } : {}), ...(s.to_port !== undefined ? { toPort: s.to_port } : {}) });
  const budget = { ranges: 0 };
  return {
    src: await side(tx, org, 'sources', q.sources, budget),
    dst: await side(tx, org, 'destinations', q.destinations, budget),
    sidesOp: q.sources_destinations_query_op,
    services: { include: q.services.include.map(svc), exclude: q.services.exclude.map(svc) },
    ...(q.policy_decisions.length > 0 ? { decisions: q.policy_decisions } : {}),
    ...(q.start_date !== undefined ? { since: Date.parse(q.start_date) } : {}),
    ...(q.end_date !== undefined ? { until: Date.parse(q.end_date) } : {}),
    limit: q.max_results,
  };
}

export function renderQuery(row: FlowQueryRow): Record<string, unknown> {
  const href = queryHref(row.org_id, row.id);
  return {
    href,
    query_parameters: JSON.parse(row.query) as unknown,
    status: row.status,
    result: row.status === 'completed' ? `${href}/download` : null,
    flows_count: row.flows_count,
    matches_count: row.flows_count,
    created_by: JSON.parse(row.created_by) as unknown,
    created_at: row.created_at,
    updated_at: row.updated_at,
    ...(row.message !== null ? { message: row.message } : {}),
  };
}

export async function createTrafficQuery(pce: Pce, principal: Principal, org: number, q: TrafficQuery): Promise<Record<string, unknown>> {
  const { store, env } = pce;
  await store.read((tx) => toFlowQuery(tx, org, q));
  const now = env.now().toISOString();
  const row: FlowQueryRow = { org_id: org, id: env.uuid(), query: JSON.stringify(q), status: 'queued', created_by: JSON.stringify(principalRef(principal)), created_at: now, updated_at: now, flows_count: null, datafile_id: null, message: null };
  await store.transaction((tx) => tx.insertFlowQuery(row));
  setImmediate(() => void runTrafficQuery(pce, org, row.id, q));
  return renderQuery(row);
}

async function runTrafficQuery(pce: Pce, org: number, id: string, q: TrafficQuery): Promise<void> {
  const { store, env } = pce;
  try {
    await store.transaction((tx) => tx.updateFlowQuery(org, id, { status: 'working', updated_at: env.now().toISOString() }));
    const flows = await store.read(async (tx) => renderFlows(tx, org, await tx.queryFlowSummaries(org, await toFlowQuery(tx, org, q))));
    const fileId = env.uuid();
    const content = await jsonArrayInSlices(flows);
    await store.transaction(async (tx) => {
      await tx.insertDatafile(org, fileId, content, env.now().toISOString());
      await tx.updateFlowQuery(org, id, { status: 'completed', datafile_id: fileId, flows_count: flows.length, updated_at: env.now().toISOString() });
    });
  } catch (err) {
    env.log.warn({ err, query: id }, 'traffic query failed');
    const message = err instanceof Error ? err.message : String(err);
    await store
      .transaction((tx) => tx.updateFlowQuery(org, id, { status: 'failed', message, updated_at: env.now().toISOString() }))
      .catch((e: unknown) => env.log.error({ err: e, query: id }, 'could not record the failure of a traffic query'));
  }
}

/** Flows serialised (or, for CSV, read back) per slice. */
const JSON_SLICE = 2000;

const nextTurn = (): Promise<void> => new Promise((ok) => setImmediate(ok));

/**
 * The JSON array of `items`, one item per line (`[`, the items, `]`; JSON text never holds a
 * raw newline, so lines split it again without parsing it whole), serialised a slice at a
 * time with a turn of the event loop between slices: 100,000 flows are tens of megabytes of
 * JSON, and in one call the PCE would answer no agent and no API request until it was done.
 */
export async function jsonArrayInSlices(items: readonly unknown[]): Promise<string> {
  const parts: string[] = [];
  for (let i = 0; i < items.length; i += JSON_SLICE) {
    if (i > 0) await nextTurn();
    parts.push(items.slice(i, i + JSON_SLICE).map((x) => JSON.stringify(x) ?? 'null').join(',\n'));
  }
  return parts.length === 0 ? '[]' : `[\n${parts.join(',\n')}\n]`;
}

/**
 * The items of a stored result, a slice at a time (between slices the event loop turns):
 * line by line as `jsonArrayInSlices` wrote them, or parsed whole for a result stored on one
 * line (before results were written a line per flow).
 */
async function* storedItemsInSlices<T>(content: string): AsyncGenerator<readonly T[]> {
  if (!content.startsWith('[\n')) {
    yield JSON.parse(content) as T[];
    return;
  }
  const lines = content.split('\n');
  // Lines 1 … n-2 hold the items (line 0 is "[", the last "]"); each but the last ends with ",".
  for (let i = 1; i < lines.length - 1; i += JSON_SLICE) {
    if (i > 1) await nextTurn();
    yield lines.slice(i, Math.min(i + JSON_SLICE, lines.length - 1)).map((l) => JSON.parse(l.endsWith(',') ? l.slice(0, -1) : l) as T);
  }
}

/** Flows → the API shape, with each end's workload (now) and labels (at flow time). */
export async function renderFlows(tx: StoreTx, org: number, rows: readonly FlowSummaryRow[]): Promise<RenderedFlow[]> {
  const setIds = new Set<number>();
  const workloadIds = new Set<string>();
  for (const r of rows) {
    for (const s of [r.src_set, r.dst_set]) if (s !== null) setIds.add(s);
    for (const w of [r.src_workload, r.dst_workload]) if (w !== null) workloadIds.add(w);
  }
  const sets = await tx.labelSets(org, [...setIds]);
  const labelIds = new Set([...sets.values()].flat());
  const labels = new Map((await tx.getLabels(org, [...labelIds])).map((l) => [l.id, { href: orgHref(org, 'labels', l.id), key: l.key, value: l.value }]));
  // One read for all (a query of 100,000 flows names thousands of workloads); one gone since is left out.
  const workloads = new Map<string, { hostname: string | null; name: string | null }>();
  for (const w of await tx.getWorkloads(org, [...workloadIds])) {
    const d = JSON.parse(w.data) as { hostname?: string | null; name?: string | null };
    workloads.set(w.id, { hostname: d.hostname ?? null, name: d.name ?? null });
  }
  const endpoint = (ip: string, workload: string | null, set: number | null): RenderedEndpoint => {
    if (workload === null) return { ip };
    const w = workloads.get(workload);
    const ls = (set === null ? [] : (sets.get(set) ?? [])).flatMap((id) => {
      const l = labels.get(id);
      return l ? [l] : [];
    });
    return { ip, workload: { href: orgHref(org, 'workloads', workload), hostname: w?.hostname ?? null, name: w?.name ?? null, labels: ls } };
  };
  return rows.map((r) => ({
    src: endpoint(r.src_ip, r.src_workload, r.src_set),
    dst: endpoint(r.dst_ip, r.dst_workload, r.dst_set),
    service: r.port === null ? { proto: r.proto } : { proto: r.proto, port: r.port },
    num_connections: r.connections,
    policy_decision: r.policy_decision,
    draft_policy_decision: r.draft_policy_decision,
    flow_direction: r.direction,
    state: r.state,
    timestamp_range: { first_detected: new Date(r.first_seen).toISOString(), last_detected: new Date(r.last_seen).toISOString() },
    ...(r.bytes_in !== null || r.bytes_out !== null ? { bytes: { in: r.bytes_in, out: r.bytes_out } } : {}),
  }));
}

export async function getTrafficQuery(pce: Pce, org: number, id: string): Promise<FlowQueryRow> {
  const row = await pce.store.read((tx) => tx.getFlowQuery(org, id));
  if (!row) throw notFound('traffic_query_not_found', `no traffic query ${queryHref(org, id)}`);
  return row;
}

/** The result as stored (JSON text of the flow array); 404 until completed. */
export async function downloadTrafficQuery(pce: Pce, org: number, id: string): Promise<string> {
  const row = await getTrafficQuery(pce, org, id);
  if (row.status !== 'completed' || row.datafile_id === null) throw notFound('traffic_query_not_completed', `traffic query ${queryHref(org, id)} is ${row.status}; download it once its status is completed`);
  const content = await pce.store.read((tx) => tx.getDatafile(org, row.datafile_id ?? ''));
  if (content === undefined) throw notFound('traffic_query_result_gone', `the result of ${queryHref(org, id)} is no longer stored; run the query again`);
  return content;
}

const CSV_HEADER = ['src_ip', 'src_workload', 'src_hostname', 'src_labels', 'dst_ip', 'dst_workload', 'dst_hostname', 'dst_labels', 'proto', 'port', 'num_connections', 'policy_decision', 'draft_policy_decision', 'flow_direction', 'state', 'first_detected', 'last_detected', 'bytes_in', 'bytes_out'];

function csvField(v: string | number | null | undefined): string {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A stored result (`jsonArrayInSlices`) as CSV, a slice of flows at a time. */
export async function storedFlowsToCsv(content: string): Promise<string> {
  const labels = (e: RenderedEndpoint): string => (e.workload?.labels ?? []).map((l) => `${l.key}=${l.value}`).join(';');
  const lines = [CSV_HEADER.join(',')];
  for await (const flows of storedItemsInSlices<RenderedFlow>(content)) {
    for (const f of flows) {
      lines.push(
        [f.src.ip, f.src.workload?.href, f.src.workload?.hostname, labels(f.src), f.dst.ip, f.dst.workload?.href, f.dst.workload?.hostname, labels(f.dst), f.service.proto, f.service.port, f.num_connections, f.policy_decision, f.draft_policy_decision, f.flow_direction, f.state, f.timestamp_range.first_detected, f.timestamp_range.last_detected, f.bytes?.in, f.bytes?.out]
          .map(csvField)
          .join(','),
      );
    }
  }
  return lines.join('\r\n') + '\r\n';
}

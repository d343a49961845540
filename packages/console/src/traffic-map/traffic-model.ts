/**
 * What the map and Explorer read from the API, parsed tolerantly: the PCE's flow download
 * (`traffic_flows/async_queries/{id}/download`) and workload list may grow fields, and a flow
 * whose shape is unexpected becomes an `unknown` decision or is skipped, never a crash.
 */
import { toDecision, type PolicyDecision } from '../decision-palette.ts';

export interface LabelRef {
  readonly href: string;
  readonly key: string;
  readonly value: string;
}

export interface WorkloadRef {
  readonly href: string;
  readonly name: string;
  readonly labels: readonly LabelRef[];
}

export interface FlowEnd {
  readonly ip: string;
  readonly workload?: WorkloadRef;
}

export interface Flow {
  readonly src: FlowEnd;
  readonly dst: FlowEnd;
  readonly proto: number;
  readonly port?: number;
  readonly connections: number;
  readonly decision: PolicyDecision;
  readonly draftDecision: PolicyDecision;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly bytesIn?: number;
  readonly bytesOut?: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

export function parseLabels(v: unknown): LabelRef[] {
  if (!Array.isArray(v)) return [];
  const out: LabelRef[] = [];
  for (const l of v) {
    if (!isObj(l)) continue;
    const href = str(l['href']);
    const key = str(l['key']);
    const value = str(l['value']);
    if (href !== undefined && key !== undefined && value !== undefined) out.push({ href, key, value });
  }
  return out;
}

/** A workload as the list API or a flow end renders it; undefined without an href. */
export function parseWorkload(v: unknown): WorkloadRef | undefined {
  if (!isObj(v)) return undefined;
  const href = str(v['href']);
  if (href === undefined) return undefined;
  const name = str(v['name']) ?? str(v['hostname']) ?? href.slice(href.lastIndexOf('/') + 1);
  return { href, name, labels: parseLabels(v['labels']) };
}

function parseEnd(v: unknown): FlowEnd | undefined {
  if (!isObj(v)) return undefined;
  const ip = str(v['ip']);
  if (ip === undefined) return undefined;
  const workload = parseWorkload(v['workload']);
  return workload ? { ip, workload } : { ip };
}

export function parseFlow(v: unknown): Flow | undefined {
  if (!isObj(v)) return undefined;
  const src = parseEnd(v['src']);
  const dst = parseEnd(v['dst']);
  const service = isObj(v['service']) ? v['service'] : {};
  const proto = num(service['proto']);
  if (!src || !dst || proto === undefined) return undefined;
  const port = num(service['port']);
  const range = isObj(v['timestamp_range']) ? v['timestamp_range'] : {};
  const bytes = isObj(v['bytes']) ? v['bytes'] : {};
  const bytesIn = num(bytes['in']);
  const bytesOut = num(bytes['out']);
  return {
    src,
    dst,
    proto,
    ...(port !== undefined ? { port } : {}),
    connections: num(v['num_connections']) ?? 1,
    decision: toDecision(v['policy_decision']),
    draftDecision: toDecision(v['draft_policy_decision']),
    firstSeen: str(range['first_detected']) ?? '',
    lastSeen: str(range['last_detected']) ?? '',
    ...(bytesIn !== undefined ? { bytesIn } : {}),
    ...(bytesOut !== undefined ? { bytesOut } : {}),
  };
}

export function parseFlows(v: unknown): Flow[] {
  if (!Array.isArray(v)) return [];
  const out: Flow[] = [];
  for (const f of v) {
    const p = parseFlow(f);
    if (p) out.push(p);
  }
  return out;
}

const PROTOCOLS: Readonly<Record<number, string>> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 132: 'SCTP' };
export function protoName(proto: number): string {
  return PROTOCOLS[proto] ?? `proto ${proto}`;
}

/** `443 TCP`, `ICMP`. */
export function serviceText(f: { readonly proto: number; readonly port?: number }): string {
  return f.port === undefined ? protoName(f.proto) : `${f.port} ${protoName(f.proto)}`;
}

export function labelValue(labels: readonly LabelRef[], key: string): LabelRef | undefined {
  return labels.find((l) => l.key === key);
}

/**
 * Pure helpers of the inventory pages (unit-tested without a DOM): names of modes and levels,
 * the workload list's label filter, service ports and IP ranges as text, label-group nesting.
 */
import type { EnforcementMode, IpRange, LabelGroup, LabelRef, ServicePort, Ven, VisibilityLevel, Workload } from './types.ts';

export const ENFORCEMENT_MODES: readonly { value: EnforcementMode; label: string }[] = [
  { value: 'idle', label: 'Idle' },
  { value: 'visibility_only', label: 'Visibility only' },
  { value: 'selective', label: 'Selective' },
  { value: 'full', label: 'Full' },
];

export const VISIBILITY_LEVELS: readonly { value: VisibilityLevel; label: string }[] = [
  { value: 'flow_off', label: 'Off' },
  { value: 'flow_drops', label: 'Blocked' },
  { value: 'flow_summary', label: 'Blocked + allowed' },
  { value: 'enhanced_data_collection', label: 'Enhanced data collection' },
];

export function modeName(m: string): string {
  return ENFORCEMENT_MODES.find((x) => x.value === m)?.label ?? m;
}
export function visibilityName(v: string): string {
  return VISIBILITY_LEVELS.find((x) => x.value === v)?.label ?? v;
}

export function workloadName(w: Pick<Workload, 'name' | 'hostname' | 'href'>): string {
  return w.name ?? w.hostname ?? w.href.split('/').pop() ?? '';
}

export function idOf(href: string): string {
  return href.split('/').pop() ?? '';
}

/**
 * The `labels` query of GET /workloads for chosen label hrefs: labels of one key are OR'd,
 * keys are AND'd (`[["app=a","app=b"],["env=prod"]]`). Undefined when nothing is chosen.
 */
export function labelFilter(chosen: readonly string[], labels: readonly LabelRef[]): string | undefined {
  if (chosen.length === 0) return undefined;
  const keyOf = new Map(labels.map((l) => [l.href, l.key]));
  const byKey = new Map<string, string[]>();
  for (const h of chosen) {
    const k = keyOf.get(h) ?? h;
    byKey.set(k, [...(byKey.get(k) ?? []), h]);
  }
  return JSON.stringify([...byKey.values()]);
}

export type VenStatus = { kind: 'unmanaged' } | { kind: 'unknown' } | { kind: 'online' | 'offline'; ven: Ven };
export function venStatus(w: Pick<Workload, 'ven'>, vens: ReadonlyMap<string, Ven> | undefined): VenStatus {
  if (!w.ven) return { kind: 'unmanaged' };
  const v = vens?.get(w.ven.href);
  if (!v) return { kind: 'unknown' };
  return { kind: v.online ? 'online' : 'offline', ven: v };
}

const PROTO_NAMES: Record<number, string> = { [-1]: 'All protocols', 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 132: 'SCTP' };
export const PROTOCOLS: readonly { value: string; label: string }[] = [
  { value: '6', label: 'TCP' },
  { value: '17', label: 'UDP' },
  { value: '1', label: 'ICMP' },
  { value: '58', label: 'ICMPv6' },
  { value: '132', label: 'SCTP' },
  { value: '-1', label: 'All protocols' },
];
export const PORTED = new Set([6, 17, 132]);
export const ICMP = new Set([1, 58]);

export function protoName(p: number): string {
  return PROTO_NAMES[p] ?? `protocol ${p}`;
}

/** `TCP 80`, `UDP 5000–5100`, `ICMP type 8 code 0`, `All protocols`. */
export function servicePortText(p: ServicePort): string {
  const name = protoName(p.proto);
  if (p.port !== undefined) return p.to_port !== undefined && p.to_port !== p.port ? `${name} ${p.port}–${p.to_port}` : `${name} ${p.port}`;
  if (p.icmp_type !== undefined) return `${name} type ${p.icmp_type}${p.icmp_code !== undefined ? ` code ${p.icmp_code}` : ''}`;
  return ICMP.has(p.proto) ? `${name} (all types)` : PORTED.has(p.proto) ? `${name} (all ports)` : name;
}

/** `10.0.0.0/8`, `10.0.0.1–10.0.0.9`, `except 10.1.0.0/16`. */
export function ipRangeText(r: IpRange): string {
  const base = r.to_ip ? `${r.from_ip}–${r.to_ip}` : r.from_ip;
  return r.exclusion ? `except ${base}` : base;
}

/** Editable form rows (strings) → the API's service_ports; empty text → field absent. */
export interface PortRow {
  proto: string;
  port: string;
  to_port: string;
  icmp_type: string;
  icmp_code: string;
}

/** Rows that passed portRowProblems → service_ports (empty text → field absent). */
export function portRowsToApi(rows: readonly PortRow[]): ServicePort[] {
  return rows.map((r) => {
    const out: { -readonly [K in keyof ServicePort]: ServicePort[K] } = { proto: Number(r.proto) };
    for (const k of ['port', 'to_port', 'icmp_type', 'icmp_code'] as const) {
      const t = r[k].trim();
      if (t !== '') out[k] = Number(t);
    }
    return out;
  });
}

export function apiToPortRows(ports: readonly ServicePort[]): PortRow[] {
  const s = (n: number | undefined): string => (n === undefined ? '' : String(n));
  return ports.map((p) => ({ proto: String(p.proto), port: s(p.port), to_port: s(p.to_port), icmp_type: s(p.icmp_type), icmp_code: s(p.icmp_code) }));
}

/** Problems the form can tell before sending (the API checks everything again). */
export function portRowProblems(r: PortRow): Partial<Record<keyof PortRow, string>> {
  const out: Partial<Record<keyof PortRow, string>> = {};
  const proto = Number(r.proto);
  for (const k of ['port', 'to_port', 'icmp_type', 'icmp_code'] as const) {
    const v = r[k].trim();
    if (v !== '' && !/^\d+$/.test(v)) out[k] = 'must be a whole number';
  }
  if (!out.port && r.port.trim() !== '' && Number(r.port) > 65535) out.port = 'must be at most 65535';
  if (!out.to_port && r.to_port.trim() !== '' && Number(r.to_port) > 65535) out.to_port = 'must be at most 65535';
  if (!PORTED.has(proto) && (r.port.trim() !== '' || r.to_port.trim() !== '')) out.port = `ports apply to TCP, UDP and SCTP only, not to ${protoName(proto)}`;
  if (!ICMP.has(proto) && (r.icmp_type.trim() !== '' || r.icmp_code.trim() !== '')) out.icmp_type = 'ICMP type and code apply to ICMP and ICMPv6 only';
  return out;
}

/** A label group's labels, its sub-groups' labels included (cycles cut), as label hrefs. */
export function expandGroup(group: LabelGroup, byHref: ReadonlyMap<string, LabelGroup>, seen: Set<string> = new Set()): string[] {
  if (seen.has(group.href)) return [];
  seen.add(group.href);
  const own = group.labels.map((l) => l.href);
  const nested = group.sub_groups.flatMap((g) => {
    const sub = byHref.get(g.href);
    return sub ? expandGroup(sub, byHref, seen) : [];
  });
  return [...new Set([...own, ...nested])];
}

/** "N of M" for a list answered with max_results and X-Total-Count. */
export function showingText(shown: number, total: number, what: string): string {
  if (total === 0) return `No ${what}`;
  return shown >= total ? `Showing all ${total} ${what}` : `Showing ${shown} of ${total} ${what}`;
}

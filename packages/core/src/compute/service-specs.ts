/**
 * Port/protocol lists in one canonical form, so that equal service sets are equal values and
 * hash alike: `{proto: -1}` swallows everything, a bare protocol swallows its ports or ICMP
 * types, port ranges are merged, everything is sorted.
 */
import type { ServicePort } from '../model/services.ts';
import type { ServiceSpec } from './types.ts';

const PORTED = new Set([6, 17, 132]);
const ICMP = new Set([1, 58]);

export const ALL_SERVICES: readonly ServiceSpec[] = Object.freeze([Object.freeze({ proto: -1 })]);

function spec(proto: number, extra: { port?: number; to_port?: number; icmp_type?: number; icmp_code?: number }): ServiceSpec {
  return Object.freeze({ proto, ...extra });
}

export function normalizeServices(ports: readonly ServicePort[]): readonly ServiceSpec[] {
  if (ports.some((p) => p.proto === -1)) return ALL_SERVICES;
  const byProto = new Map<number, ServicePort[]>();
  for (const p of ports) {
    const list = byProto.get(p.proto);
    if (list) list.push(p);
    else byProto.set(p.proto, [p]);
  }
  const out: ServiceSpec[] = [];
  for (const proto of [...byProto.keys()].sort((a, b) => a - b)) {
    const list = byProto.get(proto) ?? [];
    if (PORTED.has(proto)) {
      const ranges: [number, number][] = [];
      let whole = false;
      for (const p of list) {
        if (p.port === undefined) whole = true;
        else ranges.push([p.port, p.to_port ?? p.port]);
      }
      if (whole) {
        out.push(spec(proto, {}));
        continue;
      }
      ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const merged: [number, number][] = [];
      for (const r of ranges) {
        const last = merged[merged.length - 1];
        if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
        else merged.push([r[0], r[1]]);
      }
      for (const [from, to] of merged) {
        if (from === 0 && to === 65535) out.push(spec(proto, {}));
        else out.push(spec(proto, to > from ? { port: from, to_port: to } : { port: from }));
      }
    } else if (ICMP.has(proto)) {
      if (list.some((p) => p.icmp_type === undefined)) {
        out.push(spec(proto, {}));
        continue;
      }
      const wholeTypes = new Set(list.filter((p) => p.icmp_code === undefined).map((p) => p.icmp_type));
      const seen = new Set<string>();
      const items = list
        .filter((p) => p.icmp_code === undefined || !wholeTypes.has(p.icmp_type))
        .map((p) => [p.icmp_type ?? 0, p.icmp_code ?? -1] as const)
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      for (const [t, c] of items) {
        const k = `${t}/${c}`;
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(spec(proto, c === -1 ? { icmp_type: t } : { icmp_type: t, icmp_code: c }));
      }
    } else {
      out.push(spec(proto, {}));
    }
  }
  return Object.freeze(out);
}

/** Canonical text of a normalized list, for keys and hashes. */
export function servicesKey(specs: readonly ServiceSpec[]): string {
  return specs
    .map((s) => {
      let k = String(s.proto);
      if (s.port !== undefined) k += `:${s.port}${s.to_port !== undefined ? `-${s.to_port}` : ''}`;
      if (s.icmp_type !== undefined) k += `/${s.icmp_type}${s.icmp_code !== undefined ? `.${s.icmp_code}` : ''}`;
      return k;
    })
    .join(',');
}

/** One packet's service, as the policy check asks it. */
export interface ServiceQuery {
  readonly proto: number;
  readonly port?: number | undefined;
  readonly icmp_type?: number | undefined;
  readonly icmp_code?: number | undefined;
}

export function servicesMatch(specs: readonly ServiceSpec[], q: ServiceQuery): boolean {
  for (const s of specs) {
    if (s.proto === -1) return true;
    if (s.proto !== q.proto) continue;
    if (s.port !== undefined) {
      if (q.port === undefined) continue;
      if (q.port < s.port || q.port > (s.to_port ?? s.port)) continue;
    }
    if (s.icmp_type !== undefined) {
      if (q.icmp_type !== s.icmp_type) continue;
      if (s.icmp_code !== undefined && q.icmp_code !== s.icmp_code) continue;
    }
    return true;
  }
  return false;
}

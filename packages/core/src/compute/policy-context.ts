/**
 * Lookups into one policy snapshot, each computed once and memoized: label keys, label groups
 * expanded through their sub-groups, IP lists reduced to ranges, services normalized. Failed
 * lookups return undefined; the rule compiler turns them into diagnostics with paths.
 */
import { parseHref } from '../href.ts';
import type { IpList } from '../model/ip-lists.ts';
import type { LabelGroup } from '../model/labels.ts';
import type { Service } from '../model/services.ts';
import type { VirtualService } from '../model/virtual-services.ts';
import { ipListRanges } from './address-ranges.ts';
import { fnv64 } from './hash.ts';
import { normalizeServices, servicesKey } from './service-specs.ts';
import type { LabelKeyRef, PolicySnapshot, ServiceSpec } from './types.ts';

export interface ExpandedGroup {
  readonly key: string;
  readonly labels: readonly string[];
  /** A sub-group that does not exist or a cycle, for a diagnostic. */
  readonly problems: readonly string[];
}

export interface ResolvedIpList {
  readonly id: string;
  readonly name: string;
  readonly v4: readonly number[];
  readonly v6: readonly bigint[];
  readonly fqdns: readonly string[];
  /** Content hash, part of the key of every set that includes the list. */
  readonly hash: string;
}

export interface ResolvedVirtualService {
  readonly id: string;
  readonly name: string;
  /** Workloads carrying all these labels are the service's backends. */
  readonly labels: readonly string[];
  readonly v4: readonly number[];
  readonly v6: readonly bigint[];
}

/** The id in an href, or the href itself when it is not one of ours (a diagnostic names it). */
export function idOfHref(href: string): string {
  const p = parseHref(href);
  return p && (p.kind === 'org' || p.kind === 'policy') ? p.id : href;
}

export class PolicyContext {
  readonly snapshot: PolicySnapshot;
  private readonly labelKeys: ReadonlyMap<string, string>;
  private readonly groups = new Map<string, ExpandedGroup | null>();
  private readonly ipLists = new Map<string, ResolvedIpList | null>();
  private readonly services = new Map<string, { specs: readonly ServiceSpec[]; key: string } | null>();
  private readonly virtualServices = new Map<string, ResolvedVirtualService | null>();

  private readonly byId: {
    readonly groups: ReadonlyMap<string, LabelGroup>;
    readonly ipLists: ReadonlyMap<string, IpList>;
    readonly services: ReadonlyMap<string, Service>;
    readonly virtualServices: ReadonlyMap<string, VirtualService>;
  };

  /** Changes whenever the label keys change (compiled rule sets depend on them). */
  readonly labelKeysVersion: number;

  constructor(snapshot: PolicySnapshot, labelKeys: ReadonlyMap<string, string>, labelKeysVersion = 0) {
    this.snapshot = snapshot;
    this.labelKeys = labelKeys;
    this.labelKeysVersion = labelKeysVersion;
    this.byId = {
      groups: new Map(snapshot.labelGroups.map((g) => [g.id, g])),
      ipLists: new Map(snapshot.ipLists.map((l) => [l.id, l])),
      services: new Map(snapshot.services.map((x) => [x.id, x])),
      virtualServices: new Map(snapshot.virtualServices.map((v) => [v.id, v])),
    };
  }

  static labelKeyMap(labels: readonly LabelKeyRef[]): Map<string, string> {
    return new Map(labels.map((l) => [String(l.id), l.key]));
  }

  /** Unknown labels get a key of their own, so they AND with everything. */
  labelKey(id: string): string {
    return this.labelKeys.get(id) ?? `?${id}`;
  }

  hasLabel(id: string): boolean {
    return this.labelKeys.has(id);
  }

  labelGroup(id: string): ExpandedGroup | undefined {
    const cached = this.groups.get(id);
    if (cached !== undefined) return cached ?? undefined;
    const byId = this.byId.groups;
    const root = byId.get(id);
    if (!root) {
      this.groups.set(id, null);
      return undefined;
    }
    const labels = new Set<string>();
    const problems: string[] = [];
    const seen = new Set<string>();
    const walk = (gid: string): void => {
      if (seen.has(gid)) {
        problems.push(`label group ${gid} contains itself through its sub-groups`);
        return;
      }
      seen.add(gid);
      const g = byId.get(gid);
      if (!g) {
        problems.push(`sub-group ${gid} does not exist`);
        return;
      }
      for (const l of g.labels) labels.add(idOfHref(l.href));
      for (const s of g.sub_groups) walk(idOfHref(s.href));
      seen.delete(gid);
    };
    walk(id);
    const out: ExpandedGroup = { key: root.key, labels: [...labels].sort(), problems };
    this.groups.set(id, out);
    return out;
  }

  ipList(id: string): ResolvedIpList | undefined {
    const cached = this.ipLists.get(id);
    if (cached !== undefined) return cached ?? undefined;
    const l = this.byId.ipLists.get(id);
    if (!l) {
      this.ipLists.set(id, null);
      return undefined;
    }
    const { v4, v6 } = ipListRanges(l.ip_ranges);
    const fqdns = [...new Set(l.fqdns.map((f) => f.fqdn.toLowerCase()))].sort();
    const hash = fnv64(`${v4.join(',')}|${v6.join(',')}|${fqdns.join(',')}`).hex;
    const out: ResolvedIpList = { id, name: l.name, v4, v6, fqdns, hash };
    this.ipLists.set(id, out);
    return out;
  }

  ipListName(id: string): string | undefined {
    return this.byId.ipLists.get(id)?.name;
  }

  service(id: string): { specs: readonly ServiceSpec[]; key: string } | undefined {
    const cached = this.services.get(id);
    if (cached !== undefined) return cached ?? undefined;
    const s = this.byId.services.get(id);
    const out = s ? { specs: normalizeServices(s.service_ports), key: '' } : null;
    if (out) out.key = servicesKey(out.specs);
    this.services.set(id, out);
    return out ?? undefined;
  }

  virtualService(id: string): ResolvedVirtualService | undefined {
    const cached = this.virtualServices.get(id);
    if (cached !== undefined) return cached ?? undefined;
    const vs = this.byId.virtualServices.get(id);
    if (!vs) {
      this.virtualServices.set(id, null);
      return undefined;
    }
    const { v4, v6 } = ipListRanges(vs.ip_overrides.map((ip) => ({ from_ip: ip, exclusion: false })));
    const out: ResolvedVirtualService = { id, name: vs.name, labels: vs.labels.map((l) => idOfHref(l.href)).sort(), v4, v6 };
    this.virtualServices.set(id, out);
    return out;
  }
}

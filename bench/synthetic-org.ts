/**
 * A seeded synthetic org for benchmarks: workloads with four label keys (role, app, env, loc),
 * mixed OSes and enforcement modes, and rule sets of the shapes real orgs have: app rule sets
 * scoped by app (and env, sometimes several scopes), tier-to-tier rules, extra-scope
 * consumers, IP-list consumers with exclusions, label groups (nested), a few workload and
 * virtual-service actors, deny rules, global infrastructure rule sets with All workloads,
 * and a share of SecureConnect rules between tiers. Same options and seed, same org.
 *
 * Reusable by other benchmarks (the flow store will want the same org).
 */
import type { ComputeWorkload, LabelKeyRef, PolicySnapshot } from '../packages/core/src/compute/types.ts';
import type { EnforcementMode, OsType, VisibilityLevel } from '../packages/core/src/model/common.ts';
import type { IpList } from '../packages/core/src/model/ip-lists.ts';
import type { LabelGroup } from '../packages/core/src/model/labels.ts';
import type { ActorInput, DenyRule, IngressService, RuleSet, ScopeEntry, SecRule } from '../packages/core/src/model/rule-sets.ts';
import type { Service, ServicePort } from '../packages/core/src/model/services.ts';
import type { VirtualService } from '../packages/core/src/model/virtual-services.ts';

export interface SyntheticOrgOptions {
  readonly workloads: number;
  readonly ruleSets: number;
  readonly rulesPerSet: number;
  /** Share of allow rules with `sec_connect` (0–1). */
  readonly secureConnectShare: number;
  readonly seed: number;
  /** Label values over the four keys; default 1,000. */
  readonly labelValues?: number;
}

export interface SyntheticLabel extends LabelKeyRef {
  readonly id: string;
  readonly key: string;
  readonly value: string;
}

export interface SyntheticOrg {
  readonly snapshot: PolicySnapshot;
  readonly workloads: ComputeWorkload[];
  readonly labels: SyntheticLabel[];
  /** Tier (role) label ids of each app label id: what a relabelling benchmark moves between. */
  readonly appTiers: ReadonlyMap<string, readonly string[]>;
}

/** sfc32: small, fast, good enough for test data, and seedable. */
export function rng(seed: number): () => number {
  let a = 0x9e3779b9 ^ seed;
  let b = 0x243f6a88 ^ (seed * 31);
  let c = 0xb7e15162;
  let d = 1;
  const next = (): number => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    const t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    const r = (t + d) | 0;
    c = (c + r) | 0;
    return (r >>> 0) / 4294967296;
  };
  for (let i = 0; i < 15; i++) next();
  return next;
}

const ORG = 1;
const INFRA_ROLES = ['dns', 'ntp', 'ldap', 'monitoring', 'backup', 'bastion', 'log-collector', 'patching', 'antivirus', 'proxy'];

export function generateSyntheticOrg(o: SyntheticOrgOptions): SyntheticOrg {
  const rand = rng(o.seed);
  const int = (n: number): number => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const chance = (p: number): boolean => rand() < p;

  // ——— labels: role 6 %, app 80 %, env 2 %, loc 12 % of the values ———
  const total = o.labelValues ?? 1000;
  const counts = { role: Math.max(INFRA_ROLES.length + 5, Math.round(total * 0.06)), env: Math.max(4, Math.round(total * 0.02)), loc: Math.max(4, Math.round(total * 0.12)) };
  const appCount = Math.max(1, total - counts.role - counts.env - counts.loc);
  const labels: SyntheticLabel[] = [];
  const mk = (key: string, value: string): string => {
    const id = String(labels.length + 1);
    labels.push({ id, key, value });
    return id;
  };
  const infraRoles = INFRA_ROLES.map((r) => mk('role', r));
  const tierRoles = Array.from({ length: counts.role - INFRA_ROLES.length }, (_, i) => mk('role', `tier-${i}`));
  const envs = Array.from({ length: counts.env }, (_, i) => mk('env', i === 0 ? 'prod' : i === 1 ? 'staging' : i === 2 ? 'dev' : `env-${i}`));
  const locs = Array.from({ length: counts.loc }, (_, i) => mk('loc', `dc-${i}`));
  const apps = Array.from({ length: appCount }, (_, i) => mk('app', `app-${i}`));
  const infraApps = apps.slice(0, Math.max(1, Math.round(apps.length * 0.01)));
  const appTiers = new Map<string, string[]>();
  for (const a of apps) {
    const n = Math.min(tierRoles.length, 3 + int(4));
    const tiers = new Set<string>();
    while (tiers.size < n) tiers.add(pick(tierRoles));
    appTiers.set(a, [...tiers]);
  }
  for (const a of infraApps) appTiers.set(a, [...infraRoles]);
  const envWeight = (): string => (chance(0.4) ? (envs[0] as string) : chance(0.4) ? (envs[1] as string) : pick(envs));

  // ——— workloads ———
  const workloads: ComputeWorkload[] = [];
  for (let i = 0; i < o.workloads; i++) {
    // 0.5 % of hosts are infrastructure servers (DNS, NTP, LDAP, monitoring, …): tens per role
    const app = chance(0.005) ? pick(infraApps) : pick(apps);
    const role = pick(appTiers.get(app) ?? tierRoles);
    const r = rand();
    let os_type: OsType = 'linux';
    let os_version = pick(['8', '9', '20.04', '22.04', '24.04', '12']);
    if (r > 0.62 && r <= 0.92) {
      os_type = 'windows';
      os_version = chance(0.1) ? pick(['2008', '2008 R2']) : pick(['2012', '2016', '2019', '2022']);
    } else if (r > 0.92 && r <= 0.96) {
      os_type = 'aix';
      os_version = '7.2';
    } else if (r > 0.96) {
      os_type = 'solaris';
      os_version = '11.4';
    }
    const m = rand();
    const enforcement_mode: EnforcementMode = m < 0.45 ? 'full' : m < 0.55 ? 'selective' : m < 0.9 ? 'visibility_only' : 'idle';
    const visibility_level: VisibilityLevel = pick(['flow_off', 'flow_drops', 'flow_summary', 'enhanced_data_collection'] as const);
    // a bijection of i onto 10.0.0.0/8 (odd multiplier mod 2^24): unique, scattered addresses
    const host = (Math.imul(i + 1, 0x9e3779) >>> 0) & 0xffffff;
    const addresses = [`10.${host >>> 16}.${(host >>> 8) & 255}.${host & 255}`];
    if (chance(0.2)) addresses.push(`fd00:${(host >>> 16).toString(16)}::${(host & 0xffff).toString(16)}`);
    const id = `00000000-0000-4000-8000-${(i + 1).toString(16).padStart(12, '0')}`;
    workloads.push({
      id,
      name: `host-${i + 1}`,
      href: `/orgs/${ORG}/workloads/${id}`,
      labels: [role, app, envWeight(), pick(locs)],
      addresses,
      os_type,
      os_version,
      enforcement_mode,
      visibility_level,
      managed: chance(0.92),
    });
  }

  // ——— label groups (nested), IP lists, services, virtual services ———
  const labelGroups: LabelGroup[] = [];
  const group = (key: string, ls: readonly string[], subs: readonly string[] = []): string => {
    const id = String(labelGroups.length + 1);
    labelGroups.push({
      id,
      key,
      name: `${key} group ${id}`,
      description: '',
      labels: ls.map((l) => ({ href: `/orgs/${ORG}/labels/${l}` })),
      sub_groups: subs.map((s) => ({ href: `/orgs/${ORG}/sec_policy/draft/label_groups/${s}` })),
    });
    return id;
  };
  const nonProd = group('env', envs.slice(2));
  const preProd = group('env', [envs[1] as string], [nonProd]);
  const regions: string[] = [];
  for (let i = 0; i < locs.length; i += 10) regions.push(group('loc', locs.slice(i, i + 10)));
  const continents = [0, 1, 2].map((c) => group('loc', [], regions.filter((_, i) => i % 3 === c)));
  const envGroups = [nonProd, preProd];
  const locGroups = [...regions, ...continents];

  const ipLists: IpList[] = [
    { id: '1', name: 'Any (0.0.0.0/0 and ::/0)', description: '', ip_ranges: [{ from_ip: '0.0.0.0/0', exclusion: false }, { from_ip: '::/0', exclusion: false }], fqdns: [], builtin: true },
  ];
  for (let i = 0; i < 200; i++) {
    const base = `172.${16 + (i % 16)}.${int(256)}`;
    ipLists.push({
      id: String(ipLists.length + 1),
      name: `network ${i}`,
      description: '',
      ip_ranges: [
        { from_ip: `${base}.0/24`, exclusion: false },
        { from_ip: `192.168.${i}.10`, to_ip: `192.168.${i}.200`, exclusion: false },
        ...(chance(0.5) ? [{ from_ip: `${base}.128/28`, exclusion: true }] : []),
      ],
      fqdns: chance(0.1) ? [{ fqdn: `partner-${i}.example.com` }] : [],
    });
  }
  const services: Service[] = [{ id: '1', name: 'All Services', description: '', service_ports: [{ proto: -1 }], builtin: true }];
  for (let i = 0; i < 300; i++) {
    const k = rand();
    const ports: ServicePort[] =
      k < 0.6
        ? [{ proto: 6, port: 1024 + int(60000) }]
        : k < 0.75
          ? [{ proto: 6, port: 8000 + int(1000), to_port: 9000 + int(1000) }]
          : k < 0.9
            ? [{ proto: 17, port: 1024 + int(60000) }, { proto: 6, port: 1024 + int(60000) }]
            : [{ proto: 1, icmp_type: 8 }, { proto: 58, icmp_type: 128 }];
    services.push({ id: String(services.length + 1), name: `svc ${i}`, description: '', service_ports: ports });
  }
  const virtualServices: VirtualService[] = [];
  for (let i = 0; i < 50; i++) {
    const app = pick(apps);
    virtualServices.push({
      id: String(i + 1),
      name: `vip ${i}`,
      description: '',
      service_ports: [{ proto: 6, port: 443 }],
      labels: [pick(appTiers.get(app) ?? tierRoles), app].map((l) => ({ href: `/orgs/${ORG}/labels/${l}` })),
      ip_overrides: [`10.255.${i}.1`],
    });
  }

  // ——— rule sets ———
  const L = (id: string): ActorInput => ({ label: { href: `/orgs/${ORG}/labels/${id}` } });
  const G = (id: string): ActorInput => ({ label_group: { href: `/orgs/${ORG}/sec_policy/draft/label_groups/${id}` } });
  const S = (id: string): ScopeEntry => ({ label: { href: `/orgs/${ORG}/labels/${id}` } });
  const svc = (): IngressService[] =>
    chance(0.5) ? [{ href: `/orgs/${ORG}/sec_policy/draft/services/${2 + int(services.length - 1)}` }] : chance(0.5) ? [{ proto: 6, port: pick([22, 80, 443, 1433, 3306, 5432, 6379, 8080, 8443, 9092]) }] : [{ proto: 6, port: 8000, to_port: 8099 }, { proto: 1, icmp_type: 8 }];
  const ruleSets: RuleSet[] = [];
  let ruleId = 1;
  // Core-services rule sets (All workloads on one side): a handful, as in real orgs, not 1 %.
  const globalSets = Math.max(1, Math.round(o.ruleSets * 0.0025));
  for (let s = 0; s < o.ruleSets; s++) {
    const rules: SecRule[] = [];
    const denyRules: DenyRule[] = [];
    let scopes: ScopeEntry[][];
    const rule = (providers: ActorInput[], consumers: ActorInput[], extra: Partial<SecRule> = {}): void => {
      rules.push({ id: String(ruleId++), enabled: true, description: '', providers, consumers, ingress_services: svc(), sec_connect: false, unscoped_consumers: false, ...extra });
    };
    if (s < globalSets) {
      // infrastructure: everyone talks to DNS/NTP/LDAP, monitoring and backup reach everyone
      scopes = [];
      for (let r = 0; r < o.rulesPerSet; r++) {
        const role = pick(infraRoles);
        if (r % 2 === 0) rule([L(role)], [{ actors: 'ams' }]);
        else rule([{ actors: 'ams' }], [L(role), ...(chance(0.5) ? [G(pick(locGroups))] : [])]);
      }
    } else {
      const app = pick(apps);
      const tiers = appTiers.get(app) ?? tierRoles;
      const k = rand();
      scopes = k < 0.6 ? [[S(app), S(envWeight())]] : k < 0.85 ? [[S(app)]] : [[S(app), S(envs[0] as string)], [S(app), S(envs[1] as string)]];
      for (let r = 0; r < o.rulesPerSet; r++) {
        const p = pick(tiers);
        const c = pick(tiers);
        const x = rand();
        if (x < 0.02) {
          denyRules.push({ id: String(ruleId++), enabled: true, description: '', providers: [L(p)], consumers: [G(pick(envGroups))], ingress_services: [{ proto: -1 }] });
        } else if (x < 0.17) {
          // extra-scope consumers: a tier of another app, in one env or one region
          const other = pick(apps);
          const cons = [L(pick(appTiers.get(other) ?? tierRoles)), L(other), ...(chance(0.5) ? [L(envWeight())] : [G(pick(locGroups))])];
          rule([L(p)], cons, { unscoped_consumers: true });
        } else if (x < 0.25) {
          rule([L(p)], [{ ip_list: { href: `/orgs/${ORG}/sec_policy/draft/ip_lists/${2 + int(ipLists.length - 1)}` } }]);
        } else if (x < 0.251) {
          // broad but rare: every non-production workload may reach this tier
          rule([L(p)], [G(pick(envGroups))], { unscoped_consumers: true });
        } else if (x < 0.3) {
          // a tier of the same app in some regions only
          rule([L(p)], [L(c), G(pick(locGroups))]);
        } else if (x < 0.32) {
          rule([{ workload: { href: pick(workloads).href } }], [L(c)]);
        } else if (x < 0.34) {
          rule([{ virtual_service: { href: `/orgs/${ORG}/sec_policy/draft/virtual_services/${1 + int(virtualServices.length)}` } }], [L(c)]);
        } else if (x < 0.39) {
          rule([L(p)], [{ actors: 'ams' }]);
        } else {
          rule([L(p)], [L(c)], { sec_connect: false });
        }
      }
    }
    ruleSets.push({ id: String(s + 1), name: `rule set ${s + 1}`, description: '', enabled: true, scopes, rules, deny_rules: denyRules });
  }
  // SecureConnect on a share of all allow rules, taken among label ↔ label rules (the valid shape).
  const allRules = ruleSets.flatMap((rs) => rs.rules.map((r, i) => ({ rs, i, r })));
  const eligible = allRules.filter(({ r }) => r.providers.every((a) => a.label) && r.consumers.every((a) => a.label) && !r.unscoped_consumers);
  const wanted = Math.round(allRules.length * o.secureConnectShare);
  for (let n = 0; n < wanted && eligible.length > 0; n++) {
    const at = int(eligible.length);
    const e = eligible[at];
    eligible.splice(at, 1);
    if (!e) continue;
    const list = e.rs.rules as SecRule[];
    list[e.i] = { ...e.r, sec_connect: true };
  }

  const snapshot: PolicySnapshot = {
    org: ORG,
    version: 1,
    labelGroups,
    ipLists,
    services,
    ruleSets,
    virtualServices,
    firewallSettings: { ike_authentication_type: 'psk', ike_ca_identity: null },
  };
  return { snapshot, workloads, labels, appTiers };
}

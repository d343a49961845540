/**
 * A small builder of orgs (labels, workloads, policy objects) for the compute tests, in the
 * shapes the PCE stores them. Not a fake: the engine under test gets real model objects.
 */
import type { ActorInput, DenyRule, RuleSet, ScopeEntry, SecRule } from '../../src/model/rule-sets.ts';
import type { IpRangeInput, IpList } from '../../src/model/ip-lists.ts';
import type { LabelGroup } from '../../src/model/labels.ts';
import type { Service, ServicePort } from '../../src/model/services.ts';
import type { VirtualService } from '../../src/model/virtual-services.ts';
import type { FirewallSettings } from '../../src/model/firewall-settings.ts';
import type { EnforcementMode, OsType, VisibilityLevel } from '../../src/model/common.ts';
import { PolicyEngine } from '../../src/compute/engine.ts';
import type { ComputeWorkload, PolicySnapshot } from '../../src/compute/types.ts';
import type { IngressService as IngressServiceLike } from '../../src/model/rule-sets.ts';

export const ORG = 1;
export const ams: ActorInput = { actors: 'ams' };
export const label = (id: string): ActorInput => ({ label: { href: `/orgs/${ORG}/labels/${id}` } });
export const labelGroup = (id: string): ActorInput => ({ label_group: { href: `/orgs/${ORG}/sec_policy/draft/label_groups/${id}` } });
export const workload = (id: string): ActorInput => ({ workload: { href: `/orgs/${ORG}/workloads/${id}` } });
export const ipList = (id: string): ActorInput => ({ ip_list: { href: `/orgs/${ORG}/sec_policy/draft/ip_lists/${id}` } });
export const virtualService = (id: string): ActorInput => ({ virtual_service: { href: `/orgs/${ORG}/sec_policy/draft/virtual_services/${id}` } });
export const scopeLabel = (id: string, exclusion = false): ScopeEntry => ({ label: { href: `/orgs/${ORG}/labels/${id}` }, exclusion });
export const scopeGroup = (id: string): ScopeEntry => ({ label_group: { href: `/orgs/${ORG}/sec_policy/draft/label_groups/${id}` } });
export const tcp = (port: number, to_port?: number): ServicePort => (to_port === undefined ? { proto: 6, port } : { proto: 6, port, to_port });
export const udp = (port: number): ServicePort => ({ proto: 17, port });
export const serviceRef = (id: string): IngressServiceLike => ({ href: `/orgs/${ORG}/sec_policy/draft/services/${id}` });
export const ruleHref = (rs: string, id: string, kind: 'sec_rules' | 'deny_rules' = 'sec_rules', v = 'active'): string =>
  `/orgs/${ORG}/sec_policy/${v}/rule_sets/${rs}/${kind}/${id}`;

export interface WorkloadSpec {
  name: string;
  labels?: string[];
  addresses?: string[];
  os_type?: OsType;
  os_version?: string;
  enforcement_mode?: EnforcementMode;
  visibility_level?: VisibilityLevel;
  managed?: boolean;
}

export interface RuleSpec {
  providers: ActorInput[];
  consumers: ActorInput[];
  services?: IngressServiceLike[];
  sec_connect?: boolean;
  unscoped_consumers?: boolean;
  enabled?: boolean;
}

export class OrgBuilder {
  readonly labels: { id: string; key: string; value: string }[] = [];
  readonly workloads: ComputeWorkload[] = [];
  readonly labelGroups: LabelGroup[] = [];
  readonly ipLists: IpList[] = [];
  readonly services: Service[] = [];
  readonly ruleSets: RuleSet[] = [];
  readonly virtualServices: VirtualService[] = [];
  firewallSettings: FirewallSettings = { ike_authentication_type: 'psk', ike_ca_identity: null };
  private nextRule = 1;

  label(key: string, value: string): string {
    const id = String(this.labels.length + 1);
    this.labels.push({ id, key, value });
    return id;
  }

  workload(spec: WorkloadSpec): ComputeWorkload {
    const id = `wl-${spec.name}`;
    const w: ComputeWorkload = {
      id,
      name: spec.name,
      href: `/orgs/${ORG}/workloads/${id}`,
      labels: spec.labels ?? [],
      addresses: spec.addresses ?? [`10.0.0.${this.workloads.length + 1}`],
      os_type: spec.os_type ?? 'linux',
      os_version: spec.os_version ?? '',
      enforcement_mode: spec.enforcement_mode ?? 'full',
      visibility_level: spec.visibility_level ?? 'flow_summary',
      managed: spec.managed ?? true,
    };
    this.workloads.push(w);
    return w;
  }

  labelGroup(key: string, labels: string[], subGroups: string[] = []): string {
    const id = String(this.labelGroups.length + 1);
    this.labelGroups.push({
      id,
      key,
      name: `group ${id}`,
      description: '',
      labels: labels.map((l) => ({ href: `/orgs/${ORG}/labels/${l}` })),
      sub_groups: subGroups.map((g) => ({ href: `/orgs/${ORG}/sec_policy/draft/label_groups/${g}` })),
    });
    return id;
  }

  ipList(name: string, ranges: IpRangeInput[], fqdns: string[] = []): string {
    const id = String(this.ipLists.length + 1);
    this.ipLists.push({ id, name, description: '', ip_ranges: ranges, fqdns: fqdns.map((fqdn) => ({ fqdn })) });
    return id;
  }

  service(name: string, ports: ServicePort[]): string {
    const id = String(this.services.length + 1);
    this.services.push({ id, name, description: '', service_ports: ports });
    return id;
  }

  virtualService(name: string, labels: string[], ips: string[], ports: ServicePort[] = []): string {
    const id = String(this.virtualServices.length + 1);
    this.virtualServices.push({ id, name, description: '', service_ports: ports, labels: labels.map((l) => ({ href: `/orgs/${ORG}/labels/${l}` })), ip_overrides: ips });
    return id;
  }

  /** Adds a rule set; returns its id. Rule ids are global and sequential ("1", "2", …). */
  ruleSet(scopes: ScopeEntry[][], rules: RuleSpec[], denyRules: RuleSpec[] = [], enabled = true): string {
    const id = String(this.ruleSets.length + 1);
    const mk = (r: RuleSpec): SecRule => ({
      id: String(this.nextRule++),
      enabled: r.enabled ?? true,
      description: '',
      providers: r.providers,
      consumers: r.consumers,
      ingress_services: r.services ?? [tcp(443)],
      sec_connect: r.sec_connect ?? false,
      unscoped_consumers: r.unscoped_consumers ?? false,
    });
    const mkDeny = (r: RuleSpec): DenyRule => {
      const { sec_connect: _s, unscoped_consumers: _u, ...rest } = mk(r);
      return rest;
    };
    this.ruleSets.push({ id, name: `rs ${id}`, description: '', enabled, scopes, rules: rules.map(mk), deny_rules: denyRules.map(mkDeny) });
    return id;
  }

  snapshot(version: number | 'draft' = 1): PolicySnapshot {
    return {
      org: ORG,
      version,
      labelGroups: structuredClone(this.labelGroups),
      ipLists: structuredClone(this.ipLists),
      services: structuredClone(this.services),
      ruleSets: structuredClone(this.ruleSets),
      virtualServices: structuredClone(this.virtualServices),
      firewallSettings: { ...this.firewallSettings },
    };
  }

  engine(version: number | 'draft' = 1): PolicyEngine {
    return new PolicyEngine({ snapshot: this.snapshot(version), workloads: this.workloads.map((w) => ({ ...w })), labels: this.labels });
  }
}

/** Building the compute engine's inputs from the store: a policy snapshot, workloads, labels. */
import { orgHref, type PolicyVersionRef } from '@palisade/core/href.ts';
import type { ComputeWorkload, LabelKeyRef, PolicySnapshot } from '@palisade/core/compute/index.ts';
import { DEFAULT_FIREWALL_SETTINGS, type FirewallSettings } from '@palisade/core/model/firewall-settings.ts';
import type { Workload } from '@palisade/core/model/workloads.ts';
import type { IpList } from '@palisade/core/model/ip-lists.ts';
import type { LabelGroup } from '@palisade/core/model/labels.ts';
import type { RuleSet } from '@palisade/core/model/rule-sets.ts';
import type { Service } from '@palisade/core/model/services.ts';
import type { VirtualService } from '@palisade/core/model/virtual-services.ts';
import type { StoreTx, WorkloadRow } from '../store/store.ts';
import { getObject, listObjects } from '../services/policy-store.ts';

export async function loadSnapshot(tx: StoreTx, org: number, v: PolicyVersionRef): Promise<PolicySnapshot> {
  const version = v === 'active' ? await tx.latestVersion(org) : v;
  const list = <T>(type: Parameters<typeof listObjects>[3]) => listObjects(tx, org, version, type) as unknown as Promise<T[]>;
  const fw = (await getObject(tx, org, version, 'firewall_settings', 'firewall_settings')) as unknown as FirewallSettings | undefined;
  return {
    org,
    version,
    labelGroups: await list<LabelGroup>('label_groups'),
    ipLists: await list<IpList>('ip_lists'),
    services: await list<Service>('services'),
    ruleSets: await list<RuleSet>('rule_sets'),
    virtualServices: await list<VirtualService>('virtual_services'),
    firewallSettings: fw ? { ike_authentication_type: fw.ike_authentication_type, ike_ca_identity: fw.ike_ca_identity } : DEFAULT_FIREWALL_SETTINGS,
  };
}

export function computeWorkloadOf(org: number, row: WorkloadRow): ComputeWorkload {
  const w = JSON.parse(row.data) as Omit<Workload, 'id' | 'labels'>;
  return {
    id: row.id,
    name: w.name ?? w.hostname ?? row.id,
    href: orgHref(org, 'workloads', row.id),
    labels: row.label_ids.map(String),
    addresses: w.interfaces.map((i) => i.address),
    os_type: w.os_type,
    os_version: w.os_version,
    enforcement_mode: w.enforcement_mode,
    visibility_level: w.visibility_level,
    managed: w.ven_id !== null,
  };
}

export async function loadLabels(tx: StoreTx, org: number): Promise<LabelKeyRef[]> {
  const { rows } = await tx.listLabels(org, { limit: 10_000_000 });
  return rows.map((l) => ({ id: String(l.id), key: l.key }));
}

export async function loadWorkloads(tx: StoreTx, org: number): Promise<ComputeWorkload[]> {
  return (await tx.allWorkloads(org)).map((r) => computeWorkloadOf(org, r));
}

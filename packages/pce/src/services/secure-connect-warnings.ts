/**
 * SecureConnect checks of rules against the current inventory (DESIGN §4 items 4–5):
 * errors refuse the write or the provision; warnings name the pairs that will be blocked.
 */
import type { Diagnostic } from '@palisade/core/diagnostics.ts';
import type { PolicyVersionRef } from '@palisade/core/href.ts';
import type { ScopeEntry } from '@palisade/core/model/rule-sets.ts';
import { checkSecureConnectRule } from '@palisade/core/policy/secure-connect-check.ts';
import { indexByLabel, resolveRule, type LabelGroupView, type PolicyWorkload, type ResolveContext } from '@palisade/core/policy/workload-set.ts';
import type { StoreTx } from '../store/store.ts';
import { listObjects, type StoredObject } from './policy-store.ts';
import type { Workload } from '@palisade/core/model/workloads.ts';

export interface RuleLike {
  readonly sec_connect: boolean;
  readonly unscoped_consumers: boolean;
  readonly providers: readonly Record<string, unknown>[];
  readonly consumers: readonly Record<string, unknown>[];
}

export interface SecureConnectInventory {
  readonly workloads: PolicyWorkload[];
  readonly byId: Map<string, PolicyWorkload>;
  readonly byLabel: (labelId: string) => readonly PolicyWorkload[];
  readonly ctx: ResolveContext;
  readonly labelGroups: Map<string, LabelGroupView>;
  readonly ipListNames: Map<string, string>;
}

export async function loadInventory(tx: StoreTx, org: number, v: PolicyVersionRef): Promise<SecureConnectInventory> {
  const workloads = (await tx.allWorkloads(org)).map((r): PolicyWorkload => {
    const w = JSON.parse(r.data) as Omit<Workload, 'id' | 'labels'>;
    return {
      id: r.id,
      name: w.name ?? w.hostname ?? r.id,
      managed: w.ven_id !== null,
      os_type: w.os_type,
      os_version: w.os_version,
      enforcement_mode: w.enforcement_mode,
      labels: r.label_ids.map(String),
    };
  });
  const labelGroups = new Map((await listObjects(tx, org, v, 'label_groups')).map((g) => [g.id, g as unknown as LabelGroupView]));
  const ipListNames = new Map((await listObjects(tx, org, v, 'ip_lists')).map((l: StoredObject) => [l.id, String(l['name'])]));
  const byLabel = indexByLabel(workloads);
  // One resolve context per inventory: resolution caches (scopes) are keyed on it.
  const keys = new Map((await tx.listLabels(org, { limit: 10_000_000 })).rows.map((l) => [String(l.id), l.key]));
  const ctx: ResolveContext = { workloads, labelGroup: (id: string) => labelGroups.get(id), workloadsWithLabel: byLabel, labelKey: (id) => keys.get(id) };
  return { workloads, byId: new Map(workloads.map((w) => [w.id, w])), byLabel, labelGroups, ipListNames, ctx };
}

export function secureConnectDiagnostics(inv: SecureConnectInventory, scopes: readonly (readonly ScopeEntry[])[], rule: RuleLike, ruleHref: string): Diagnostic[] {
  if (!rule.sec_connect) return [];
  const { providers, consumers } = resolveRule(rule as Parameters<typeof resolveRule>[0], scopes, inv.ctx);
  return checkSecureConnectRule(rule as Parameters<typeof checkSecureConnectRule>[0], {
    ruleHref,
    ipListName: (id) => inv.ipListNames.get(id),
    workload: (id) => inv.byId.get(id),
    providers,
    consumers,
  });
}

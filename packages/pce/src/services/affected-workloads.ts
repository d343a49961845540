/**
 * Which workloads a provision touches, as Illumio's `workloads_affected` reports it: every
 * workload covered (scope ∩ actors) by a changed rule set, before or after the change, and
 * by the active rule sets that use a changed label group, IP list, service or virtual
 * service. Structural and fast; the plans themselves are recomputed after commit.
 */
import { policyHref } from '@palisade/core/href.ts';
import type { ActorInput, ScopeEntry } from '@palisade/core/model/rule-sets.ts';
import { resolveActors, workloadIdsInScopes } from '@palisade/core/policy/workload-set.ts';
import type { DraftRow, StoreTx } from '../store/store.ts';
import type { SecureConnectInventory } from './secure-connect-warnings.ts';

interface RuleDoc {
  readonly providers?: readonly ActorInput[];
  readonly consumers?: readonly ActorInput[];
  readonly unscoped_consumers?: boolean;
}

interface RuleSetDoc {
  readonly scopes?: ScopeEntry[][];
  readonly rules?: readonly RuleDoc[];
  readonly deny_rules?: readonly RuleDoc[];
}

function coveredBy(rs: RuleSetDoc, inv: SecureConnectInventory, out: Set<string>): void {
  const inScope = workloadIdsInScopes(rs.scopes ?? [], inv.ctx);
  for (const rule of [...(rs.rules ?? []), ...(rs.deny_rules ?? [])]) {
    const sides: [readonly ActorInput[], boolean][] = [
      [rule.providers ?? [], true],
      [rule.consumers ?? [], rule.unscoped_consumers !== true],
    ];
    for (const [actors, scoped] of sides) {
      for (const w of resolveActors(actors, inv.ctx)) {
        if (out.has(w.id)) continue;
        if (!scoped || inScope === undefined || inScope.has(w.id)) out.add(w.id);
      }
      if (out.size === inv.workloads.length) return;
    }
  }
}

export async function affectedWorkloads(tx: StoreTx, org: number, rows: readonly DraftRow[], latest: number, inventory: () => Promise<SecureConnectInventory>): Promise<number> {
  const inv = await inventory();
  const out = new Set<string>();
  const seenRuleSets = new Set<string>();
  const add = (data: string | null | undefined): void => {
    if (data && out.size < inv.workloads.length) coveredBy(JSON.parse(data) as RuleSetDoc, inv, out);
  };
  for (const r of rows) {
    if (r.type === 'firewall_settings') return inv.workloads.length; // IKE settings reach every host
    if (r.type === 'rule_sets') {
      seenRuleSets.add(r.id);
      add(r.data);
      if (r.change !== 'create') add((await tx.getRevision(org, 'rule_sets', r.id, latest))?.data);
      continue;
    }
    for (const user of await tx.revisionsReferencing(org, policyHref(org, 'draft', r.type, r.id), latest)) {
      if (user.type !== 'rule_sets' || seenRuleSets.has(user.id)) continue;
      seenRuleSets.add(user.id);
      add(user.data);
    }
  }
  return out.size;
}

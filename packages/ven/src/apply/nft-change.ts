/**
 * The least work from the applied plan to the next one, short of running nft: build the new
 * table reusing what did not change, and write the smallest script that gets the kernel
 * there. Pure; the applier runs it, and so does the 1,000-agent benchmark (bench/ven-fleet-
 * agent.ts), which does everything the VEN does with a delivery but load it.
 *
 * - An address set of the new plan that is the very object of the applied plan (the delivery
 *   decoder keeps the base's set for a delta's `{"name", "same": true}`) keeps its nft
 *   elements: they are not split, checked or sorted again.
 * - Only members changed: the set delta of `@palisade/render` (`kind: 'delta'`).
 * - Rules changed (a provision, a mode change), sets the same apart from their members: a
 *   rules update (`kind: 'rules'`) — each changed chain flushed and declared again with its
 *   rules (and policy), plus the member changes, in one file, so one transaction. Set members
 *   are not loaded again: a rule added for a workload with 50k peers costs the rule.
 * - Anything else (a set or flow set added or gone, a chain added, gone, or on another hook):
 *   null, the full replace.
 */
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import { nftNetworkSetName, nftSetName } from '@palisade/render/nftables/nft-names.ts';
import { buildNftTable, type NftChain, type NftRenderContext, type NftTable } from '@palisade/render/nftables/nft-table.ts';
import { writeTable } from '@palisade/render/nftables/nftables-renderer.ts';
import { writeSetDelta, type BuiltPlan } from '@palisade/render/nftables/nftables-set-delta.ts';

export type { BuiltPlan } from '@palisade/render/nftables/nftables-set-delta.ts';

export interface NftChange {
  readonly kind: 'delta' | 'rules';
  /** `''`: nothing the kernel holds changes. */
  readonly script: string;
}

/**
 * `buildNftTable(plan, ctx)`, with the elements of sets that are `before`'s own objects taken
 * from `before`'s table. `before` must have been built with the same `ctx`.
 */
export function buildTable(plan: WorkloadPlan, ctx: NftRenderContext, before?: BuiltPlan): NftTable | null {
  const old = before?.table;
  if (!before || !old || ctx.only !== undefined) return buildNftTable(plan, ctx);
  const held = new Set(before.plan.address_sets);
  const oldSets = new Map(old.sets.map((s) => [s.name, s]));
  const kept = new Set<string>();
  for (const s of plan.address_sets) {
    if (!held.has(s)) continue;
    const names = [nftSetName(s.name, 4), nftNetworkSetName(s.name, 4), nftSetName(s.name, 6), nftNetworkSetName(s.name, 6)];
    // A table built otherwise (SecureConnect only, say) lacks them: build this set afresh.
    if (names.every((n) => oldSets.has(n))) for (const n of names) kept.add(n);
  }
  if (kept.size === 0) return buildNftTable(plan, ctx);
  // Built with those sets empty (names, rules and checks all as usual), then given their elements back.
  const stub = { ...plan, address_sets: plan.address_sets.map((s) => (held.has(s) && kept.has(nftSetName(s.name, 4)) ? { ...s, ipv4: [], ipv6: [] } : s)) };
  const table = buildNftTable(stub, ctx);
  if (!table) return table;
  return { ...table, sets: table.sets.map((s) => (kept.has(s.name) ? (oldSets.get(s.name) ?? s) : s)) };
}

/** The rule lines of a chain, section after section. */
function* ruleLines(c: NftChain): Generator<string> {
  for (const s of c.sections) yield* s.rules;
}

/** Same rule lines in the same order (section titles are comments: the kernel never sees them). */
function sameRules(a: NftChain, b: NftChain): boolean {
  const rb = ruleLines(b);
  for (const r of ruleLines(a)) if (rb.next().value !== r) return false;
  return rb.next().done === true;
}

/** The set delta, or the rules update, from `before` (what is loaded) to `after`; null when only a full replace will do. */
export function changeScript(before: BuiltPlan, after: BuiltPlan): NftChange | null {
  const a = before.table;
  const b = after.table;
  if (a === null || b === null || a.name !== b.name || a.chains.length !== b.chains.length) {
    const members = writeSetDelta(before, after);
    return members === null ? null : { kind: 'delta', script: members };
  }
  const changed: NftChain[] = [];
  for (const [i, c] of b.chains.entries()) {
    const was = a.chains[i];
    if (!was || was.name !== c.name || was.hook !== c.hook || (was.priority ?? 'filter') !== (c.priority ?? 'filter')) return null;
    if (was.policy !== c.policy || !sameRules(was, c)) changed.push(c);
  }
  if (changed.length === 0) {
    const members = writeSetDelta(before, after);
    return members === null ? null : { kind: 'delta', script: members };
  }
  // The same sets and flow sets (members aside): the set delta of the tables without their chains.
  const members = writeSetDelta({ plan: before.plan, table: { ...a, chains: [] } }, { plan: after.plan, table: { ...b, chains: [] } });
  if (members === null) return null;
  const hash = (p: WorkloadPlan): string => p.hash.replace(/[^0-9A-Za-z]/g, '');
  const lines = [`# Palisade rules update ${hash(before.plan)} -> ${hash(after.plan)}: replaces the rules of changed chains of table inet ${b.name}, keeps its sets. Rendered by the VEN; do not edit.`];
  for (const c of changed) lines.push(`flush chain inet ${b.name} ${c.name}`);
  // Declared again with their hook, priority and policy (nft updates a base chain's policy in place).
  writeTable(lines, { name: b.name, sets: [], chains: changed }, false);
  return { kind: 'rules', script: `${lines.join('\n')}\n${members}` };
}

/**
 * Two plans that differ only in who is in their address sets → an `nft -f` script that
 * changes just the changed sets, in one transaction (nothing is let through half-way:
 * LAB.md). A hash set (single addresses) gets `delete element` for who left and `add element`
 * for who joined, so its cost follows the change, not the set; an interval set (CIDRs and
 * ranges) is flushed and refilled, since nft 1.0.6 reads all of an interval set for any
 * element change. Anything else (a rule, a set added or gone, the mode, the context) needs
 * the full replace of `renderNftables`, and the answer is null.
 *
 * A delete of an element the kernel does not hold makes nft refuse the whole script: the
 * VEN then falls back to the full replace, so a set changed behind its back never blocks a
 * change. Elements added behind its back and kept are left to its deep (member) check.
 */
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import { buildNftTable } from './nft-table.ts';
import type { NftRenderContext, NftSet, NftTable } from './nft-table.ts';
import { writeElements, writeTable } from './nftables-renderer.ts';

function sameElements(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((e, i) => e === b[i]);
}

function elementBlock(lines: string[], verb: 'add' | 'delete', table: string, set: string, elements: readonly string[]): void {
  if (elements.length === 0) return;
  lines.push(`${verb} element inet ${table} ${set} {`);
  writeElements(lines, elements, '\t');
  lines.push('}');
}

/** The lines that turn `before`'s members of one set into `after`'s. */
function setLines(lines: string[], table: string, set: NftSet, before: readonly string[]): void {
  if (set.interval) {
    lines.push(`flush set inet ${table} ${set.name}`);
    elementBlock(lines, 'add', table, set.name, set.elements);
    return;
  }
  const now = new Set(set.elements);
  const was = new Set(before);
  const gone = before.filter((e) => !now.has(e));
  const joined = set.elements.filter((e) => !was.has(e));
  // Replacing most of a set: a flush and one add say the same in fewer elements.
  if (gone.length + joined.length > set.elements.length) {
    lines.push(`flush set inet ${table} ${set.name}`);
    elementBlock(lines, 'add', table, set.name, set.elements);
    return;
  }
  elementBlock(lines, 'delete', table, set.name, gone);
  elementBlock(lines, 'add', table, set.name, joined);
}

/**
 * The delta script, `''` when nothing the kernel holds changes (also between two `idle`
 * plans), or null when only a full replace will do. It assumes the table of `before`
 * (rendered with the same `ctx`) is what is loaded.
 */
export function renderSetDelta(before: WorkloadPlan, after: WorkloadPlan, ctx: NftRenderContext): string | null {
  return writeSetDelta({ plan: before, table: buildNftTable(before, ctx) }, { plan: after, table: buildNftTable(after, ctx) });
}

/** A plan with the table `buildNftTable` built from it (with the same context for both ends of a delta). */
export interface BuiltPlan {
  readonly plan: WorkloadPlan;
  readonly table: NftTable | null;
}

/** `renderSetDelta` from tables already built (a caller that keeps them builds each once). */
export function writeSetDelta(before: BuiltPlan, after: BuiltPlan): string | null {
  const a = before.table;
  const b = after.table;
  if (a === null || b === null) return a === b ? '' : null;
  // Equal skeletons (the whole table without elements) mean equal sets, chains and rules.
  const skeleton = (t: NftTable): string => {
    const out: string[] = [];
    writeTable(out, t, false);
    return out.join('\n');
  };
  if (skeleton(a) !== skeleton(b)) return null;
  const old = new Map<string, NftSet>(a.sets.map((s) => [s.name, s]));
  const lines: string[] = [];
  for (const set of b.sets) {
    const was = old.get(set.name)?.elements ?? [];
    if (!sameElements(was, set.elements)) setLines(lines, b.name, set, was);
  }
  if (lines.length === 0) return '';
  const hash = (p: WorkloadPlan): string => p.hash.replace(/[^0-9A-Za-z]/g, '');
  return `# Palisade set delta ${hash(before.plan)} -> ${hash(after.plan)}: changes the members of changed sets of table inet ${b.name}. Rendered by @palisade/render; do not edit.\n${lines.join('\n')}\n`;
}

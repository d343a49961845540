/**
 * Two plans that differ only in who is in their address sets → an `nft -f` script that
 * flushes and refills just the changed sets, in one transaction (flush + add of 50k elements
 * lets nothing through: LAB.md). Anything else (a rule, a set added or gone, the mode, the
 * context) needs the full replace of `renderNftables`, and the answer is null.
 */
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import { buildNftTable } from './nft-table.ts';
import type { NftRenderContext, NftSet, NftTable } from './nft-table.ts';
import { writeElements, writeTable } from './nftables-renderer.ts';

function sameElements(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((e, i) => e === b[i]);
}

/**
 * The delta script, `''` when nothing the kernel holds changes (also between two `idle`
 * plans), or null when only a full replace will do. It assumes the table of `before`
 * (rendered with the same `ctx`) is what is loaded.
 */
export function renderSetDelta(before: WorkloadPlan, after: WorkloadPlan, ctx: NftRenderContext): string | null {
  const a = buildNftTable(before, ctx);
  const b = buildNftTable(after, ctx);
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
    if (sameElements(old.get(set.name)?.elements ?? [], set.elements)) continue;
    lines.push(`flush set inet ${b.name} ${set.name}`);
    if (set.elements.length > 0) {
      lines.push(`add element inet ${b.name} ${set.name} {`);
      writeElements(lines, set.elements, '\t');
      lines.push('}');
    }
  }
  if (lines.length === 0) return '';
  const hash = (p: WorkloadPlan): string => p.hash.replace(/[^0-9A-Za-z]/g, '');
  return `# Palisade set delta ${hash(before)} -> ${hash(after)}: refills the changed sets of table inet ${b.name}. Rendered by @palisade/render; do not edit.\n${lines.join('\n')}\n`;
}

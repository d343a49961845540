/**
 * WorkloadPlan → one `nft -f` script that atomically replaces the table Palisade owns and
 * touches nothing else (DESIGN §7, LAB.md: `table` / `delete table` / `table { … }` in one
 * file is one transaction; nft 1.0.6 wants one statement per line). Returns text, runs nothing.
 */
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import { nftTableName } from './nft-names.ts';
import { writeFlowSets } from './nft-flow-accounting.ts';
import { buildNftTable } from './nft-table.ts';
import type { NftRenderContext, NftSet, NftTable } from './nft-table.ts';

export type { NftRenderContext } from './nft-table.ts';

/**
 * Appends `{ a, b }` written one element per line, so a golden diff shows membership changes
 * line by line. Appends in a loop: sets of 100k elements are too many arguments for `push(...)`.
 */
export function writeElements(out: string[], elements: readonly string[], indent: string): void {
  const last = elements.length - 1;
  for (let i = 0; i <= last; i++) out.push(`${indent}${elements[i] ?? ''}${i < last ? ',' : ''}`);
}

function writeSet(out: string[], set: NftSet, withElements: boolean): void {
  out.push(`\tset ${set.name} {`, `\t\ttype ${set.family === 4 ? 'ipv4_addr' : 'ipv6_addr'}`);
  if (set.interval) out.push('\t\tflags interval');
  if (withElements && set.elements.length > 0) {
    out.push('\t\telements = {');
    writeElements(out, set.elements, '\t\t\t');
    out.push('\t\t}');
  }
  out.push('\t}');
}

/**
 * Appends the `table … { … }` block. Without elements it is the table's skeleton: two plans
 * whose skeletons are equal differ only in set membership (what a set delta can carry).
 */
export function writeTable(out: string[], table: NftTable, withElements: boolean): void {
  out.push(`table inet ${table.name} {`);
  for (const set of table.sets) writeSet(out, set, withElements);
  writeFlowSets(out, table);
  for (const chain of table.chains) {
    out.push(`\tchain ${chain.name} {`, `\t\ttype filter hook ${chain.hook} priority ${chain.priority ?? 'filter'}; policy ${chain.policy};`);
    for (const section of chain.sections) {
      if (section.rules.length === 0) continue;
      out.push(`\t\t# ${section.title}`);
      for (const rule of section.rules) out.push(`\t\t${rule}`);
    }
    out.push('\t}');
  }
  out.push('}');
}

/** Only hex digits of the hash reach the comment line. */
function header(plan: WorkloadPlan, what: string): string {
  return `# Palisade plan ${plan.hash.replace(/[^0-9A-Za-z]/g, '')} (${plan.enforcement_mode}): ${what}. Rendered by @palisade/render; do not edit.`;
}

/**
 * The whole script for `nft -f`. In `idle` it only removes the table: the VEN installs
 * nothing. The `table` line before `delete table` makes the delete succeed on a first apply.
 */
export function renderNftables(plan: WorkloadPlan, ctx: NftRenderContext): string {
  return writeNftScript(plan, buildNftTable(plan, ctx), ctx);
}

/** The script of `renderNftables` from the table `buildNftTable(plan, ctx)` built (a caller that keeps the table builds it once). */
export function writeNftScript(plan: WorkloadPlan, table: NftTable | null, ctx: NftRenderContext): string {
  const name = nftTableName(ctx.table);
  const lines = [header(plan, table ? `replaces table inet ${name}${ctx.only === 'secure-connect' ? ' with SecureConnect only (suspended)' : ''}` : `removes table inet ${name}, installs nothing`), `table inet ${name}`, `delete table inet ${name}`];
  if (table) writeTable(lines, table, true);
  return `${lines.join('\n')}\n`;
}

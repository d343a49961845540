/**
 * Plan names → nft identifiers. The mapping is a pure function of the plan's set name, so
 * the same plan set always has the same nft sets and a membership change is a set delta.
 */
import { invalid } from '@palisade/core';
import { fnv64 } from '@palisade/core/compute/index.ts';
import type { Family } from '@palisade/core';

/**
 * Kernels before 4.15 cap table, chain and set names at 32 bytes with the NUL (the one this
 * was checked on takes 255). Staying under 32 keeps rendered files portable.
 */
export const NFT_NAME_MAX = 31;

/** What nft's scanner takes as a bare identifier, minus the `/.-` it also allows (they read as operators in places). */
const IDENT = /^[A-Za-z][A-Za-z0-9_]*$/;

/**
 * The stem of the four nft sets of one plan set: `<stem>_v4`, `<stem>_v6` (hash sets of single
 * addresses) and `<stem>_n4`, `<stem>_n6` (interval sets of CIDRs and ranges). A name that is
 * already a short identifier without `__` is kept (the engine's `ps_<16 hex>` are); any other
 * gets a readable prefix and `__` + FNV-1a 64 of the whole name. Kept names never contain
 * `__` and hashed ones always do, so two different plan names cannot meet unless FNV collides.
 */
export function nftSetStem(planSetName: string): string {
  if (IDENT.test(planSetName) && planSetName.length <= NFT_NAME_MAX - 3 && !planSetName.includes('__')) return planSetName;
  const readable = planSetName
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^[^A-Za-z]+/, '')
    .slice(0, 10)
    .replace(/_+$/, '');
  return `${readable === '' ? 's' : readable}__${fnv64(planSetName).hex}`;
}

/** The hash set of a plan set's single addresses of one family. */
export function nftSetName(planSetName: string, family: Family): string {
  return `${nftSetStem(planSetName)}_v${family}`;
}

/** The interval set of a plan set's CIDRs and ranges of one family. */
export function nftNetworkSetName(planSetName: string, family: Family): string {
  return `${nftSetStem(planSetName)}_n${family}`;
}

/** The table name from the render context: checked, since it is pasted into the script. */
export function nftTableName(name: string | undefined): string {
  const table = name ?? 'palisade';
  if (!IDENT.test(table) || table.length > NFT_NAME_MAX) {
    throw invalid('invalid_nft_table', `nft table name ${JSON.stringify(table)} must be a letter followed by letters, digits or _ (at most ${NFT_NAME_MAX}).`, 'table');
  }
  return table;
}

/**
 * A rule comment (the rule href, so counters can be traced to rules). nft comments are at
 * most 128 bytes; characters that could end the quoted string or the line are dropped.
 */
export function nftComment(text: string): string {
  return `comment "${text.replace(/[^A-Za-z0-9/_.:@=+-]/g, '').slice(0, 127)}"`;
}

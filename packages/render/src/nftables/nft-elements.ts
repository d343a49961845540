/**
 * Address-set items → nft set elements, split in two: single addresses for a hash set, CIDRs
 * and ranges for an interval set. A membership change on a hash set costs what changed; on an
 * interval set nft 1.0.6 reads and rewrites the whole set (0.7–1.6 s at 50k elements), so only
 * what needs intervals goes there. Every item is parsed before it is written: nft would
 * resolve a host name at load time, and text from a plan must never reach the script
 * unchecked. nft refuses overlapping intervals in one set ("conflicting intervals") and
 * repeated elements, so a list that is not sorted and disjoint (the plan contract says it is)
 * is sorted, deduplicated and merged here.
 */
import { bits, formatIp, invalid, parseCidr, parseIp } from '@palisade/core';
import type { Family } from '@palisade/core';

interface Interval {
  readonly from: bigint;
  readonly to: bigint;
}

function parseItem(item: string, family: Family, where: string): Interval {
  const dash = item.indexOf('-');
  if (dash !== -1) {
    const a = parseIp(item.slice(0, dash));
    const b = parseIp(item.slice(dash + 1));
    if (a && b && a.family === family && b.family === family && a.value <= b.value) return { from: a.value, to: b.value };
  } else {
    const r = parseCidr(item);
    if (r && r.family === family) return { from: r.from, to: r.to };
  }
  throw invalid('invalid_address_set_item', `${where}: ${JSON.stringify(item)} is not an IPv${family} address, CIDR or a-b range.`, where);
}

/** The largest CIDR block starting at `from` that ends at or before `to`, as its size in bits. */
function blockBits(from: bigint, to: bigint, width: number): number {
  let size = 0;
  while (size < width) {
    const next = BigInt(size + 1);
    if ((from & ((1n << next) - 1n)) !== 0n || from + (1n << next) - 1n > to) break;
    size++;
  }
  return size;
}

function formatInterval(family: Family, { from, to }: Interval): string {
  if (from === to) return formatIp(family, from);
  const width = bits(family);
  const size = blockBits(from, to, width);
  if (from + (1n << BigInt(size)) - 1n === to) return `${formatIp(family, from)}/${width - size}`;
  return `${formatIp(family, from)}-${formatIp(family, to)}`;
}

export interface SplitElements {
  /** Single addresses (a `/32` or `/128` CIDR too, written as the address): the hash set. */
  readonly addresses: readonly string[];
  /** CIDRs and ranges: the interval set. */
  readonly networks: readonly string[];
}

/** Whether the values are strictly increasing (sorted, no repeats). */
function increasing(values: readonly bigint[]): boolean {
  for (let i = 1; i < values.length; i++) if ((values[i] ?? 0n) <= (values[i - 1] ?? 0n)) return false;
  return true;
}

/** The hash-set elements: in plan order when sorted without repeats (the text is the plan's own), else sorted and deduplicated. */
function addressElements(items: readonly string[], values: readonly bigint[], family: Family): readonly string[] {
  if (increasing(values)) return items;
  const sorted = [...new Set(values)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return sorted.map((v) => formatIp(family, v));
}

/** A dotted quad in canonical form (no leading zeros) as a number; -1 for anything else. */
function plainIpv4(item: string): number {
  let value = 0;
  let part = -1;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < item.length; i++) {
    const c = item.charCodeAt(i);
    if (c === 46) {
      if (part < 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = -1;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (part === 0 || ++digits > 3) return -1; // a leading zero
      part = (part < 0 ? 0 : part * 10) + (c - 48);
      if (part > 255) return -1;
    } else return -1;
  }
  return dots === 3 && part >= 0 ? value * 256 + part : -1;
}

/**
 * The common big case without BigInt: IPv4 addresses only, sorted without repeats (the
 * plan's contract). Undefined when the items are anything else: the general path decides.
 */
function sortedPlainIpv4(items: readonly string[]): SplitElements | undefined {
  let last = -1;
  for (const item of items) {
    const v = plainIpv4(item);
    if (v <= last) return undefined;
    last = v;
  }
  return { addresses: items, networks: [] };
}

/** One family's items split into hash-set and interval-set elements. */
export function splitElements(items: readonly string[], family: Family, where: string): SplitElements {
  const fast = family === 4 ? sortedPlainIpv4(items) : undefined;
  if (fast) return fast;
  const addresses: string[] = [];
  const values: bigint[] = [];
  const networks: string[] = [];
  const parsedNetworks: Interval[] = [];
  for (const item of items) {
    const it = parseItem(item, family, where);
    if (it.from === it.to) {
      addresses.push(item.includes('/') || item.includes('-') ? formatIp(family, it.from) : item);
      values.push(it.from);
    } else {
      networks.push(item);
      parsedNetworks.push(it);
    }
  }
  return { addresses: addressElements(addresses, values, family), networks: intervalElements(networks, parsedNetworks, family) };
}

/**
 * Interval-set elements in plan order when the plan keeps its contract (the common case: the
 * text is the plan's own), else sorted and merged.
 */
function intervalElements(items: readonly string[], parsed: readonly Interval[], family: Family): readonly string[] {
  let ordered = true;
  for (let i = 1; i < parsed.length && ordered; i++) {
    const prev = parsed[i - 1];
    const cur = parsed[i];
    if (prev && cur && cur.from <= prev.to) ordered = false;
  }
  if (ordered) return items;
  const sorted = [...parsed].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const merged: { from: bigint; to: bigint }[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.from <= last.to + 1n) {
      if (r.to > last.to) last.to = r.to;
    } else {
      merged.push({ from: r.from, to: r.to });
    }
  }
  return merged.map((r) => formatInterval(family, r));
}

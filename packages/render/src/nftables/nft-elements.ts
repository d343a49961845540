/**
 * Address-set items → nft interval-set elements. Every item is parsed before it is written:
 * nft would resolve a host name at load time, and text from a plan must never reach the
 * script unchecked. nft refuses overlapping elements in one set ("conflicting intervals"),
 * so a list that is not sorted and disjoint (the plan contract says it is) is merged here.
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

/**
 * The elements of one family's set, in plan order when the plan keeps its contract (the
 * common case: the text is the plan's own), else sorted and merged.
 */
export function setElements(items: readonly string[], family: Family, where: string): readonly string[] {
  const parsed = items.map((item) => parseItem(item, family, where));
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

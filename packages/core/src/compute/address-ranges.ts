/**
 * Address arithmetic for sets of peers. IPv4 lives in plain numbers (a 100,000-address set
 * must build in milliseconds; BigInt would not), IPv6 in bigints. A range list is flat and
 * sorted: `[from0, to0, from1, to1, …]`, disjoint and with no two ranges adjacent.
 */
import { formatIp, parseCidr, parseIPv6, parseIp } from '../ip.ts';
import type { IpRangeInput } from '../model/ip-lists.ts';

export type ParsedAddress = { readonly family: 4; readonly v: number } | { readonly family: 6; readonly v: bigint };

/** A fast dotted-quad parser (the hot path of indexing 100k workloads); IPv6 goes to ip.ts. */
export function parseAddress(s: string): ParsedAddress | undefined {
  let n = 0;
  let octet = -1;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (octet === 0) return parseV6(s); // leading zero: not canonical IPv4
      octet = octet < 0 ? c - 48 : octet * 10 + (c - 48);
      if (octet > 255) return parseV6(s);
    } else if (c === 46) {
      if (octet < 0 || dots === 3) return parseV6(s);
      n = n * 256 + octet;
      octet = -1;
      dots++;
    } else {
      return parseV6(s);
    }
  }
  if (dots !== 3 || octet < 0) return parseV6(s);
  return { family: 4, v: n * 256 + octet };
}

function parseV6(s: string): ParsedAddress | undefined {
  const v = parseIPv6(s);
  return v === undefined ? undefined : { family: 6, v };
}

export function formatV4(n: number): string {
  return `${Math.floor(n / 16777216)}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function formatV6(v: bigint): string {
  return formatIp(6, v);
}

export function formatAddress(a: ParsedAddress): string {
  return a.family === 4 ? formatV4(a.v) : formatV6(a.v);
}

/** Merge sorted points and sorted disjoint ranges into one flat, merged range list. */
export function mergeV4(points: Uint32Array | readonly number[], ranges: readonly number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  const push = (from: number, to: number): void => {
    const last = out.length - 1;
    if (last > 0 && from <= (out[last] ?? 0) + 1) {
      if (to > (out[last] ?? 0)) out[last] = to;
    } else {
      out.push(from, to);
    }
  };
  while (i < points.length || j < ranges.length) {
    const p = i < points.length ? (points[i] ?? 0) : Infinity;
    const r = j < ranges.length ? (ranges[j] ?? 0) : Infinity;
    if (p <= r) {
      push(p, p);
      i++;
    } else {
      push(r, ranges[j + 1] ?? r);
      j += 2;
    }
  }
  return out;
}

const PACK = 2097152; // 2^21: a 32-bit address and a 21-bit position fit a double exactly

/**
 * Merge member addresses (with their canonical strings, from the workloads) and static
 * ranges into a formatted item list. A lone address reuses its workload's string instead of
 * formatting a new one: sets of 100,000 addresses are built without 100,000 new strings.
 */
export function mergeFormatV4(points: readonly number[], texts: readonly string[], ranges: readonly number[]): { ranges: number[]; items: string[] } {
  const n = points.length;
  let order: number[] | undefined;
  let sorted: number[];
  if (n < PACK) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = (points[i] ?? 0) * PACK + i;
    keys.sort();
    sorted = new Array<number>(n);
    order = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const key = keys[i] ?? 0;
      const v = Math.floor(key / PACK);
      sorted[i] = v;
      order[i] = key - v * PACK;
    }
  } else {
    sorted = [...points].sort((a, b) => a - b);
  }
  const merged = mergeV4(sorted, ranges);
  const items: string[] = [];
  // a lone point's text: walk the sorted points alongside the merged ranges
  let p = 0;
  for (let i = 0; i + 1 < merged.length; i += 2) {
    const from = merged[i] ?? 0;
    const to = merged[i + 1] ?? 0;
    while (p < n && (sorted[p] ?? 0) < from) p++;
    if (from === to && order && p < n && sorted[p] === from) items.push(texts[order[p] ?? 0] ?? formatV4(from));
    else items.push(...formatV4Ranges([from, to]));
  }
  return { ranges: merged, items };
}

/** Same for IPv6, where points are few. */
export function mergeV6(points: readonly bigint[], ranges: readonly bigint[]): bigint[] {
  const pairs: [bigint, bigint][] = points.map((p) => [p, p]);
  for (let j = 0; j + 1 < ranges.length; j += 2) pairs.push([ranges[j] ?? 0n, ranges[j + 1] ?? 0n]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: bigint[] = [];
  for (const [from, to] of pairs) {
    const last = out.length - 1;
    if (last > 0 && from <= (out[last] ?? 0n) + 1n) {
      if (to > (out[last] ?? 0n)) out[last] = to;
    } else {
      out.push(from, to);
    }
  }
  return out;
}

/** `a` minus `b`, both merged flat IPv4 range lists. */
export function subtractV4(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < a.length; i += 2) {
    let from = a[i] ?? 0;
    const to = a[i + 1] ?? 0;
    for (let k = 0; k + 1 < b.length && from <= to; k += 2) {
      const bf = b[k] ?? 0;
      const bt = b[k + 1] ?? 0;
      if (bt < from || bf > to) continue;
      if (bf > from) out.push(from, bf - 1);
      from = bt + 1;
    }
    if (from <= to) out.push(from, to);
  }
  return out;
}

/** `a` minus `b`, both merged flat IPv6 range lists. */
export function subtractV6(a: readonly bigint[], b: readonly bigint[]): bigint[] {
  const out: bigint[] = [];
  for (let i = 0; i + 1 < a.length; i += 2) {
    let from = a[i] ?? 0n;
    const to = a[i + 1] ?? 0n;
    for (let k = 0; k + 1 < b.length && from <= to; k += 2) {
      const bf = b[k] ?? 0n;
      const bt = b[k + 1] ?? 0n;
      if (bt < from || bf > to) continue;
      if (bf > from) out.push(from, bf - 1n);
      from = bt + 1n;
    }
    if (from <= to) out.push(from, to);
  }
  return out;
}

/** Does a flat range list contain `v`? Binary search. */
export function rangesContain<T extends number | bigint>(ranges: readonly T[], v: T): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const from = ranges[mid * 2] as T;
    const to = ranges[mid * 2 + 1] as T;
    if (v < from) hi = mid - 1;
    else if (v > to) lo = mid + 1;
    else return true;
  }
  return false;
}

/** An IP list's ranges, exclusions removed, per family. */
export function ipListRanges(items: readonly IpRangeInput[]): { v4: number[]; v6: bigint[] } {
  const inc4: number[] = [];
  const exc4: number[] = [];
  const inc6: bigint[] = [];
  const exc6: bigint[] = [];
  for (const r of items) {
    const from = parseCidr(r.from_ip);
    if (!from) continue; // validated at write time; a stored bad range contributes nothing
    let lo = from.from;
    let hi = from.to;
    if (r.to_ip !== undefined) {
      const to = parseIp(r.to_ip);
      if (!to || to.family !== from.family) continue;
      lo = from.from;
      hi = to.value;
    }
    if (from.family === 4) (r.exclusion ? exc4 : inc4).push(Number(lo), Number(hi));
    else (r.exclusion ? exc6 : inc6).push(lo, hi);
  }
  const sorted4 = (flat: number[]): number[] => {
    const pairs: number[][] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([flat[i] ?? 0, flat[i + 1] ?? 0]);
    pairs.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    return mergeV4([], pairs.flat());
  };
  return {
    v4: subtractV4(sorted4(inc4), sorted4(exc4)),
    v6: subtractV6(mergeV6([], inc6), mergeV6([], exc6)),
  };
}

function isPow2Aligned(from: number, size: number): number {
  // returns the prefix length when [from, from+size) is a CIDR block, else -1
  const log = Math.log2(size);
  if (!Number.isInteger(log)) return -1;
  return from % size === 0 ? 32 - log : -1;
}

export function formatV4Ranges(ranges: readonly number[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < ranges.length; i += 2) {
    const from = ranges[i] ?? 0;
    const to = ranges[i + 1] ?? 0;
    if (from === to) {
      out.push(formatV4(from));
      continue;
    }
    const prefix = isPow2Aligned(from, to - from + 1);
    out.push(prefix >= 0 ? `${formatV4(from)}/${prefix}` : `${formatV4(from)}-${formatV4(to)}`);
  }
  return out;
}

export function formatV6Ranges(ranges: readonly bigint[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < ranges.length; i += 2) {
    const from = ranges[i] ?? 0n;
    const to = ranges[i + 1] ?? 0n;
    if (from === to) {
      out.push(formatV6(from));
      continue;
    }
    const size = to - from + 1n;
    let prefix = -1;
    if ((size & (size - 1n)) === 0n && from % size === 0n) prefix = 128 - (size.toString(2).length - 1);
    out.push(prefix >= 0 ? `${formatV6(from)}/${prefix}` : `${formatV6(from)}-${formatV6(to)}`);
  }
  return out;
}

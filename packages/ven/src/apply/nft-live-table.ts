/**
 * What the kernel holds for Palisade's table, read back as nft JSON, in two forms: digests
 * (handles and counter values left out, since they change without anyone changing the
 * policy) for tamper checks, and a summary (set members, chains with hook, policy and rule
 * count) to compare with the plan. Two listings are understood: the full `nft -j list table
 * inet NAME` (set elements included; ~0.3 s for 50k of them) and the terse `nft -j -t list
 * ruleset` (no set elements; ~12 ms whatever the sets hold). The structure digest is the same
 * for both, so a cheap terse read can be compared with what a full read recorded.
 */
import { createHash } from 'node:crypto';
import { formatIp, parseCidr, parseIp } from '@palisade/core/ip.ts';
import type { Family } from '@palisade/core/ip.ts';
import type { NftTable } from '@palisade/render/nftables/nft-table.ts';

export interface LiveChain {
  readonly name: string;
  readonly hook: string;
  readonly policy: string;
  readonly rules: number;
}

export interface LiveSet {
  readonly type: string;
  /** `flags interval` set (the renderer's CIDR/range sets); otherwise a hash set. */
  readonly interval: boolean;
  /**
   * Members as nft lists them, written like the renderer writes them (`a`, `a/len`, `a-b`);
   * undefined when the listing was terse (it leaves elements out).
   */
  readonly elements?: readonly string[];
}

export interface TableSummary {
  readonly sets: ReadonlyMap<string, LiveSet>;
  readonly chains: readonly LiveChain[];
}

export interface LiveTable {
  /** Digest of everything but set elements: equal for a full and a terse listing of one table. */
  readonly digest: string;
  /** Digest of the set elements; null when the listing was terse. */
  readonly membersDigest: string | null;
  readonly summary: TableSummary;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: Json | undefined): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Drops what varies without a policy change: handles, counter values, the metainfo header. */
function stripVolatile(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripVolatile);
  if (!isObject(v)) return v;
  const out: { [k: string]: Json } = {};
  for (const [k, val] of Object.entries(v)) {
    if (k === 'handle') continue;
    if (k === 'counter' && isObject(val)) {
      out[k] = {};
      continue;
    }
    out[k] = stripVolatile(val);
  }
  return out;
}

interface Interval {
  from: bigint;
  to: bigint;
}

function elementInterval(e: Json | undefined, family: Family): Interval | undefined {
  if (typeof e === 'string') {
    const r = parseCidr(e);
    return r && r.family === family ? { from: r.from, to: r.to } : undefined;
  }
  if (!isObject(e)) return undefined;
  if (isObject(e['elem'])) return elementInterval(e['elem']['val'], family);
  const prefix = e['prefix'];
  if (isObject(prefix) && typeof prefix['addr'] === 'string' && typeof prefix['len'] === 'number') {
    return elementInterval(`${prefix['addr']}/${prefix['len']}`, family);
  }
  const range = e['range'];
  if (Array.isArray(range) && typeof range[0] === 'string' && typeof range[1] === 'string') {
    const a = parseIp(range[0]);
    const b = parseIp(range[1]);
    return a && b && a.family === family && b.family === family ? { from: a.value, to: b.value } : undefined;
  }
  return undefined;
}

/** Members as one canonical string: sorted, adjacent and overlapping intervals merged. */
function canonicalIntervals(items: Interval[], family: Family): string {
  items.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const merged: Interval[] = [];
  for (const it of items) {
    const last = merged[merged.length - 1];
    if (last && it.from <= last.to + 1n) {
      if (it.to > last.to) last.to = it.to;
    } else merged.push({ from: it.from, to: it.to });
  }
  return merged.map((m) => `${formatIp(family, m.from)}-${formatIp(family, m.to)}`).join(',');
}

/** The rendered elements of one set (`addr`, `cidr`, `a-b`) in the same canonical form. */
export function canonicalElements(elements: readonly string[], family: Family): string {
  const items: Interval[] = [];
  for (const e of elements) {
    const dash = e.indexOf('-');
    const it = dash === -1 ? elementInterval(e, family) : elementInterval({ range: [e.slice(0, dash), e.slice(dash + 1)] }, family);
    if (it) items.push(it);
    else items.push({ from: -1n, to: -1n }); // cannot match anything the kernel reports
  }
  return canonicalIntervals(items, family);
}

/** One listed element as text: `a`, `a/len` or `a-b`; '?' for a shape this code does not know. */
function elementText(e: Json | undefined): string {
  if (typeof e === 'string') return e;
  if (!isObject(e)) return '?';
  if (isObject(e['elem'])) return elementText(e['elem']['val']);
  const prefix = e['prefix'];
  if (isObject(prefix) && typeof prefix['addr'] === 'string' && typeof prefix['len'] === 'number') return `${prefix['addr']}/${prefix['len']}`;
  const range = e['range'];
  if (Array.isArray(range) && typeof range[0] === 'string' && typeof range[1] === 'string') return `${range[0]}-${range[1]}`;
  return '?';
}

function hasIntervalFlag(set: { [k: string]: Json }): boolean {
  const flags = set['flags'];
  return flags === 'interval' || (Array.isArray(flags) && flags.includes('interval'));
}

/** The one object an item of the listing wraps (`{"set": {…}}` → `["set", {…}]`). */
function unwrap(item: Json): [string, { [k: string]: Json }] | undefined {
  if (!isObject(item)) return undefined;
  const keys = Object.keys(item);
  const key = keys[0];
  if (keys.length !== 1 || key === undefined) return undefined;
  const body = item[key];
  return isObject(body) ? [key, body] : undefined;
}

/**
 * Parses a JSON listing, keeping only the items of table `inet NAME` (a ruleset listing holds
 * every table of the host); null when that table is not in it. `members`: whether the listing
 * includes set elements (a set without members has no `elem` in either listing, so the
 * caller, who chose the listing, says), and whose to read: `true` every set's, a name set only
 * those sets' (the plan's: sets the kernel fills from the packet path, like flow accounting's,
 * change all the time and are nobody's policy). Unknown shapes become a mismatch later, never
 * an exception. Set elements (the bulk: 50k of them for a big plan) are turned into text once
 * and hashed as text; only the small rest of the table goes through the generic normalization.
 */
export function parseLiveTable(jsonText: string, table: string, members: boolean | ReadonlySet<string>): LiveTable | null {
  const doc = JSON.parse(jsonText) as Json;
  const items = isObject(doc) && Array.isArray(doc['nftables']) ? doc['nftables'] : [];
  const hash = createHash('sha256');
  const memberHash = createHash('sha256');
  let found = false;
  const sets = new Map<string, LiveSet>();
  const chains: { name: string; hook: string; policy: string; rules: number }[] = [];
  for (const item of items) {
    const u = unwrap(item);
    if (!u || u[0] === 'metainfo') continue;
    const [kind, body] = u;
    if (body['family'] !== 'inet' || (kind === 'table' ? body['name'] : body['table']) !== table) continue;
    if (kind === 'table') found = true;
    if (kind === 'set' && typeof body['name'] === 'string') {
      const { elem, ...declaration } = body;
      hash.update(JSON.stringify(stripVolatile({ set: declaration })));
      if (members === true || (members !== false && members.has(body['name']))) {
        const elements = (Array.isArray(elem) ? elem : []).map(elementText);
        sets.set(body['name'], { type: String(body['type']), interval: hasIntervalFlag(body), elements });
        memberHash.update(`${body['name']}:${elements.join(',')};`);
      } else sets.set(body['name'], { type: String(body['type']), interval: hasIntervalFlag(body) });
      continue;
    }
    hash.update(JSON.stringify(stripVolatile(item)));
    if (kind === 'chain' && typeof body['name'] === 'string') {
      chains.push({ name: body['name'], hook: String(body['hook'] ?? ''), policy: String(body['policy'] ?? ''), rules: 0 });
    }
    if (kind === 'rule') {
      const c = chains.find((ch) => ch.name === body['chain']);
      if (c) c.rules++;
    }
  }
  if (!found) return null;
  return { digest: hash.digest('hex'), membersDigest: members === false ? null : memberHash.digest('hex'), summary: { sets, chains } };
}

/** Same members? Text first (the common case, cheap); by address intervals when the text differs. */
function sameMembers(want: readonly string[], got: readonly string[], family: Family): boolean {
  if (want.length === got.length) {
    const a = [...want].sort();
    const b = [...got].sort();
    if (a.every((x, i) => x === b[i])) return true;
  }
  return canonicalElements(want, family) === canonicalElements(got, family);
}

/**
 * Sets the table declares besides the plan's address sets, filled by the kernel (flow
 * accounting's, when the renderer adds them as `flowSets`): they must be there; what they hold
 * is not compared.
 */
function kernelFilledSets(expected: NftTable): string[] {
  const extra = 'flowSets' in expected ? expected.flowSets : undefined;
  if (!Array.isArray(extra)) return [];
  return extra.flatMap((s: unknown) => (typeof s === 'object' && s !== null && 'name' in s && typeof s.name === 'string' ? [s.name] : []));
}

/** Differences between what the plan's table should be and what is loaded (members only when listed); empty when equal. */
export function compareWithPlan(expected: NftTable, live: TableSummary): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const name of kernelFilledSets(expected)) {
    names.add(name);
    if (!live.sets.has(name)) problems.push(`set ${name} is missing`);
  }
  for (const set of expected.sets) {
    names.add(set.name);
    const got = live.sets.get(set.name);
    const type = set.family === 4 ? 'ipv4_addr' : 'ipv6_addr';
    if (got === undefined) problems.push(`set ${set.name} is missing`);
    else if (got.type !== type) problems.push(`set ${set.name} has type ${got.type}, not ${type}`);
    else if (got.interval !== set.interval) problems.push(`set ${set.name} is ${got.interval ? 'an interval' : 'a hash'} set, not ${set.interval ? 'an interval' : 'a hash'} set`);
    // A terse listing has no members to compare.
    else if (got.elements !== undefined && !sameMembers(set.elements, got.elements, set.family)) problems.push(`set ${set.name} does not hold the plan's members`);
  }
  for (const name of live.sets.keys()) if (!names.has(name)) problems.push(`set ${name} is not in the plan`);
  const liveChains = new Map(live.chains.map((c) => [c.name, c]));
  for (const chain of expected.chains) {
    const got = liveChains.get(chain.name);
    const rules = chain.sections.reduce((n, s) => n + s.rules.length, 0);
    if (!got) problems.push(`chain ${chain.name} is missing`);
    else if (got.hook !== chain.hook || got.policy !== chain.policy) problems.push(`chain ${chain.name} has hook ${got.hook} policy ${got.policy}, not ${chain.hook} ${chain.policy}`);
    else if (got.rules !== rules) problems.push(`chain ${chain.name} has ${got.rules} rules, not ${rules}`);
    liveChains.delete(chain.name);
  }
  for (const name of liveChains.keys()) problems.push(`chain ${name} is not in the plan`);
  return problems;
}

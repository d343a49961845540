/**
 * A resolution is one side expression (see side-expression.ts) evaluated against the
 * inventory: its member workloads and the named address set built from them. Sides with the
 * same expression share one resolution, so a set of peers is resolved once and held once
 * however many rules and plans use it. Internal, mutable engine state.
 */
import type { Diagnostic } from '../diagnostics.ts';
import { formatV6Ranges, mergeFormatV4, mergeV6, rangesContain, type ParsedAddress } from './address-ranges.ts';
import { Fnv64, fnv64, type Hash64 } from './hash.ts';
import type { UnitSpec } from './rule-compiler.ts';
import { MatchProgram, type LabelInterner } from './match-program.ts';
import type { SideExpr } from './side-expression.ts';
import type { AddressSet, AllowEntry, DenyEntry } from './types.ts';
import type { WorkloadRecord } from './workload-record.ts';

/** One side of a unit as its members see it: the entry they get and the set it names. */
export interface Side {
  readonly unit: Unit;
  readonly role: 'provider' | 'consumer';
  /** Members of this side get `entry`. */
  readonly own: Resolution;
  /** The other side: the peers `entry` names. */
  readonly peer: Resolution;
  readonly entry: AllowEntry | DenyEntry;
  readonly entryHash: Hash64;
  rank: number;
  /** The plan builder's SecureConnect warnings for this side's members, valid for one rebuild. */
  scCache?: { generation: number; capable: Diagnostic | null | undefined; incapable: Diagnostic | null | undefined };
}

export interface RuleState {
  readonly href: string;
  readonly kind: 'allow' | 'deny';
  readonly secConnect: boolean;
  /** Compile diagnostics plus SecureConnect errors; an invalid rule contributes no entry. */
  diagnostics: readonly Diagnostic[];
  valid: boolean;
  readonly units: Unit[];
  /** Scratch stamp for the plan builder. */
  mark: number;
}

/** One rule within one scope: two sides, each giving its members one entry. */
export class Unit {
  readonly key: string;
  readonly fingerprint: string;
  rank = 0;
  rule: RuleState;
  readonly provider: Side;
  readonly consumer: Side;

  constructor(spec: UnitSpec, rule: RuleState, provider: Resolution, consumer: Resolution) {
    this.key = spec.key;
    this.fingerprint = spec.fingerprint;
    this.rule = rule;
    const c = spec.rule;
    const side = (role: 'provider' | 'consumer', own: Resolution, peer: Resolution): Side => {
      const entry: AllowEntry | DenyEntry =
        c.kind === 'allow'
          ? Object.freeze({ peers: peer.name, services: spec.services, rule: c.href, sec_connect: c.secConnect })
          : Object.freeze({ peers: peer.name, services: spec.services, rule: c.href });
      const entryHash = new Fnv64().str(c.kind).str(role).str(peer.name).str(spec.servicesKey).str(c.href).u32(c.secConnect ? 1 : 0).digest();
      return { unit: this, role, own, peer, entry, entryHash, rank: 0 };
    };
    this.provider = side('provider', provider, consumer);
    this.consumer = side('consumer', consumer, provider);
  }
}

export class Resolution {
  readonly key: string;
  readonly name: string;
  readonly expr: SideExpr;
  /** Member workload indexes, sorted. */
  readonly members: number[] = [];
  /** Sides whose members are this resolution's members. */
  sides: Side[] = [];
  /** Sides that name this resolution's set as their peers. */
  peerOf: Side[] = [];
  /** The address set and its hash, once built (`ensureSet`); cleared when content changes. */
  set: AddressSet | undefined;
  setHash: Hash64 | undefined;
  /** Position in the order of names (plans list their sets by name); set by the engine. */
  nameRank = 0;
  /** Scratch stamp for the plan builder (dedup without allocating a Set per plan). */
  mark = 0;

  readonly program: MatchProgram;

  constructor(expr: SideExpr, interner: LabelInterner) {
    this.key = expr.key;
    this.expr = expr;
    this.program = new MatchProgram(expr, interner);
    // Named after the expression, not the members: membership changes keep the name.
    this.name = `ps_${fnv64(expr.key).hex}`;
  }

  /** The membership test of one workload. */
  matches(rec: WorkloadRecord): boolean {
    return this.program.matches(rec.w.id, rec.labelInts, 0, rec.labelInts.length);
  }

  has(idx: number): boolean {
    return indexOf(this.members, idx) >= 0;
  }

  /** Returns whether membership changed. */
  add(idx: number): boolean {
    const at = insertionPoint(this.members, idx);
    if (this.members[at] === idx) return false;
    this.members.splice(at, 0, idx);
    this.invalidate();
    return true;
  }

  remove(idx: number): boolean {
    const at = indexOf(this.members, idx);
    if (at < 0) return false;
    this.members.splice(at, 1);
    this.invalidate();
    return true;
  }

  /** After a member's addresses change. */
  invalidate(): void {
    this.set = undefined;
    this.setHash = undefined;
  }

  /** Whether `a` is in one of the set's static ranges (IP lists, virtual service addresses). */
  staticContains(a: ParsedAddress): boolean {
    return a.family === 4 ? rangesContain(this.expr.static4, a.v) : rangesContain(this.expr.static6, a.v);
  }

  ensureSet(recs: readonly (WorkloadRecord | undefined)[]): void {
    if (this.set) return;
    const members = this.members;
    const points4: number[] = [];
    const texts4: string[] = [];
    const points6: bigint[] = [];
    const texts6 = new Map<bigint, string>();
    for (let m = 0; m < members.length; m++) {
      const d = recs[members[m] ?? -1]?.d;
      if (!d) continue;
      const v4 = d.v4;
      const text = d.header.addresses; // canonical: IPv4 (sorted) first, then IPv6
      for (let i = 0; i < v4.length; i++) {
        points4.push(v4[i] ?? 0);
        texts4.push(text[i] ?? '');
      }
      const v6 = d.v6;
      for (let i = 0; i < v6.length; i++) {
        const v = v6[i] ?? 0n;
        points6.push(v);
        texts6.set(v, text[v4.length + i] ?? '');
      }
    }
    const { ranges: r4, items: ipv4 } = mergeFormatV4(points4, texts4, this.expr.static4);
    points6.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const r6 = mergeV6(points6, this.expr.static6);
    const ipv6: string[] = [];
    for (let i = 0; i + 1 < r6.length; i += 2) {
      const from = r6[i] ?? 0n;
      const known = from === r6[i + 1] ? texts6.get(from) : undefined;
      ipv6.push(known ?? (formatV6Ranges([from, r6[i + 1] ?? 0n])[0] as string));
    }
    const set: AddressSet = Object.freeze({
      name: this.name,
      ipv4: Object.freeze(ipv4),
      ipv6: Object.freeze(ipv6),
      fqdns: Object.freeze([...this.expr.fqdns]),
    });
    const h = new Fnv64().str(set.name).u32(r4.length);
    for (let i = 0; i < r4.length; i++) h.u32(r4[i] ?? 0);
    h.u32(set.ipv6.length);
    for (let i = 0; i < set.ipv6.length; i++) h.str(set.ipv6[i] ?? '');
    for (let i = 0; i < set.fqdns.length; i++) h.str(set.fqdns[i] ?? '');
    this.set = set;
    this.setHash = h.digest();
  }
}

function insertionPoint(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] ?? 0) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function indexOf(a: readonly number[], v: number): number {
  const at = insertionPoint(a, v);
  return a[at] === v ? at : -1;
}

/**
 * Builds one workload's frozen plan from the engine's state.
 *
 * Sharing. Everything a plan points at (entries, address sets, SecureConnect peers, rule
 * diagnostics) is an interned, already frozen object shared with other plans. Beyond that,
 * workloads that are members of exactly the same rule sides (same app, tier and env, say)
 * get the same entry lists, the same list of sets and the same "body" hash: the builder
 * computes that body once per distinct list of sides (a profile) and every such plan points
 * at the same frozen arrays. What stays per workload is small: its header, mode, its
 * SecureConnect peers (the IKE version depends on both OSes, and a workload is not its own
 * peer) and its own diagnostics. Profiles live for one rebuild batch (a `generation`),
 * during which the engine's state cannot change, so they can never be stale.
 *
 * The hash is FNV-1a 64 over the plan's canonical form in which each shared sub-object is
 * represented by its own FNV-1a 64 hash (a Merkle tree): equal plans hash alike however
 * they were built (full or incremental), and a plan's hash costs O(entries), not O(addresses).
 */
import type { Diagnostic } from '../diagnostics.ts';
import type { EnforcementMode, VisibilityLevel } from '../model/common.ts';
import { Fnv64, type Hash64 } from './hash.ts';
import { incapableReason, type IkeClass } from './ike-matrix.ts';
import type { Resolution, RuleState, Side } from './resolution.ts';
import type { AddressSet, AllowEntry, DenyEntry, SecureConnectAuth, SecureConnectPeer, WorkloadPlan } from './types.ts';
import type { WorkloadRecord } from './workload-record.ts';

export interface PlanContext {
  readonly recs: readonly (WorkloadRecord | undefined)[];
  /** Every side by its rank (the canonical order of entries). */
  readonly sidesByRank: readonly (Side | undefined)[];
  /** Every resolution by its name rank (the canonical order of sets). */
  readonly resolutionsByName: readonly (Resolution | undefined)[];
  /** Workload indexes in href order, and each record's `hrefRank` into it. */
  readonly byHrefRank: readonly number[];
  /** Bumped for every rebuild batch: caches keyed by it hold while the state is fixed. */
  readonly generation: number;
  readonly auth: SecureConnectAuth;
  readonly authKey: string;
  readonly authHash: Hash64;
  /** Shown in the plan of every workload that has SecureConnect peers (e.g. certificate without CA). */
  readonly authDiagnostics: readonly Diagnostic[];
}

/** What all members of the same list of sides share. */
interface Profile {
  readonly ranks: Int32Array;
  readonly inbound: readonly AllowEntry[];
  readonly outbound: readonly AllowEntry[];
  readonly denyIn: readonly DenyEntry[];
  readonly denyOut: readonly DenyEntry[];
  readonly sets: readonly AddressSet[];
  readonly bodyHash: Hash64;
  readonly ruleDiagnostics: readonly Diagnostic[];
  readonly scSides: readonly Side[];
  /** Union of SecureConnect peers, as sorted href ranks (may include a member itself). */
  scPeers: Int32Array | undefined;
  /** Peer lists by the member's IKE class (without the member itself). */
  readonly scLists: (PeerList | undefined)[];
  /** SecureConnect warnings for a capable [1] and an incapable [0] member. */
  readonly scWarnings: [readonly Diagnostic[] | undefined, readonly Diagnostic[] | undefined];
}

const MAX_NAMED = 10;
// Codes instead of the strings in the canonical form: fixed here, so they are part of the format.
const MODE_CODE: Record<EnforcementMode, number> = { idle: 0, visibility_only: 1, selective: 2, full: 3 };
const VISIBILITY_CODE: Record<VisibilityLevel, number> = { flow_off: 0, flow_drops: 1, flow_summary: 2, enhanced_data_collection: 3 };
const EMPTY: readonly never[] = Object.freeze([]);
const NO_PEERS: WorkloadPlan['secure_connect'] = Object.freeze({ peers: EMPTY });

/** A frozen `secure_connect` value and the hash of its peers. */
interface PeerList {
  readonly secureConnect: WorkloadPlan['secure_connect'];
  readonly peers: readonly SecureConnectPeer[];
  readonly hash: Hash64;
}

const NO_PEER_LIST: PeerList = { secureConnect: NO_PEERS, peers: EMPTY, hash: new Fnv64().u32(0).digest() };

/** The peers at `union` (sorted href ranks) but `skip`, as seen by a workload of IKE class `viewer`. */
function peerList(union: Int32Array, skip: number, viewer: IkeClass, ctx: PlanContext): PeerList {
  const peers: SecureConnectPeer[] = [];
  const h = new Fnv64();
  for (let i = 0; i < union.length; i++) {
    const rank = union[i] ?? -1;
    if (rank === skip) continue;
    const other = ctx.recs[ctx.byHrefRank[rank] ?? -1];
    if (!other) continue;
    const p = other.peerFor(viewer, ctx.auth, ctx.authHash);
    peers.push(p.peer);
    h.hash(p.hash);
  }
  h.u32(peers.length);
  if (peers.length === 0) return NO_PEER_LIST;
  return { secureConnect: Object.freeze({ peers: Object.freeze(peers) }), peers, hash: h.digest() };
}

function containsRank(sorted: Int32Array, v: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const x = sorted[mid] ?? 0;
    if (x < v) lo = mid + 1;
    else if (x > v) hi = mid - 1;
    else return true;
  }
  return false;
}

/** Freeze a list; empty lists share one frozen array (most plans have no deny entries, peers or diagnostics). */
function frozen<T>(list: T[]): readonly T[] {
  return list.length === 0 ? EMPTY : Object.freeze(list);
}

const diagHashes = new WeakMap<Diagnostic, Hash64>();

function diagnosticHash(d: Diagnostic): Hash64 {
  let h = diagHashes.get(d);
  if (!h) {
    h = new Fnv64().str(d.severity).str(d.token).str(d.message).str(d.href ?? '').str(d.path ?? '').digest();
    if (Object.isFrozen(d)) diagHashes.set(d, h);
  }
  return h;
}

export class PlanBuilder {
  private mark = new Int32Array(1024);
  private stamp = 0;
  private names: Int32Array<ArrayBuffer> = new Int32Array(64);
  private peerRanks: Int32Array<ArrayBuffer> = new Int32Array(256);
  private generation = -1;
  private profiles = new Map<number, Profile>();

  build(rec: WorkloadRecord, ctx: PlanContext): WorkloadPlan {
    if (ctx.generation !== this.generation) {
      this.generation = ctx.generation;
      this.profiles = new Map();
    }
    const ranks = (rec.ranks ??= this.gatherRanks(rec));
    const n = ranks.length;
    const key = new Fnv64();
    for (let i = 0; i < n; i++) key.word(ranks[i] ?? 0);
    // A collision of the 53-bit key is caught by comparing the ranks.
    const k = key.key53();
    let profile = this.profiles.get(k);
    if (!profile || !sameRanks(profile.ranks, ranks)) {
      const fresh = this.profile(ranks, ctx);
      if (!profile) this.profiles.set(k, fresh);
      profile = fresh;
    }

    let extra: Diagnostic[] | undefined;
    for (const a of rec.d.badAddresses) {
      (extra ??= []).push(Object.freeze({ severity: 'warning', token: 'invalid_address', message: `"${a}" is not an IP address; it is left out of the policy`, href: rec.w.href, path: 'addresses' }));
    }
    let peers: PeerList = NO_PEER_LIST;
    const h = new Fnv64().hash(rec.d.headerHash).u32(MODE_CODE[rec.w.enforcement_mode]).u32(VISIBILITY_CODE[rec.w.visibility_level]).hash(profile.bodyHash);
    if (profile.scSides.length > 0) {
      const capable = rec.d.capable;
      const slot = capable ? 1 : 0;
      const warnings = (profile.scWarnings[slot] ??= this.scWarnings(profile.scSides, capable, ctx));
      if (warnings.length > 0) (extra ??= []).push(...warnings);
      if (capable) {
        const union = (profile.scPeers ??= this.scUnion(profile.scSides, ctx));
        // Members of a profile share their peer list, per IKE class; a member that is its own
        // SecureConnect peer (a rule between a tier and itself) gets the list without itself.
        let list = (profile.scLists[rec.d.ikeClass] ??= peerList(union, -1, rec.d.ikeClass, ctx));
        if (containsRank(union, rec.hrefRank)) list = peerList(union, rec.hrefRank, rec.d.ikeClass, ctx);
        peers = list;
        if (peers.peers.length > 0 && ctx.authDiagnostics.length > 0) (extra ??= []).push(...ctx.authDiagnostics);
      }
    }
    h.hash(peers.hash);
    const diagnostics = extra ? Object.freeze([...profile.ruleDiagnostics, ...extra]) : profile.ruleDiagnostics;
    h.u32(diagnostics.length);
    for (const d of diagnostics) h.hash(diagnosticHash(d));

    return Object.freeze({
      workload: rec.d.header,
      enforcement_mode: rec.w.enforcement_mode,
      visibility_level: rec.w.visibility_level,
      address_sets: profile.sets,
      inbound: profile.inbound,
      outbound: profile.outbound,
      deny_inbound: profile.denyIn,
      deny_outbound: profile.denyOut,
      secure_connect: peers.secureConnect,
      diagnostics,
      hash: h.digest().hex,
    });
  }

  /** The workload's sides in canonical (rank) order: a typed-array numeric sort. */
  private gatherRanks(rec: WorkloadRecord): Int32Array {
    let n = 0;
    for (const r of rec.resolutions) n += r.sides.length;
    const out = new Int32Array(n);
    n = 0;
    for (const r of rec.resolutions) for (const s of r.sides) out[n++] = s.rank;
    return out.sort();
  }

  private profile(ranks: Int32Array, ctx: PlanContext): Profile {
    const stamp = ++this.stamp;
    const inbound: AllowEntry[] = [];
    const outbound: AllowEntry[] = [];
    const denyIn: DenyEntry[] = [];
    const denyOut: DenyEntry[] = [];
    const ruleDiagnostics: Diagnostic[] = [];
    const scSides: Side[] = [];
    let nSets = 0;
    // The four entry lists are fixed by the sequence of entries in rank order (each entry's
    // hash says which list it is in), so one pass hashes them all canonically.
    const h = new Fnv64();
    for (let i = 0; i < ranks.length; i++) {
      const s = ctx.sidesByRank[ranks[i] ?? -1];
      if (!s) continue;
      const rule = s.unit.rule;
      if (rule.mark !== stamp) {
        rule.mark = stamp;
        for (const d of rule.diagnostics) ruleDiagnostics.push(d);
      }
      if (!rule.valid) continue;
      if (s.role === 'provider') {
        if (rule.kind === 'allow') inbound.push(s.entry as AllowEntry);
        else denyIn.push(s.entry);
      } else if (rule.kind === 'allow') outbound.push(s.entry as AllowEntry);
      else denyOut.push(s.entry);
      h.hash(s.entryHash);
      const peer = s.peer;
      if (peer.mark !== stamp) {
        peer.mark = stamp;
        if (nSets === this.names.length) this.names = grow(this.names, nSets + 1);
        this.names[nSets++] = peer.nameRank;
      }
      if (rule.secConnect) scSides.push(s);
    }
    const names = this.names.subarray(0, nSets).sort();
    const sets: AddressSet[] = [];
    h.u32(nSets);
    for (let i = 0; i < nSets; i++) {
      const r = ctx.resolutionsByName[names[i] ?? -1];
      if (!r) continue;
      r.ensureSet(ctx.recs);
      if (r.set && r.setHash) {
        sets.push(r.set);
        h.hash(r.setHash);
      }
    }
    return {
      ranks: ranks.slice(),
      inbound: frozen(inbound),
      outbound: frozen(outbound),
      denyIn: frozen(denyIn),
      denyOut: frozen(denyOut),
      sets: frozen(sets),
      bodyHash: h.digest(),
      ruleDiagnostics: frozen(ruleDiagnostics),
      scSides,
      scPeers: undefined,
      scLists: [],
      scWarnings: [undefined, undefined],
    };
  }

  /**
   * Host to host (DESIGN §4 item 2): a SecureConnect peer is a whole host, whatever the
   * rule's services; symmetric (item 3) because both sides of a unit see each other here.
   * The union is kept as sorted href ranks, so peers come out sorted by href.
   */
  private scUnion(scSides: readonly Side[], ctx: PlanContext): Int32Array {
    const { recs } = ctx;
    if (this.mark.length < recs.length) this.mark = new Int32Array(Math.max(recs.length, this.mark.length * 2));
    const stamp = ++this.stamp;
    let n = 0;
    for (const s of scSides) {
      for (const m of s.peer.members) {
        if (this.mark[m] === stamp) continue;
        this.mark[m] = stamp;
        const other = recs[m];
        if (!other) continue;
        if (n === this.peerRanks.length) this.peerRanks = grow(this.peerRanks, n + 1);
        this.peerRanks[n++] = other.hrefRank;
      }
    }
    return this.peerRanks.slice(0, n).sort();
  }

  /** One warning per SecureConnect rule whose pairs mix capable and incapable workloads. */
  private scWarnings(scSides: readonly Side[], capable: boolean, ctx: PlanContext): readonly Diagnostic[] {
    const out: Diagnostic[] = [];
    // Sides of one rule are adjacent (units of a rule have consecutive ranks).
    for (let i = 0; i < scSides.length; ) {
      const rule = (scSides[i] as Side).unit.rule;
      let j = i;
      while (j < scSides.length && (scSides[j] as Side).unit.rule === rule) j++;
      const w = j - i === 1 ? this.cachedMismatch(scSides[i] as Side, capable, ctx) : mismatchWarning(rule, capable, unionOf(scSides.slice(i, j), capable, ctx.recs));
      if (w) out.push(w);
      i = j;
    }
    return out;
  }

  /**
   * The warning for one SecureConnect side, shared by all its members during one rebuild:
   * it names the peers, not the member, so it is the same for every member with the same
   * capability (a workload never has a capability different from its own).
   */
  private cachedMismatch(side: Side, capable: boolean, ctx: PlanContext): Diagnostic | null {
    let c = side.scCache;
    if (!c || c.generation !== ctx.generation) {
      c = { generation: ctx.generation, capable: undefined, incapable: undefined };
      side.scCache = c;
    }
    const hit = capable ? c.capable : c.incapable;
    if (hit !== undefined) return hit;
    const d = mismatchWarning(side.unit.rule, capable, unionOf([side], capable, ctx.recs));
    if (capable) c.capable = d;
    else c.incapable = d;
    return d;
  }
}

function sameRanks(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Peers of these sides whose capability differs from `capable`. */
function unionOf(sides: readonly Side[], capable: boolean, recs: readonly (WorkloadRecord | undefined)[]): WorkloadRecord[] {
  const seen = new Set<number>();
  const out: WorkloadRecord[] = [];
  for (const s of sides) {
    for (const m of s.peer.members) {
      const o = recs[m];
      if (!o || seen.has(m) || o.d.capable === capable) continue;
      seen.add(m);
      out.push(o);
    }
  }
  return out;
}

function byNameThenHref(a: WorkloadRecord, b: WorkloadRecord): number {
  return a.w.name < b.w.name ? -1 : a.w.name > b.w.name ? 1 : a.w.href < b.w.href ? -1 : a.w.href > b.w.href ? 1 : 0;
}

/**
 * DESIGN §4 items 5–6: pairs where one side cannot do SecureConnect are blocked (the capable
 * side still requires IPsec). `others` are the peers whose capability differs from the member's.
 */
function mismatchWarning(rule: RuleState, capable: boolean, others: WorkloadRecord[]): Diagnostic | null {
  if (others.length === 0) return null;
  // Name the first MAX_NAMED by name: a bounded insertion, not a sort of every peer.
  const first: WorkloadRecord[] = [];
  for (const o of others) {
    if (first.length === MAX_NAMED && byNameThenHref(o, first[MAX_NAMED - 1] as WorkloadRecord) >= 0) continue;
    let at = first.length;
    while (at > 0 && byNameThenHref(o, first[at - 1] as WorkloadRecord) < 0) at--;
    first.splice(at, 0, o);
    if (first.length > MAX_NAMED) first.pop();
  }
  const more = others.length > MAX_NAMED ? ` and ${others.length - MAX_NAMED} more` : '';
  const named = first.map((o) => (capable ? `${o.w.name} (${incapableReason(o.w)})` : o.w.name)).join(', ');
  const message = capable
    ? `SecureConnect pairs this workload with ${others.length} workload(s) that cannot do SecureConnect: ${named}${more}. ` +
      'This workload still requires IPsec with them, so traffic between them is blocked until the rule or the peer changes ' +
      '(pair a VEN, leave idle, or exclude it from the rule).'
    : `This workload cannot do SecureConnect and gets no SAs, but SecureConnect pairs it with ${others.length} capable ` +
      `workload(s): ${named}${more}. They require IPsec with it, so traffic between them is blocked until the rule or this workload changes.`;
  return Object.freeze({ severity: 'warning', token: 'sec_connect_incapable_peers', message, href: rule.href, path: 'sec_connect' });
}

function grow(a: Int32Array<ArrayBuffer>, need: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

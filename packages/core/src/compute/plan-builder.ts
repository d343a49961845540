/**
 * Builds one workload's frozen plan from the engine's state. Everything a plan points at
 * (entries, address sets, SecureConnect peers, rule diagnostics) is an interned, already
 * frozen object shared with other plans; a plan itself is a handful of arrays of references,
 * so building and freezing it costs little and 100,000 plans fit in memory.
 *
 * The hash is FNV-1a 64 over the plan's canonical form in which each shared sub-object is
 * represented by its own FNV-1a 64 hash (a Merkle tree, one level deep): equal plans hash
 * alike, and a plan's hash costs O(entries), not O(addresses in its sets).
 */
import type { Diagnostic } from '../diagnostics.ts';
import { Fnv64, type Hash64 } from './hash.ts';
import { incapableReason } from './ike-matrix.ts';
import type { Resolution, RuleState, Side } from './resolution.ts';
import type { AddressSet, AllowEntry, DenyEntry, SecureConnectAuth, SecureConnectPeer, WorkloadPlan } from './types.ts';
import type { WorkloadRecord } from './workload-record.ts';

export interface PlanContext {
  readonly recs: readonly (WorkloadRecord | undefined)[];
  readonly auth: SecureConnectAuth;
  readonly authKey: string;
  /** Shown in the plan of every workload that has SecureConnect peers (e.g. certificate without CA). */
  readonly authDiagnostics: readonly Diagnostic[];
}

const MAX_NAMED = 10;

function byRank(a: Side, b: Side): number {
  return a.rank - b.rank;
}

function hashDiagnostic(h: Fnv64, d: Diagnostic): void {
  h.str(d.severity).str(d.token).str(d.message).str(d.href ?? '').str(d.path ?? '');
}

export class PlanBuilder {
  private mark = new Int32Array(1024);
  private stamp = 0;

  build(rec: WorkloadRecord, ctx: PlanContext): WorkloadPlan {
    const { recs } = ctx;
    const sides: Side[] = [];
    for (const r of rec.resolutions) for (const s of r.sides) sides.push(s);
    sides.sort(byRank);

    const inbound: Side[] = [];
    const outbound: Side[] = [];
    const denyIn: Side[] = [];
    const denyOut: Side[] = [];
    const diagnostics: Diagnostic[] = [];
    const seenRules = new Set<RuleState>();
    const peerSets = new Set<Resolution>();
    const scSides: Side[] = [];
    for (const s of sides) {
      const rule = s.unit.rule;
      if (!seenRules.has(rule)) {
        seenRules.add(rule);
        for (const d of rule.diagnostics) diagnostics.push(d);
      }
      if (!rule.valid) continue;
      if (s.role === 'provider') (rule.kind === 'allow' ? inbound : denyIn).push(s);
      else (rule.kind === 'allow' ? outbound : denyOut).push(s);
      peerSets.add(s.peer);
      if (rule.secConnect) scSides.push(s);
    }
    for (const a of rec.d.badAddresses) {
      diagnostics.push({ severity: 'warning', token: 'invalid_address', message: `"${a}" is not an IP address; it is left out of the policy`, href: rec.w.href, path: 'addresses' });
    }

    const peers = scSides.length > 0 ? this.secureConnect(rec, scSides, ctx, diagnostics) : [];
    if (peers.length > 0) diagnostics.push(...ctx.authDiagnostics);

    const sets: { set: AddressSet; hash: Hash64 }[] = [...peerSets].sort((a, b) => (a.name < b.name ? -1 : 1)).map((r) => r.addressSet(recs));

    const h = new Fnv64().hash(rec.d.headerHash).str(rec.w.enforcement_mode).str(rec.w.visibility_level);
    for (const list of [inbound, outbound, denyIn, denyOut]) {
      h.u32(list.length);
      for (const s of list) h.hash(s.entryHash);
    }
    h.u32(sets.length);
    for (const s of sets) h.hash(s.hash);
    h.u32(peers.length);
    for (const p of peers) h.hash(p.hash);
    h.u32(diagnostics.length);
    for (const d of diagnostics) hashDiagnostic(h, d);

    const entries = <E extends AllowEntry | DenyEntry>(list: Side[]): readonly E[] => Object.freeze(list.map((s) => s.entry as E));
    return Object.freeze({
      workload: rec.d.header,
      enforcement_mode: rec.w.enforcement_mode,
      visibility_level: rec.w.visibility_level,
      address_sets: Object.freeze(sets.map((s) => s.set)),
      inbound: entries<AllowEntry>(inbound),
      outbound: entries<AllowEntry>(outbound),
      deny_inbound: entries<DenyEntry>(denyIn),
      deny_outbound: entries<DenyEntry>(denyOut),
      secure_connect: Object.freeze({ peers: Object.freeze(peers.map((p) => p.peer)) }),
      diagnostics: Object.freeze(diagnostics),
      hash: h.digest().hex,
    });
  }

  /**
   * Host to host (DESIGN §4 item 2): a SecureConnect peer is a whole host, whatever the
   * rule's services; symmetric (item 3) because both sides of a unit see each other here.
   */
  private secureConnect(rec: WorkloadRecord, scSides: readonly Side[], ctx: PlanContext, diagnostics: Diagnostic[]): { peer: SecureConnectPeer; hash: Hash64 }[] {
    const { recs } = ctx;
    if (this.mark.length < recs.length) this.mark = new Int32Array(Math.max(recs.length, this.mark.length * 2));
    const stamp = ++this.stamp;
    this.mark[rec.idx] = stamp;
    const peerIdx: number[] = [];
    // Pairs where exactly one side can do SecureConnect, per rule, for the warnings.
    const mismatched = new Map<RuleState, Set<number>>();
    for (const s of scSides) {
      for (const m of s.peer.members) {
        const other = recs[m];
        if (!other || m === rec.idx) continue;
        if (this.mark[m] !== stamp) {
          this.mark[m] = stamp;
          peerIdx.push(m);
        }
        if (other.d.capable !== rec.d.capable) {
          const set = mismatched.get(s.unit.rule);
          if (set) set.add(m);
          else mismatched.set(s.unit.rule, new Set([m]));
        }
      }
    }
    for (const [rule, idxs] of mismatched) diagnostics.push(this.mismatchWarning(rec, rule, [...idxs], recs));
    if (!rec.d.capable) return [];
    const hrefOf = (i: number): string => recs[i]?.w.href ?? '';
    peerIdx.sort((a, b) => {
      const x = hrefOf(a);
      const y = hrefOf(b);
      return x < y ? -1 : x > y ? 1 : 0;
    });
    const out: { peer: SecureConnectPeer; hash: Hash64 }[] = [];
    for (const i of peerIdx) {
      const other = recs[i];
      if (other) out.push(other.peerFor(rec, ctx.auth, ctx.authKey));
    }
    return out;
  }

  private mismatchWarning(rec: WorkloadRecord, rule: RuleState, idxs: number[], recs: readonly (WorkloadRecord | undefined)[]): Diagnostic {
    const others = idxs.flatMap((i) => {
      const r = recs[i];
      return r ? [r] : [];
    });
    others.sort((a, b) => (a.w.name < b.w.name ? -1 : a.w.name > b.w.name ? 1 : a.w.href < b.w.href ? -1 : 1));
    const more = others.length > MAX_NAMED ? ` and ${others.length - MAX_NAMED} more` : '';
    const me = rec.w.name;
    if (rec.d.capable) {
      const named = others.slice(0, MAX_NAMED).map((o) => `${me} ↔ ${o.w.name} (${incapableReason(o.w)})`);
      return Object.freeze({
        severity: 'warning',
        token: 'sec_connect_incapable_peers',
        message:
          `SecureConnect pairs ${me} with ${others.length} workload(s) that cannot do SecureConnect: ${named.join(', ')}${more}. ` +
          `${me} still requires IPsec with them, so their traffic is blocked until the rule or the peer changes ` +
          '(pair a VEN, leave idle, or exclude it from the rule).',
        href: rule.href,
        path: 'sec_connect',
      });
    }
    const named = others.slice(0, MAX_NAMED).map((o) => `${me} ↔ ${o.w.name}`);
    return Object.freeze({
      severity: 'warning',
      token: 'sec_connect_incapable_peers',
      message:
        `${me} cannot do SecureConnect (${incapableReason(rec.w)}) and gets no SAs, but SecureConnect pairs it with ` +
        `${others.length} capable workload(s): ${named.join(', ')}${more}. They require IPsec with ${me}, so their traffic is ` +
        'blocked until the rule or this workload changes.',
      href: rule.href,
      path: 'sec_connect',
    });
  }
}

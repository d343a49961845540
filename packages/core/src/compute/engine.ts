/**
 * The policy compute engine: (policy snapshot, workload inventory, label keys) → one frozen
 * plan per workload, kept up to date incrementally.
 *
 * Mutability: an engine is a pure in-memory object (no I/O, no clock), but it is stateful on
 * purpose: it holds indexes and resolutions so that a change recomputes only the plans it can
 * touch. That state is internal. Every plan it hands out is deep-frozen and never changes;
 * a changed workload gets a new plan object.
 *
 * How a change finds the plans it can touch:
 * - a workload's labels change → only resolutions whose expression mentions an added or
 *   removed label are re-tested, for that one workload;
 * - a resolution whose membership or members' addresses changed → its address set changes →
 *   the plans of the members of every side that names it as peers (`peerOf`);
 * - a workload's SecureConnect identity changes (OS, capability, addresses, name) → the
 *   members of the other side of every SecureConnect unit it is in;
 * - a provision → units are matched by key and fingerprint; only members of units that
 *   appeared or disappeared are rebuilt.
 * Plans are then rebuilt and compared by hash; `changed` lists those whose hash moved.
 */
import type { Diagnostic } from '../diagnostics.ts';
import { policyHref } from '../href.ts';
import { checkSecureConnectActors } from '../policy/secure-connect-check.ts';
import { type ParsedAddress } from './address-ranges.ts';
import { fnv64 } from './hash.ts';
import { PlanBuilder, type PlanContext } from './plan-builder.ts';
import { PolicyContext } from './policy-context.ts';
import { Resolution, Unit, type RuleState, type Side } from './resolution.ts';
import { PolicyCompiler, type CompiledRule, type UnitSpec } from './rule-compiler.ts';
import { secureConnectPairWarning } from './secure-connect-pairs.ts';
import type { ChangeResult, ComputeWorkload, LabelKeyRef, PolicySnapshot, SecureConnectAuth, WorkloadPlan } from './types.ts';
import { WorkloadRecord } from './workload-record.ts';
import { LabelInterner } from './match-program.ts';
import { LabelMembers, ResolutionIndex } from './resolution-index.ts';

export interface EngineInput {
  readonly snapshot: PolicySnapshot;
  readonly workloads: readonly ComputeWorkload[];
  readonly labels: readonly LabelKeyRef[];
}

export class PolicyEngine {
  private snapshot: PolicySnapshot;
  private labelKeys: Map<string, string>;
  private readonly recs: (WorkloadRecord | undefined)[] = [];
  private readonly byId = new Map<string, WorkloadRecord>();
  /** IPv4 addresses as numbers, IPv6 as bigints (Map keys compare bigints by value). */
  private readonly addressIndex = new Map<number | bigint, number | number[]>();
  /** Live workload indexes in href order; `rec.hrefRank` is the position (peers are listed by href). */
  private byHref: number[] = [];
  private generation = 0;
  private readonly interner = new LabelInterner();
  private readonly compiler = new PolicyCompiler();
  private labelKeysVersion = 0;
  private units: Unit[] = [];
  private unitsByKey = new Map<string, Unit>();
  private rules: RuleState[] = [];
  private compiledRules = new Map<string, CompiledRule>();
  private resolutions = new Map<string, Resolution>();
  private index = new ResolutionIndex();
  private planCtx: PlanContext | undefined;
  private readonly builder = new PlanBuilder();
  private computed = false;

  constructor(input: EngineInput) {
    this.snapshot = input.snapshot;
    this.labelKeys = PolicyContext.labelKeyMap(input.labels);
    for (const w of input.workloads) {
      if (this.byId.has(w.id)) continue;
      this.insertRecord(w);
    }
  }

  /** Compute every plan (once; later calls return the current plans). */
  computeAll(): ReadonlyMap<string, WorkloadPlan> {
    this.ensureComputed();
    const out = new Map<string, WorkloadPlan>();
    for (const r of this.recs) if (r?.plan) out.set(r.w.id, r.plan);
    return out;
  }

  plan(id: string): WorkloadPlan | undefined {
    this.ensureComputed();
    return this.byId.get(id)?.plan;
  }

  workload(id: string): ComputeWorkload | undefined {
    return this.byId.get(id)?.w;
  }

  get policy(): PolicySnapshot {
    return this.snapshot;
  }

  /** Add or change a workload (labels, addresses, OS, mode, …). */
  updateWorkload(w: ComputeWorkload): ChangeResult {
    this.ensureComputed();
    const rec = this.byId.get(w.id);
    const affected = new Set<WorkloadRecord>();
    if (!rec) {
      const added = this.insertRecord(w);
      const candidates = new Set<Resolution>([...this.index.always, ...this.index.forWorkload(w.id)]);
      for (const l of w.labels) for (const r of this.index.forLabel(l)) candidates.add(r);
      for (const r of candidates) {
        if (r.matches(added)) this.join(added, r, affected);
      }
      this.recheckNamedRules(w.id, affected);
      affected.add(added);
      return this.rebuild(affected, []);
    }
    const old = rec.w;
    const oldD = rec.d;
    const before = [...rec.resolutions];
    this.unindexAddresses(rec);
    if (old.href !== w.href) this.unplaceByHref(rec);
    rec.set(w, this.interner);
    if (old.href !== w.href) this.placeByHref(rec);
    this.indexAddresses(rec);
    const addrChanged = oldD.header.addresses.join(',') !== rec.d.header.addresses.join(',');
    const identityChanged =
      addrChanged || oldD.capable !== rec.d.capable || old.os_type !== w.os_type || old.os_version !== w.os_version || old.name !== w.name || old.href !== w.href;
    const oldLabels = new Set(old.labels);
    const newLabels = new Set(w.labels);
    const touched = new Set<Resolution>();
    for (const l of oldLabels) if (!newLabels.has(l)) for (const r of this.index.forLabel(l)) touched.add(r);
    for (const l of newLabels) if (!oldLabels.has(l)) for (const r of this.index.forLabel(l)) touched.add(r);
    for (const r of touched) {
      const was = r.has(rec.idx);
      const now = r.matches(rec);
      if (was && !now) this.leave(rec, r, affected);
      else if (!was && now) this.join(rec, r, affected);
    }
    if (addrChanged) for (const r of rec.resolutions) this.contentChanged(r, affected);
    if (identityChanged) {
      for (const r of new Set([...before, ...rec.resolutions])) this.secureConnectPartners(r, affected);
    }
    if (old.managed !== w.managed || old.name !== w.name) this.recheckNamedRules(w.id, affected);
    affected.add(rec);
    return this.rebuild(affected, []);
  }

  removeWorkload(id: string): ChangeResult {
    this.ensureComputed();
    const rec = this.byId.get(id);
    if (!rec) return { changed: [], removed: [], recomputed: 0 };
    const affected = new Set<WorkloadRecord>();
    for (const r of [...rec.resolutions]) {
      this.secureConnectPartners(r, affected);
      this.leave(rec, r, affected);
    }
    this.unindexAddresses(rec);
    this.unplaceByHref(rec);
    this.byId.delete(id);
    this.recs[rec.idx] = undefined;
    this.recheckNamedRules(id, affected);
    affected.delete(rec);
    return this.rebuild(affected, [id]);
  }

  /** A new policy version (a provision) or a new draft. `changed.length` is Illumio's `workloads_affected`. */
  setPolicy(snapshot: PolicySnapshot): ChangeResult {
    this.ensureComputed();
    this.snapshot = snapshot;
    return this.applyPolicy(false);
  }

  /** New labels (keys never change, but a label may be created after the rules that name it). */
  defineLabels(labels: readonly LabelKeyRef[]): ChangeResult {
    this.ensureComputed();
    let changed = false;
    for (const l of labels) {
      const id = String(l.id);
      if (this.labelKeys.get(id) !== l.key) {
        this.labelKeys.set(id, l.key);
        changed = true;
        this.labelKeysVersion++;
      }
    }
    return changed ? this.applyPolicy(false) : { changed: [], removed: [], recomputed: 0 };
  }

  /**
   * Policy-level diagnostics: every problem found compiling the rules (with the href and path
   * of the object at fault), SecureConnect errors against the current inventory, and per
   * SecureConnect rule a warning naming the pairs whose traffic will be blocked.
   */
  diagnostics(): Diagnostic[] {
    this.ensureComputed();
    const out: Diagnostic[] = [];
    for (const r of this.rules) {
      out.push(...r.diagnostics);
      const w = secureConnectPairWarning(r, this.recs);
      if (w) out.push(w);
    }
    return out;
  }

  // ——— internals shared with the policy check ———

  /** @internal */
  recordOf(id: string): WorkloadRecord | undefined {
    this.ensureComputed();
    return this.byId.get(id);
  }

  /** @internal Workload indexes holding address `a`. */
  workloadsAt(a: ParsedAddress): readonly number[] {
    const at = this.addressIndex.get(a.v);
    return at === undefined ? [] : typeof at === 'number' ? [at] : at;
  }

  /** @internal */
  recordAt(idx: number): WorkloadRecord | undefined {
    return this.recs[idx];
  }

  /** @internal Sides (rule units) a workload is a member of, in plan order. */
  sidesOf(rec: WorkloadRecord): Side[] {
    this.ensureComputed();
    const out: Side[] = [];
    for (const r of rec.resolutions) out.push(...r.sides);
    return out.sort((a, b) => a.rank - b.rank);
  }

  // ——— state changes ———

  private ensureComputed(): void {
    if (this.computed) return;
    this.computed = true;
    this.sortByHref();
    this.applyPolicy(true);
  }

  private insertRecord(w: ComputeWorkload): WorkloadRecord {
    const rec = new WorkloadRecord(this.recs.length, w, this.interner);
    this.recs.push(rec);
    this.byId.set(w.id, rec);
    this.indexAddresses(rec);
    if (this.computed) this.placeByHref(rec);
    return rec;
  }

  private indexAddresses(rec: WorkloadRecord): void {
    for (const v of rec.d.v4) this.indexAddress(v, rec.idx);
    for (const v of rec.d.v6) this.indexAddress(v, rec.idx);
  }

  /** One index per address, an array only when addresses are shared (rare). */
  private indexAddress(k: number | bigint, idx: number): void {
    const at = this.addressIndex.get(k);
    if (at === undefined) this.addressIndex.set(k, idx);
    else if (typeof at === 'number') this.addressIndex.set(k, [at, idx]);
    else at.push(idx);
  }

  private unindexAddresses(rec: WorkloadRecord): void {
    for (const k of [...rec.d.v4, ...rec.d.v6]) {
      const at = this.addressIndex.get(k);
      if (at === undefined) continue;
      if (typeof at === 'number') {
        if (at === rec.idx) this.addressIndex.delete(k);
        continue;
      }
      const rest = at.filter((i) => i !== rec.idx);
      if (rest.length === 1) this.addressIndex.set(k, rest[0] ?? 0);
      else this.addressIndex.set(k, rest);
    }
  }

  /** Sort every workload by href (the first compute). */
  private sortByHref(): void {
    const live = this.recs.flatMap((r) => (r ? [r] : []));
    live.sort((a, b) => (a.w.href < b.w.href ? -1 : a.w.href > b.w.href ? 1 : a.idx - b.idx));
    this.byHref = live.map((r) => r.idx);
    live.forEach((r, i) => (r.hrefRank = i));
  }

  /** Insert one workload into href order: O(n) shifting, no sort. */
  private placeByHref(rec: WorkloadRecord): void {
    let lo = 0;
    let hi = this.byHref.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const other = this.recs[this.byHref[mid] ?? -1];
      if (other && (other.w.href < rec.w.href || (other.w.href === rec.w.href && other.idx < rec.idx))) lo = mid + 1;
      else hi = mid;
    }
    this.byHref.splice(lo, 0, rec.idx);
    this.renumberFrom(lo);
  }

  private unplaceByHref(rec: WorkloadRecord): void {
    const at = rec.hrefRank;
    if (this.byHref[at] !== rec.idx) return;
    this.byHref.splice(at, 1);
    this.renumberFrom(at);
  }

  private renumberFrom(at: number): void {
    for (let i = at; i < this.byHref.length; i++) {
      const r = this.recs[this.byHref[i] ?? -1];
      if (r) r.hrefRank = i;
    }
  }

  private join(rec: WorkloadRecord, r: Resolution, affected: Set<WorkloadRecord>): void {
    if (!r.add(rec.idx)) return;
    rec.resolutions.push(r);
    rec.ranks = undefined;
    this.contentChanged(r, affected);
  }

  private leave(rec: WorkloadRecord, r: Resolution, affected: Set<WorkloadRecord>): void {
    if (!r.remove(rec.idx)) return;
    const at = rec.resolutions.indexOf(r);
    if (at >= 0) rec.resolutions.splice(at, 1);
    rec.ranks = undefined;
    this.contentChanged(r, affected);
  }

  /** A resolution's address set changed: every plan that names it changes. */
  private contentChanged(r: Resolution, affected: Set<WorkloadRecord>): void {
    r.invalidate();
    for (const s of r.peerOf) for (const m of s.own.members) this.affect(m, affected);
  }

  private secureConnectPartners(r: Resolution, affected: Set<WorkloadRecord>): void {
    for (const s of r.sides) if (s.unit.rule.secConnect) for (const m of s.peer.members) this.affect(m, affected);
  }

  private affect(idx: number, affected: Set<WorkloadRecord>): void {
    const rec = this.recs[idx];
    if (rec) affected.add(rec);
  }

  /** SecureConnect rules naming a workload directly are errors while it is unmanaged. */
  private recheckNamedRules(id: string, affected: Set<WorkloadRecord>): void {
    for (const rule of this.index.rulesNaming(id)) {
      const before = rule.diagnostics;
      const wasValid = rule.valid;
      this.validate(rule, this.compiledRuleOf(rule));
      if (wasValid === rule.valid && sameDiagnostics(before, rule.diagnostics)) continue;
      for (const u of rule.units) for (const side of [u.provider, u.consumer]) for (const m of side.own.members) this.affect(m, affected);
    }
  }

  private compiledRuleOf(rule: RuleState): CompiledRule | undefined {
    return this.compiledRules.get(rule.href);
  }

  private validate(rule: RuleState, compiled: CompiledRule | undefined): void {
    if (!compiled) return;
    if (!compiled.secConnect) {
      rule.diagnostics = compiled.diagnostics;
      rule.valid = true;
      return;
    }
    const ctx = {
      ruleHref: compiled.href,
      ipListName: (id: string) => this.snapshot.ipLists.find((l) => l.id === id)?.name,
      workload: (id: string) => this.byId.get(id)?.w,
      providers: [],
      consumers: [],
    };
    const errors = [...checkSecureConnectActors(compiled.providers, 'providers', ctx), ...checkSecureConnectActors(compiled.consumers, 'consumers', ctx)].map((d) =>
      Object.freeze(d),
    );
    rule.diagnostics = errors.length === 0 ? compiled.diagnostics : Object.freeze([...compiled.diagnostics, ...errors]);
    // Fail closed: a SecureConnect rule that cannot be honoured allows nothing in clear.
    rule.valid = errors.length === 0;
  }

  private authContext(): PlanContext {
    const fs = this.snapshot.firewallSettings;
    const auth: SecureConnectAuth =
      fs.ike_authentication_type === 'certificate' ? Object.freeze({ method: 'certificate', ca_identity: fs.ike_ca_identity }) : Object.freeze({ method: 'psk' });
    const authKey = auth.method === 'psk' ? 'psk' : `certificate:${auth.ca_identity ?? ''}`;
    const authDiagnostics: Diagnostic[] = [];
    if (fs.ike_authentication_type === 'certificate' && !fs.ike_ca_identity) {
      authDiagnostics.push(
        Object.freeze({
          severity: 'error',
          token: 'sec_connect_ca_identity_missing',
          message: 'IKE authentication is set to certificate but the org has no CA identity; no SA can be authenticated, so SecureConnect traffic is blocked. Set ike_ca_identity in the firewall settings.',
          href: policyHref(this.snapshot.org, this.snapshot.version === 'draft' ? 'draft' : 'active', 'firewall_settings', ''),
          path: 'ike_ca_identity',
        }),
      );
    }
    return {
      recs: this.recs,
      sidesByRank: this.planCtx?.sidesByRank ?? [],
      resolutionsByName: this.planCtx?.resolutionsByName ?? [],
      auth,
      authKey,
      authHash: fnv64(authKey),
      byHrefRank: this.byHref,
      generation: this.generation,
      authDiagnostics,
    };
  }

  /**
   * Compile the snapshot and reconcile units and resolutions with the current ones. With
   * `all`, every plan is rebuilt (the first compute); otherwise only the members of units
   * that appeared or disappeared, or every plan with SecureConnect when authentication changed.
   */
  private applyPolicy(all: boolean): ChangeResult {
    const ctx = new PolicyContext(this.snapshot, this.labelKeys, this.labelKeysVersion);
    const compiled = this.compiler.compile(ctx);
    const oldAuthKey = this.planCtx?.authKey;
    const auth = this.authContext();
    const affected = new Set<WorkloadRecord>();
    const oldResolutions = this.resolutions;
    const resolutions = new Map<string, Resolution>();
    const fresh: Resolution[] = [];
    const resolve = (spec: UnitSpec['provider']): Resolution => {
      let r = resolutions.get(spec.key);
      if (r) return r;
      r = oldResolutions.get(spec.key);
      if (!r) {
        r = new Resolution(spec, this.interner);
        fresh.push(r);
      }
      r.sides = [];
      r.peerOf = [];
      resolutions.set(spec.key, r);
      return r;
    };
    const ruleStates = new Map<string, RuleState>();
    for (const c of compiled.rules) {
      const rule: RuleState = { href: c.href, kind: c.kind, secConnect: c.secConnect, diagnostics: c.diagnostics, valid: true, units: [], mark: 0 };
      ruleStates.set(c.href, rule);
    }
    this.compiledRules = new Map(compiled.rules.map((c) => [c.href, c]));
    const units: Unit[] = [];
    const unitsByKey = new Map<string, Unit>();
    const added: Unit[] = [];
    compiled.units.forEach((spec, rank) => {
      const rule = ruleStates.get(spec.rule.href);
      if (!rule) return;
      const old = this.unitsByKey.get(spec.key);
      let unit: Unit;
      if (old && old.fingerprint === spec.fingerprint) {
        unit = old;
        resolve(spec.provider);
        resolve(spec.consumer);
      } else {
        unit = new Unit(spec, rule, resolve(spec.provider), resolve(spec.consumer));
        added.push(unit);
      }
      unit.rank = rank;
      unit.provider.rank = rank * 2;
      unit.consumer.rank = rank * 2 + 1;
      unit.rule = rule;
      rule.units.push(unit);
      units.push(unit);
      unitsByKey.set(spec.key, unit);
    });
    // Units that disappeared: their members lose entries. (A full compute rebuilds everything.)
    for (const u of all ? [] : this.units) {
      if (unitsByKey.get(u.key) === u) continue;
      for (const m of u.provider.own.members) this.affect(m, affected);
      for (const m of u.consumer.own.members) this.affect(m, affected);
    }
    for (const [key, r] of oldResolutions) {
      if (resolutions.has(key)) continue;
      for (const m of r.members) {
        const rec = this.recs[m];
        if (!rec) continue;
        const at = rec.resolutions.indexOf(r);
        if (at >= 0) rec.resolutions.splice(at, 1);
      }
    }
    this.index = new ResolutionIndex();
    for (const r of resolutions.values()) this.index.addResolution(r);
    const labelMembers = fresh.length > 0 ? new LabelMembers(this.recs) : undefined;
    for (const r of fresh) {
      for (const idx of labelMembers?.evaluate(r.program, this.recs) ?? []) {
        const rec = this.recs[idx];
        if (!rec) continue;
        r.members.push(idx);
        rec.resolutions.push(r);
      }
    }
    for (const u of units) {
      u.provider.own.sides.push(u.provider);
      u.consumer.own.sides.push(u.consumer);
      u.provider.peer.peerOf.push(u.provider);
      u.consumer.peer.peerOf.push(u.consumer);
    }
    for (const u of all ? [] : added) {
      for (const m of u.provider.own.members) this.affect(m, affected);
      for (const m of u.consumer.own.members) this.affect(m, affected);
    }
    this.units = units;
    this.unitsByKey = unitsByKey;
    this.resolutions = resolutions;
    const sidesByRank: Side[] = [];
    for (const u of units) {
      sidesByRank[u.provider.rank] = u.provider;
      sidesByRank[u.consumer.rank] = u.consumer;
    }
    const byName = [...resolutions.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    byName.forEach((r, i) => (r.nameRank = i));
    this.planCtx = { ...auth, sidesByRank, resolutionsByName: byName };
    if (all) this.fillRanks(units);
    else for (const rec of this.recs) if (rec) rec.ranks = undefined; // unit ranks moved
    this.rules = [...ruleStates.values()];
    for (const rule of this.rules) {
      const c = this.compiledRules.get(rule.href);
      this.validate(rule, c);
      if (c) for (const id of c.namedWorkloads) this.index.addNamedRule(id, rule);
    }
    if (all || oldAuthKey !== auth.authKey) return this.rebuild('all', []);
    return this.rebuild(affected, []);
  }

  /**
   * Every workload's sorted side ranks at once, in one flat buffer (compressed rows): units
   * are visited in rank order, so each row fills already sorted. Far cheaper than gathering
   * per workload through its resolutions, which chases pointers all over the heap.
   */
  private fillRanks(units: readonly Unit[]): void {
    const n = this.recs.length;
    const start = new Int32Array(n + 1);
    const sides: Side[] = [];
    for (let u = 0; u < units.length; u++) {
      const unit = units[u] as Unit;
      sides.push(unit.provider, unit.consumer);
    }
    for (let s = 0; s < sides.length; s++) {
      const members = (sides[s] as Side).own.members;
      for (let i = 0; i < members.length; i++) {
        const m = (members[i] ?? 0) + 1;
        start[m] = (start[m] ?? 0) + 1;
      }
    }
    for (let i = 0; i < n; i++) start[i + 1] = (start[i + 1] ?? 0) + (start[i] ?? 0);
    const buf = new Int32Array(start[n] ?? 0);
    const pos = start.slice(0, n);
    for (let s = 0; s < sides.length; s++) {
      const side = sides[s] as Side;
      const members = side.own.members;
      for (let i = 0; i < members.length; i++) {
        const m = members[i] ?? 0;
        const at = pos[m] ?? 0;
        buf[at] = side.rank;
        pos[m] = at + 1;
      }
    }
    for (let i = 0; i < n; i++) {
      const rec = this.recs[i];
      if (rec) rec.ranks = buf.subarray(start[i] ?? 0, start[i + 1] ?? 0);
    }
  }

  /** Rebuild the plans of `affected` (or of every workload) and report whose hash moved. */
  private rebuild(affected: Set<WorkloadRecord> | 'all', removed: string[]): ChangeResult {
    const changed: string[] = [];
    if (!this.planCtx) return { changed, removed, recomputed: 0 };
    // A new generation: caches the builder keeps for one batch start afresh.
    const ctx: PlanContext = { ...this.planCtx, byHrefRank: this.byHref, generation: ++this.generation };
    const one = (rec: WorkloadRecord): void => {
      const before = rec.plan?.hash;
      rec.plan = this.builder.build(rec, ctx);
      if (rec.plan.hash !== before) changed.push(rec.w.id);
    };
    let recomputed = 0;
    if (affected === 'all') {
      for (let i = 0; i < this.recs.length; i++) {
        const rec = this.recs[i];
        if (!rec) continue;
        one(rec);
        recomputed++;
      }
    } else {
      for (const rec of affected) {
        if (this.recs[rec.idx] !== rec) continue;
        one(rec);
        recomputed++;
      }
    }
    changed.sort();
    return { changed, removed: [...removed].sort(), recomputed };
  }
}


function sameDiagnostics(a: readonly Diagnostic[], b: readonly Diagnostic[]): boolean {
  return a.length === b.length && a.every((d, i) => d.message === b[i]?.message && d.token === b[i]?.token);
}

/**
 * One side of a rule (its providers or its consumers), confined to a scope, compiled into a
 * small expression over workload labels plus static addresses:
 *
 *   members(w) = scope(w) ∧ ( all ∨ w ∈ workloads ∨ ⋀_key ⋁ labels-of-key ∈ w ∨ ⋁_vs vs-labels ⊆ w )
 *
 * Labels of different keys AND, labels of one key OR (Illumio's rule semantics: providers
 * `role=db, env=prod` are the prod databases, not every database and everything in prod);
 * a label group counts as labels of its key. A scope is an OR of clauses, each an AND of
 * label / label-group tests, some of them exclusions. IP lists and virtual-service addresses
 * are not workloads and are never confined to the scope.
 *
 * The `key` is the canonical text of the expression: two sides with the same key have the
 * same members, so they share one resolution and one named address set.
 */
import type { ActorInput, ScopeEntry } from '../model/rule-sets.ts';
import { actorOf } from '../model/rule-sets.ts';
import { idOfHref, type PolicyContext } from './policy-context.ts';

export interface ScopeTest {
  readonly labels: ReadonlySet<string>;
  readonly exclusion: boolean;
  readonly key: string;
}
/** AND of tests. */
export type ScopeClause = readonly ScopeTest[];

export interface SideExpr {
  readonly key: string;
  readonly all: boolean;
  readonly workloadIds: ReadonlySet<string>;
  /** AND over label keys of OR over that key's labels; empty: no label term. */
  readonly labelTerms: readonly ReadonlySet<string>[];
  /** Each virtual service's backend selector: a workload carrying all these labels. */
  readonly vsBackends: readonly (readonly string[])[];
  /** OR of clauses; null when the side is not confined. */
  readonly scope: readonly ScopeClause[] | null;
  readonly static4: readonly number[];
  readonly static6: readonly bigint[];
  readonly fqdns: readonly string[];
  /** Labels whose presence on a workload can change its membership. */
  readonly mentioned: readonly string[];
  /** Whether any workload at all can be a member. */
  readonly hasWorkloadTerm: boolean;
}

export type Report = (severity: 'error' | 'warning', token: string, message: string, path: string) => void;

function testsKey(labels: readonly string[]): string {
  return labels.join('+');
}

/** Compile a rule set's scopes (`[]` = the whole org: null). */
export function compileScopes(scopes: readonly (readonly ScopeEntry[])[], ctx: PolicyContext, report: Report): ScopeClause[] | null {
  if (scopes.length === 0) return null;
  return scopes.map((scope, i) =>
    scope
      .map((e, j): ScopeTest => {
        const path = `scopes[${i}][${j}]`;
        let labels: string[];
        if (e.label) {
          const id = idOfHref(e.label.href);
          if (!ctx.hasLabel(id)) report('warning', 'unknown_label', `scope label ${e.label.href} does not exist; no workload carries it`, path);
          labels = [id];
        } else if (e.label_group) {
          const g = ctx.labelGroup(idOfHref(e.label_group.href));
          if (!g) {
            report('error', 'unknown_label_group', `scope label group ${e.label_group.href} does not exist; the scope matches nothing`, path);
            labels = [];
          } else {
            for (const p of g.problems) report('warning', 'label_group_problem', `${e.label_group.href}: ${p}`, path);
            labels = [...g.labels];
          }
        } else {
          labels = [];
        }
        labels.sort();
        const exclusion = e.exclusion === true;
        return { labels: new Set(labels), exclusion, key: `${exclusion ? '!' : ''}${testsKey(labels)}` };
      })
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
  );
}

function scopeKey(scope: readonly ScopeClause[]): string {
  return scope
    .map((c) => c.map((t) => t.key).join('&'))
    .sort()
    .join('|');
}

export function compileSide(actors: readonly ActorInput[], scope: readonly ScopeClause[] | null, ctx: PolicyContext, report: Report, side: string): SideExpr {
  let all = false;
  const workloadIds = new Set<string>();
  const byKey = new Map<string, Set<string>>();
  const vsBackends: string[][] = [];
  const static4: number[][] = [];
  const static6: bigint[][] = [];
  const fqdns = new Set<string>();
  const keyParts: string[] = [];
  const addLabel = (key: string, id: string): void => {
    const set = byKey.get(key);
    if (set) set.add(id);
    else byKey.set(key, new Set([id]));
  };
  actors.forEach((raw, i) => {
    const a = actorOf(raw);
    const path = `${side}[${i}]`;
    switch (a.kind) {
      case 'ams':
        all = true;
        break;
      case 'workload':
        workloadIds.add(a.id);
        break;
      case 'label':
        if (!ctx.hasLabel(a.id)) report('warning', 'unknown_label', `label ${a.id} does not exist; no workload carries it`, path);
        addLabel(ctx.labelKey(a.id), a.id);
        break;
      case 'label_group': {
        const g = ctx.labelGroup(a.id);
        if (!g) {
          // Fail closed: an unknown group is an empty term of its own key, so the label
          // expression matches nothing rather than everything the other labels match.
          report('error', 'unknown_label_group', `label group ${a.id} does not exist; this side's labels match nothing`, path);
          byKey.set(`?group:${a.id}`, byKey.get(`?group:${a.id}`) ?? new Set());
          break;
        }
        for (const p of g.problems) report('warning', 'label_group_problem', `label group ${a.id}: ${p}`, path);
        if (g.labels.length === 0) byKey.set(g.key, byKey.get(g.key) ?? new Set());
        for (const l of g.labels) addLabel(ctx.hasLabel(l) ? ctx.labelKey(l) : g.key, l);
        break;
      }
      case 'ip_list': {
        const l = ctx.ipList(a.id);
        if (!l) {
          report('error', 'unknown_ip_list', `IP list ${a.id} does not exist; it contributes no address`, path);
          break;
        }
        static4.push([...l.v4]);
        static6.push([...l.v6]);
        for (const f of l.fqdns) fqdns.add(f);
        keyParts.push(`I:${l.id}#${l.hash}`);
        break;
      }
      case 'virtual_service': {
        const vs = ctx.virtualService(a.id);
        if (!vs) {
          report('error', 'unknown_virtual_service', `virtual service ${a.id} does not exist; it contributes nothing`, path);
          break;
        }
        if (vs.labels.length > 0) vsBackends.push([...vs.labels]);
        static4.push([...vs.v4]);
        static6.push([...vs.v6]);
        keyParts.push(`V:${vs.id}#${vs.labels.join('+')}#${vs.v4.join(',')}#${vs.v6.join(',')}`);
        break;
      }
    }
  });
  const keys = [...byKey.keys()].sort();
  const labelTerms = keys.map((k) => byKey.get(k) ?? new Set<string>());
  const hasWorkloadTerm = all || workloadIds.size > 0 || labelTerms.length > 0 || vsBackends.length > 0;
  if (all) keyParts.push('A');
  if (workloadIds.size > 0) keyParts.push(`W:${[...workloadIds].sort().join(',')}`);
  if (labelTerms.length > 0) keyParts.push(`L:${keys.map((k) => `${k}=${[...(byKey.get(k) ?? [])].sort().join('+')}`).join('&')}`);
  keyParts.sort();
  const confined = hasWorkloadTerm ? scope : null;
  if (confined) keyParts.push(`S:${scopeKey(confined)}`);
  const mentioned = new Set<string>();
  for (const t of labelTerms) for (const l of t) mentioned.add(l);
  for (const v of vsBackends) for (const l of v) mentioned.add(l);
  for (const c of confined ?? []) for (const t of c) for (const l of t.labels) mentioned.add(l);
  const { v4, v6 } = mergeStatic(static4, static6);
  return {
    key: keyParts.join(';'),
    all,
    workloadIds,
    labelTerms,
    vsBackends,
    scope: confined,
    static4: v4,
    static6: v6,
    fqdns: [...fqdns].sort(),
    mentioned: [...mentioned],
    hasWorkloadTerm,
  };
}

function mergeStatic(v4s: number[][], v6s: bigint[][]): { v4: number[]; v6: bigint[] } {
  const pairs4: [number, number][] = [];
  for (const r of v4s) for (let i = 0; i + 1 < r.length; i += 2) pairs4.push([r[i] ?? 0, r[i + 1] ?? 0]);
  pairs4.sort((a, b) => a[0] - b[0]);
  const v4: number[] = [];
  for (const [f, t] of pairs4) {
    const last = v4.length - 1;
    if (last > 0 && f <= (v4[last] ?? 0) + 1) v4[last] = Math.max(v4[last] ?? 0, t);
    else v4.push(f, t);
  }
  const pairs6: [bigint, bigint][] = [];
  for (const r of v6s) for (let i = 0; i + 1 < r.length; i += 2) pairs6.push([r[i] ?? 0n, r[i + 1] ?? 0n]);
  pairs6.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const v6: bigint[] = [];
  for (const [f, t] of pairs6) {
    const last = v6.length - 1;
    if (last > 0 && f <= (v6[last] ?? 0n) + 1n) v6[last] = (v6[last] ?? 0n) > t ? (v6[last] ?? 0n) : t;
    else v6.push(f, t);
  }
  return { v4, v6 };
}

function hasAny(labels: readonly string[], set: ReadonlySet<string>): boolean {
  for (let i = 0; i < labels.length; i++) if (set.has(labels[i] ?? '')) return true;
  return false;
}

export function scopeMatches(scope: readonly ScopeClause[], labels: readonly string[]): boolean {
  for (const clause of scope) {
    let ok = true;
    for (const t of clause) {
      if (hasAny(labels, t.labels) === t.exclusion) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  return false;
}

/** The membership test of one workload: the heart of both full and incremental compute. */
export function sideMatches(e: SideExpr, id: string, labels: readonly string[]): boolean {
  if (!e.hasWorkloadTerm) return false;
  if (e.scope && !scopeMatches(e.scope, labels)) return false;
  if (e.all || e.workloadIds.has(id)) return true;
  if (e.labelTerms.length > 0) {
    let ok = true;
    for (const t of e.labelTerms) {
      if (!hasAny(labels, t)) {
        ok = false;
        break;
      }
    }
    if (ok) return true;
  }
  for (const vs of e.vsBackends) if (vs.every((l) => labels.includes(l))) return true;
  return false;
}

/**
 * The view of a workload that policy needs, and resolution of actors and scopes to sets of
 * workloads. Pure: the caller passes in the inventory and the label groups.
 */
import type { EnforcementMode, OsType } from '../model/common.ts';
import { actorOf, type ActorInput, type ScopeEntry } from '../model/rule-sets.ts';
import { parseHref } from '../href.ts';

export interface PolicyWorkload {
  readonly id: string;
  readonly name: string;
  readonly managed: boolean;
  readonly os_type: OsType;
  readonly os_version: string;
  readonly enforcement_mode: EnforcementMode;
  /** Label ids (as strings), at most one per key. */
  readonly labels: readonly string[];
}

/** DESIGN §4 item 5: idle, unmanaged, AIX and Solaris workloads get no SAs. */
export function isSecureConnectCapable(w: PolicyWorkload): boolean {
  return w.managed && w.enforcement_mode !== 'idle' && (w.os_type === 'linux' || w.os_type === 'windows');
}

export interface LabelGroupView {
  readonly labels: readonly { href: string }[];
  readonly sub_groups: readonly { href: string }[];
}

function idOf(href: string): string {
  const p = parseHref(href);
  return p ? p.id : href;
}

/** Label ids of a label group, sub-groups expanded (cycles tolerated). */
export function expandLabelGroup(id: string, groups: (id: string) => LabelGroupView | undefined, seen = new Set<string>()): Set<string> {
  const out = new Set<string>();
  if (seen.has(id)) return out;
  seen.add(id);
  const g = groups(id);
  if (!g) return out;
  for (const l of g.labels) out.add(idOf(l.href));
  for (const s of g.sub_groups) for (const l of expandLabelGroup(idOf(s.href), groups, seen)) out.add(l);
  return out;
}

export interface ResolveContext {
  readonly workloads: readonly PolicyWorkload[];
  readonly labelGroup: (id: string) => LabelGroupView | undefined;
  /** The key of a label id (role, app, …): actors AND labels of different keys. */
  readonly labelKey?: (labelId: string) => string | undefined;
  /** An index of workloads by label id; without it, label actors scan every workload. */
  readonly workloadsWithLabel?: (labelId: string) => readonly PolicyWorkload[];
}

/** Index workloads by label id, for `ResolveContext.workloadsWithLabel`. */
export function indexByLabel(workloads: readonly PolicyWorkload[]): (labelId: string) => readonly PolicyWorkload[] {
  const index = new Map<string, PolicyWorkload[]>();
  for (const w of workloads) {
    for (const l of w.labels) {
      const list = index.get(l);
      if (list) list.push(w);
      else index.set(l, [w]);
    }
  }
  return (id) => index.get(id) ?? [];
}

/** A predicate per scope (an AND of label / label-group entries), hrefs parsed once. */
function scopeMatcher(scope: readonly ScopeEntry[], ctx: ResolveContext): (w: PolicyWorkload) => boolean {
  const tests = scope.map((e) => {
    const ids = e.label ? new Set([idOf(e.label.href)]) : e.label_group ? expandLabelGroup(idOf(e.label_group.href), ctx.labelGroup) : new Set<string>();
    const exclusion = e.exclusion === true;
    return (w: PolicyWorkload) => w.labels.some((l) => ids.has(l)) !== exclusion;
  });
  return (w) => tests.every((t) => t(w));
}

export function inScopes(w: PolicyWorkload, scopes: readonly (readonly ScopeEntry[])[], ctx: ResolveContext): boolean {
  return scopes.length === 0 || scopes.some((s) => scopeMatcher(s, ctx)(w));
}

/**
 * Workloads an actor list names (IP lists and virtual services name none). Illumio's
 * semantics, as the compute engine has them: labels and label groups of one key are ORed,
 * of different keys ANDed (`role=web, env=prod` is web servers in prod); `ams` and named
 * workloads add to that. Without `labelKey` in the context every label is ORed.
 */
export function resolveActors(actors: readonly ActorInput[], ctx: ResolveContext): PolicyWorkload[] {
  const out = new Map<string, PolicyWorkload>();
  const add = (ws: Iterable<PolicyWorkload>): void => {
    for (const w of ws) out.set(w.id, w);
  };
  const byKey = new Map<string, Set<string>>();
  const group = (key: string): Set<string> => byKey.get(key) ?? byKey.set(key, new Set()).get(key) ?? new Set();
  const keyOf = (labelId: string): string => ctx.labelKey?.(labelId) ?? `label:${labelId}`;
  for (const raw of actors) {
    const a = actorOf(raw);
    switch (a.kind) {
      case 'ams':
        add(ctx.workloads);
        break;
      case 'label':
        group(ctx.labelKey ? keyOf(a.id) : '*').add(a.id);
        break;
      case 'label_group': {
        const ids = expandLabelGroup(a.id, ctx.labelGroup);
        const first = ids.values().next().value;
        if (first !== undefined) for (const l of ids) group(ctx.labelKey ? keyOf(first) : '*').add(l);
        break;
      }
      case 'workload':
        add(ctx.workloads.filter((w) => w.id === a.id));
        break;
      default:
        break;
    }
  }
  if (byKey.size > 0) {
    const groups = [...byKey.values()];
    const index = ctx.workloadsWithLabel;
    // Candidates from the smallest group, then every group must match.
    const sizes = groups.map((g) => (index ? [...g].reduce((n, l) => n + index(l).length, 0) : ctx.workloads.length));
    const smallest = groups[sizes.indexOf(Math.min(...sizes))] ?? new Set<string>();
    const candidates = index ? [...smallest].flatMap((l) => index(l)) : ctx.workloads;
    for (const w of candidates) if (groups.every((g) => w.labels.some((l) => g.has(l)))) out.set(w.id, w);
  }
  return [...out.values()];
}

const scopeCache = new WeakMap<ResolveContext, Map<string, ReadonlySet<string>>>();

/**
 * Ids of the workloads inside a rule set's scopes (undefined: no scope, every workload), from
 * the label index when the context has one. Cached per context and scope content: rule sets
 * share a handful of scopes, and every rule of one rule set shares its scope.
 */
export function workloadIdsInScopes(scopes: readonly (readonly ScopeEntry[])[], ctx: ResolveContext): ReadonlySet<string> | undefined {
  if (scopes.length === 0) return undefined;
  let perCtx = scopeCache.get(ctx);
  if (!perCtx) scopeCache.set(ctx, (perCtx = new Map()));
  const key = JSON.stringify(scopes);
  const hit = perCtx.get(key);
  if (hit) return hit;
  const out = new Set<string>();
  for (const scope of scopes) {
    const match = scopeMatcher(scope, ctx);
    const positive = scope.find((e) => !e.exclusion);
    // Candidates: the workloads of one positive entry (or all), then the full AND test.
    let candidates: readonly PolicyWorkload[] = ctx.workloads;
    if (positive && ctx.workloadsWithLabel) {
      const index = ctx.workloadsWithLabel;
      const ids = positive.label ? [idOf(positive.label.href)] : positive.label_group ? [...expandLabelGroup(idOf(positive.label_group.href), ctx.labelGroup)] : [];
      candidates = ids.flatMap((id) => index(id));
    }
    for (const w of candidates) if (match(w)) out.add(w.id);
  }
  perCtx.set(key, out);
  return out;
}

/** `resolveRule`'s answers per context, by rule content. */
const ruleCache = new WeakMap<ResolveContext, Map<string, { readonly providers: readonly PolicyWorkload[]; readonly consumers: readonly PolicyWorkload[] }>>();

/**
 * Providers and consumers of a rule in a rule set: providers are always confined to the
 * scope; consumers too, unless the rule has `unscoped_consumers` (extra-scope). Cached per
 * context and content (scopes, actors, unscoped consumers): a provision checks every
 * SecureConnect rule, and thousands of rules name a few hundred combinations.
 */
export function resolveRule(
  rule: { readonly providers: readonly ActorInput[]; readonly consumers: readonly ActorInput[]; readonly unscoped_consumers?: boolean },
  scopes: readonly (readonly ScopeEntry[])[],
  ctx: ResolveContext,
): { readonly providers: readonly PolicyWorkload[]; readonly consumers: readonly PolicyWorkload[] } {
  let perCtx = ruleCache.get(ctx);
  if (!perCtx) ruleCache.set(ctx, (perCtx = new Map()));
  const key = JSON.stringify([scopes, rule.providers, rule.consumers, rule.unscoped_consumers === true]);
  const hit = perCtx.get(key);
  if (hit) return hit;
  const inScope = workloadIdsInScopes(scopes, ctx);
  const scoped = (ws: PolicyWorkload[]) => (inScope === undefined ? ws : ws.filter((w) => inScope.has(w.id)));
  const providers = scoped(resolveActors(rule.providers, ctx));
  const consumersAll = resolveActors(rule.consumers, ctx);
  const out = { providers, consumers: rule.unscoped_consumers ? consumersAll : scoped(consumersAll) };
  perCtx.set(key, out);
  return out;
}

/**
 * Rule sets → units. A unit is one rule applied within one scope: a provider side, a consumer
 * side (both `SideExpr`) and a normalized service list. Units carry no members; the engine
 * resolves them against the inventory. Units come out in a canonical order (rule sets by id,
 * then allow rules by id, deny rules by id, then scope), which is the order of entries in
 * every plan.
 *
 * Scope semantics (Illumio's): a rule set with several scopes applies each scope on its own.
 * An intra-scope rule pairs providers and consumers of the same scope: one unit per scope, so
 * dev web servers are not opened to prod databases by a rule set scoped to both. An
 * extra-scope rule (`unscoped_consumers`) confines only its providers: one unit, providers in
 * any of the scopes, consumers anywhere. Deny rules are intra-scope.
 */
import type { Diagnostic } from '../diagnostics.ts';
import { policyHref } from '../href.ts';
import type { ActorInput, IngressService, RuleSet } from '../model/rule-sets.ts';
import type { ServicePort } from '../model/services.ts';
import { actorOf } from '../model/rule-sets.ts';
import { idOfHref, type PolicyContext } from './policy-context.ts';
import { normalizeServices, servicesKey } from './service-specs.ts';
import { compileScopes, compileSide, type Report, type ScopeClause, type SideExpr } from './side-expression.ts';
import type { ServiceSpec } from './types.ts';

export interface CompiledRule {
  readonly href: string;
  readonly kind: 'allow' | 'deny';
  readonly secConnect: boolean;
  readonly providers: readonly ActorInput[];
  readonly consumers: readonly ActorInput[];
  /** Problems found compiling the rule and its rule set's scopes. */
  readonly diagnostics: readonly Diagnostic[];
  /** Workloads a SecureConnect rule names directly: one that is unmanaged makes it an error. */
  readonly namedWorkloads: readonly string[];
}

export interface UnitSpec {
  /** `ruleHref#scopeIndex`: identity across provisions. */
  readonly key: string;
  /** Everything that decides the unit's entries and members; equal fingerprints, equal unit. */
  readonly fingerprint: string;
  readonly rule: CompiledRule;
  readonly provider: SideExpr;
  readonly consumer: SideExpr;
  readonly services: readonly ServiceSpec[];
  readonly servicesKey: string;
}

export function compareIds(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function ruleServices(items: readonly IngressService[], ctx: PolicyContext, report: Report): readonly ServiceSpec[] {
  const ports: ServicePort[] = [];
  items.forEach((s, i) => {
    if ('href' in s) {
      const svc = ctx.service(idOfHref(s.href));
      if (!svc) report('error', 'unknown_service', `service ${s.href} does not exist; it allows nothing`, `ingress_services[${i}]`);
      else ports.push(...svc.specs);
    } else {
      ports.push(s);
    }
  });
  return normalizeServices(ports);
}

export interface CompiledPolicy {
  readonly units: readonly UnitSpec[];
  readonly rules: readonly CompiledRule[];
}

export function compilePolicy(ctx: PolicyContext): CompiledPolicy {
  return new PolicyCompiler().compile(ctx);
}

/**
 * Compiles rule sets, remembering each compiled rule set by its content: a provision that
 * changes one rule set recompiles that one. The memory is dropped whenever anything a rule
 * set can reference (label groups, IP lists, services, virtual services, label keys, org,
 * draft/active) changes.
 */
export class PolicyCompiler {
  private contextKey = '';
  private cache = new Map<string, CompiledPolicy>();

  compile(ctx: PolicyContext): CompiledPolicy {
    const snap = ctx.snapshot;
    const contextKey = JSON.stringify([
      snap.org,
      snap.version === 'draft',
      snap.labelGroups,
      snap.ipLists,
      snap.services,
      snap.virtualServices,
      ctx.labelKeysVersion,
    ]);
    if (contextKey !== this.contextKey) {
      this.contextKey = contextKey;
      this.cache = new Map();
    }
    const next = new Map<string, CompiledPolicy>();
    const units: UnitSpec[] = [];
    const rules: CompiledRule[] = [];
    const ruleSets = [...snap.ruleSets].filter((rs) => rs.enabled).sort((a, b) => compareIds(a.id, b.id));
    for (const rs of ruleSets) {
      const key = JSON.stringify(rs);
      const done = this.cache.get(key) ?? next.get(key) ?? compileRuleSet(rs, ctx);
      next.set(key, done);
      units.push(...done.units);
      rules.push(...done.rules);
    }
    this.cache = next;
    return { units, rules };
  }
}

function compileRuleSet(rs: RuleSet, ctx: PolicyContext): CompiledPolicy {
  const snap = ctx.snapshot;
  const version = snap.version === 'draft' ? 'draft' : 'active';
  const units: UnitSpec[] = [];
  const rules: CompiledRule[] = [];
  const rsHref = policyHref(snap.org, version, 'rule_sets', rs.id);
  const scopeDiags: Diagnostic[] = [];
  const scopes = compileScopes(rs.scopes, ctx, (severity, token, message, path) => scopeDiags.push({ severity, token, message, href: rsHref, path }));
  const emit = (kind: 'allow' | 'deny', rule: RuleSetRule): void => {
    const href = `${rsHref}/${kind === 'allow' ? 'sec_rules' : 'deny_rules'}/${rule.id}`;
    const diags: Diagnostic[] = [...scopeDiags];
    const report: Report = (severity, token, message, path) => diags.push({ severity, token, message, href, path });
    const services = ruleServices(rule.ingress_services, ctx, report);
    const sec = kind === 'allow' && rule.sec_connect === true;
    const extra = kind === 'allow' && rule.unscoped_consumers === true;
    // Each unit gets its sides compiled once per scope; diagnostics are reported once.
    const quiet: Report = () => undefined;
    const sides = (scope: readonly ScopeClause[] | null, consumerScope: readonly ScopeClause[] | null, first: boolean) => ({
      provider: compileSide(rule.providers, scope, ctx, first ? report : quiet, 'providers'),
      consumer: compileSide(rule.consumers, consumerScope, ctx, first ? report : quiet, 'consumers'),
    });
    const pairs: { provider: SideExpr; consumer: SideExpr }[] = [];
    if (scopes === null) pairs.push(sides(null, null, true));
    else if (extra) pairs.push(sides(scopes, null, true));
    else scopes.forEach((clause, i) => pairs.push(sides([clause], [clause], i === 0)));
    if (services.length === 0) report('warning', 'rule_without_services', 'the rule has no service left and allows nothing', 'ingress_services');
    const namedWorkloads = sec
      ? [...rule.providers, ...rule.consumers].map(actorOf).flatMap((a) => (a.kind === 'workload' ? [a.id] : []))
      : [];
    const compiled: CompiledRule = { href, kind, secConnect: sec, providers: rule.providers, consumers: rule.consumers, diagnostics: diags, namedWorkloads };
    rules.push(compiled);
    if (services.length === 0) return;
    const seen = new Set<string>();
    const svcKey = servicesKey(services);
    const diagKey = diags.map((d) => `${d.severity}:${d.token}:${d.path ?? ''}:${d.message}`).join('\n');
    pairs.forEach((p, i) => {
      const id = `${p.provider.key}\n${p.consumer.key}`;
      if (seen.has(id)) return; // two identical scopes
      seen.add(id);
      units.push({
        key: `${href}#${i}`,
        fingerprint: `${kind}|${sec}|${svcKey}|${p.provider.key}|${p.consumer.key}|${diagKey}`,
        rule: compiled,
        provider: p.provider,
        consumer: p.consumer,
        services,
        servicesKey: svcKey,
      });
    });
  };
  for (const r of [...rs.rules].filter((x) => x.enabled).sort((a, b) => compareIds(a.id, b.id))) emit('allow', r);
  for (const r of [...rs.deny_rules].filter((x) => x.enabled).sort((a, b) => compareIds(a.id, b.id))) emit('deny', r);
  return { units, rules };
}

type RuleSetRule = (RuleSet['rules'][number] | RuleSet['deny_rules'][number]) & { readonly sec_connect?: boolean; readonly unscoped_consumers?: boolean };

/**
 * A rule set's rules → the rows of the rules table: words instead of hrefs, and the errors
 * and warnings that belong to each rule (SecureConnect checks), so they show at the rule.
 */
import { describeActor, describeService, nameOf, type ApiActor, type ApiService, type ActorView, type NameBook } from './actors.ts';
import type { RuleNote } from './rule-notes.ts';

export interface ApiRule {
  readonly href: string;
  readonly enabled: boolean;
  readonly description?: string;
  readonly providers: readonly ApiActor[];
  readonly consumers: readonly ApiActor[];
  readonly ingress_services: readonly ApiService[];
  readonly sec_connect?: boolean;
  readonly unscoped_consumers?: boolean;
}

export interface ApiScopeEntry {
  readonly label?: { readonly href: string };
  readonly label_group?: { readonly href: string };
  readonly exclusion?: boolean;
}

export interface ApiRuleSet {
  readonly href: string;
  readonly name: string;
  readonly description?: string;
  readonly enabled: boolean;
  readonly scopes: readonly (readonly ApiScopeEntry[])[];
  readonly rules?: readonly ApiRule[];
  readonly deny_rules?: readonly ApiRule[];
  readonly updated_at?: string;
}

export type RuleType = 'allow' | 'deny';

export interface RuleRow {
  readonly href: string;
  /** The rule id, last segment of its href (what people quote). */
  readonly id: string;
  readonly type: RuleType;
  readonly consumers: readonly ActorView[];
  readonly providers: readonly ActorView[];
  readonly services: readonly string[];
  readonly secConnect: boolean;
  readonly enabled: boolean;
  readonly extraScope: boolean;
  readonly description: string;
  readonly notes: readonly RuleNote[];
}

export function ruleId(href: string): string {
  return href.slice(href.lastIndexOf('/') + 1);
}

export function ruleRow(rule: ApiRule, type: RuleType, names: NameBook, notes: readonly RuleNote[] = []): RuleRow {
  return {
    href: rule.href,
    id: ruleId(rule.href),
    type,
    consumers: rule.consumers.map((a) => describeActor(a, names)),
    providers: rule.providers.map((a) => describeActor(a, names)),
    services: rule.ingress_services.map((s) => describeService(s, names)),
    secConnect: type === 'allow' && rule.sec_connect === true,
    enabled: rule.enabled,
    extraScope: type === 'allow' && rule.unscoped_consumers === true,
    description: rule.description ?? '',
    notes,
  };
}

/** Allow rules first, then deny rules, each in the rule set's order. */
export function ruleRows(rs: ApiRuleSet, names: NameBook, notesByRule: ReadonlyMap<string, readonly RuleNote[]> = new Map()): RuleRow[] {
  const notes = (href: string): readonly RuleNote[] => notesByRule.get(href) ?? [];
  return [
    ...(rs.rules ?? []).map((r) => ruleRow(r, 'allow', names, notes(r.href))),
    ...(rs.deny_rules ?? []).map((r) => ruleRow(r, 'deny', names, notes(r.href))),
  ];
}

/** Scopes as text: each scope an AND of labels, the scopes an OR. Empty = all workloads. */
export function describeScopes(scopes: readonly (readonly ApiScopeEntry[])[], names: NameBook): string[][] {
  return scopes.map((scope) =>
    scope.map((e) => {
      const href = e.label?.href ?? e.label_group?.href ?? '';
      const name = nameOf(names, href);
      const text = e.label_group ? `group: ${name}` : name;
      return e.exclusion ? `not ${text}` : text;
    }),
  );
}

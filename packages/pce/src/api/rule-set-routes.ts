/** Rule sets and their sec_rules / deny_rules. */
import type { Diagnostic } from '@palisade/core/diagnostics.ts';
import { policyHref } from '@palisade/core/href.ts';
import { DenyRuleCreateSchema, DenyRuleUpdateSchema, RuleSetCreateSchema, RuleSetUpdateSchema, SecRuleCreateSchema, SecRuleUpdateSchema } from '@palisade/core/model/rule-sets.ts';
import type { Pce } from '../pce.ts';
import { listObjects, renderPolicyObject, requireObject, resolveVersion, versioned } from '../services/policy-store.ts';
import { createRule, createRuleSet, deleteRule, deleteRuleSet, findRule, ruleSetDiagnostics, updateRule, updateRuleSet, type RuleKind } from '../services/rule-sets.ts';
import { draftOnly, objectId } from './policy-object-routes.ts';
import type { RouteRegistry } from './route-registry.ts';

function warningsBody(diags: readonly Diagnostic[]): { token: string; message: string }[] {
  return diags.filter((d) => d.severity === 'warning').map((d) => ({ token: d.token, message: d.message }));
}

export function ruleSetRoutes(r: RouteRegistry, pce: Pce): void {
  const tag = 'rule_sets';
  const base = '/orgs/:org/sec_policy/:pversion/rule_sets';
  const role = 'ruleset_manager';
  r.add({ method: 'get', path: base, summary: 'List rule sets (filter: name)', tag, collection: true }, async (q) =>
    pce.store.read(async (tx) => {
      const v = await resolveVersion(tx, q.org, q.params['pversion'] ?? '');
      const name = q.query.get('name');
      const all = (await listObjects(tx, q.org, v, 'rule_sets')).filter((o) => !name || String(o['name']).toLowerCase().includes(name.toLowerCase()));
      return { list: all.slice(0, q.limit).map((o) => renderPolicyObject(q.org, v, 'rule_sets', o)), total: all.length };
    }),
  );
  r.add({ method: 'post', path: base, summary: 'Create a rule set (rules may be inline)', tag, role, body: RuleSetCreateSchema }, async (q) => {
    draftOnly(q);
    const { obj, warnings } = await createRuleSet(pce, q.principal, q.body);
    return { status: 201, body: { ...renderPolicyObject(q.org, 'draft', 'rule_sets', obj), warnings: warningsBody(warnings) } };
  });
  r.add({ method: 'get', path: `${base}/:id`, summary: 'Get a rule set with its rules', tag }, async (q) =>
    pce.store.read(async (tx) => {
      const v = await resolveVersion(tx, q.org, q.params['pversion'] ?? '');
      return { status: 200, body: renderPolicyObject(q.org, v, 'rule_sets', await requireObject(tx, q.org, v, 'rule_sets', objectId(q))) };
    }),
  );
  r.add({ method: 'put', path: `${base}/:id`, summary: 'Update a rule set (name, description, enabled, scopes)', tag, role, body: RuleSetUpdateSchema }, async (q) => {
    draftOnly(q);
    await updateRuleSet(pce, q.principal, objectId(q), q.body as Record<string, unknown>);
    return { status: 204 };
  });
  r.add({ method: 'delete', path: `${base}/:id`, summary: 'Delete a rule set from the draft', tag, role }, async (q) => {
    draftOnly(q);
    await deleteRuleSet(pce, q.principal, objectId(q));
    return { status: 204 };
  });

  const kinds: [RuleKind, typeof SecRuleCreateSchema | typeof DenyRuleCreateSchema, typeof SecRuleUpdateSchema | typeof DenyRuleUpdateSchema, string][] = [
    ['sec_rules', SecRuleCreateSchema, SecRuleUpdateSchema, 'allow rule'],
    ['deny_rules', DenyRuleCreateSchema, DenyRuleUpdateSchema, 'deny rule'],
  ];
  for (const [kind, create, update, what] of kinds) {
    const rb = `${base}/:id/${kind}`;
    r.add({ method: 'get', path: rb, summary: `List the ${what}s of a rule set`, tag, collection: true }, async (q) =>
      pce.store.read(async (tx) => {
        const v = await resolveVersion(tx, q.org, q.params['pversion'] ?? '');
        const rs = renderPolicyObject(q.org, v, 'rule_sets', await requireObject(tx, q.org, v, 'rule_sets', objectId(q)));
        const list = (rs[kind === 'sec_rules' ? 'rules' : 'deny_rules'] as unknown[] | undefined) ?? [];
        return { list: list.slice(0, q.limit), total: list.length };
      }),
    );
    r.add({ method: 'post', path: rb, summary: `Add a ${what} (SecureConnect warnings in "warnings")`, tag, role, body: create }, async (q) => {
      draftOnly(q);
      const rsId = objectId(q);
      const { rule, warnings } = await createRule(pce, q.principal, rsId, kind, q.body);
      const { id, ...rest } = rule;
      return { status: 201, body: { href: `${policyHref(q.org, 'draft', 'rule_sets', rsId)}/${kind}/${String(id)}`, ...rest, warnings: warningsBody(warnings) } };
    });
    r.add({ method: 'get', path: `${rb}/:rule`, summary: `Get a ${what} (draft: with its SecureConnect warnings)`, tag }, async (q) =>
      pce.store.read(async (tx) => {
        const v = await resolveVersion(tx, q.org, q.params['pversion'] ?? '');
        const rsId = objectId(q);
        const rs = await requireObject(tx, q.org, v, 'rule_sets', rsId);
        const ruleId = objectId(q, 'rule');
        const { id, ...rest } = findRule(rs, kind, ruleId, q.org);
        const href = `${policyHref(q.org, 'draft', 'rule_sets', rsId)}/${kind}/${String(id)}`;
        const diags = v === 'draft' && kind === 'sec_rules' ? (await ruleSetDiagnostics(tx, q.org, { ...rs, rules: [{ id, ...rest }] })).filter((d) => d.href === href) : [];
        const body = versioned({ href, ...rest }, v);
        return { status: 200, body: v === 'draft' ? { ...body, warnings: warningsBody(diags) } : body };
      }),
    );
    r.add({ method: 'put', path: `${rb}/:rule`, summary: `Update a ${what}`, tag, role, body: update }, async (q) => {
      draftOnly(q);
      await updateRule(pce, q.principal, objectId(q), kind, objectId(q, 'rule'), q.body as Record<string, unknown>);
      return { status: 204 };
    });
    r.add({ method: 'delete', path: `${rb}/:rule`, summary: `Delete a ${what}`, tag, role }, async (q) => {
      draftOnly(q);
      await deleteRule(pce, q.principal, objectId(q), kind, objectId(q, 'rule'));
      return { status: 204 };
    });
  }
}

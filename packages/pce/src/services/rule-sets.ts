/**
 * Rule sets with their sec_rules and deny_rules. A rule set is one versioned document (the
 * unit of pending change and provisioning, as in Illumio); its rules are edited through
 * their own hrefs but stored inside it.
 */
import { notFound, PalisadeError } from '@palisade/core/errors.ts';
import { errorsOf, type Diagnostic } from '@palisade/core/diagnostics.ts';
import { policyHref } from '@palisade/core/href.ts';
import type { DenyRuleCreate, RuleSetCreate, ScopeEntry, SecRuleCreate } from '@palisade/core/model/rule-sets.ts';
import type { Principal } from '../auth/principal.ts';
import { principalRef } from '../auth/principal.ts';
import type { Pce } from '../pce.ts';
import type { StoreTx } from '../store/store.ts';
import { recordEvent } from './events.ts';
import { requireObject, writeDraft, type StoredObject } from './policy-store.ts';
import { checkReferences, type RefCheck, type RefType } from './references.ts';
import { loadInventory, secureConnectDiagnostics, type RuleLike, type SecureConnectInventory } from './secure-connect-warnings.ts';

export type RuleKind = 'sec_rules' | 'deny_rules';
type Obj = Record<string, unknown>;
type Ref = { href: string };

const ACTOR_TYPES: Record<string, RefType> = { label: 'labels', label_group: 'label_groups', workload: 'workloads', ip_list: 'ip_lists', virtual_service: 'virtual_services' };

/** Visit every href of a rule set in a fixed order; `fix` may replace it. */
function visitRefs(rs: Obj, visit: (ref: Ref, type: RefType, path: string) => void): void {
  ((rs['scopes'] as Obj[][] | undefined) ?? []).forEach((scope, i) =>
    scope.forEach((e, j) => {
      if (e['label']) visit(e['label'] as Ref, 'labels', `scopes[${i}][${j}].label`);
      if (e['label_group']) visit(e['label_group'] as Ref, 'label_groups', `scopes[${i}][${j}].label_group`);
    }),
  );
  for (const kind of ['rules', 'deny_rules'] as const) {
    ((rs[kind] as Obj[] | undefined) ?? []).forEach((rule, i) => {
      for (const side of ['providers', 'consumers'] as const) {
        ((rule[side] as Obj[] | undefined) ?? []).forEach((a, j) => {
          for (const [k, t] of Object.entries(ACTOR_TYPES)) if (a[k]) visit(a[k] as Ref, t, `${kind}[${i}].${side}[${j}].${k}`);
        });
      }
      ((rule['ingress_services'] as Obj[] | undefined) ?? []).forEach((s, j) => {
        if (typeof s['href'] === 'string') visit(s as Ref, 'services', `${kind}[${i}].ingress_services[${j}]`);
      });
    });
  }
}

/** Deep copy with every reference checked and in storage form. */
async function normalizeRuleSet(tx: StoreTx, org: number, rs: Obj): Promise<Obj> {
  const copy = JSON.parse(JSON.stringify(rs)) as Obj;
  const refs: RefCheck[] = [];
  const objs: Ref[] = [];
  visitRefs(copy, (ref, type, path) => {
    refs.push({ href: ref.href, type, path });
    objs.push(ref);
  });
  const fixed = await checkReferences(tx, org, refs);
  objs.forEach((o, i) => {
    // An ingress service may arrive as a whole service object: keep only its href.
    for (const k of Object.keys(o)) if (k !== 'href') delete (o as Obj)[k];
    o.href = fixed[i] ?? o.href;
  });
  return copy;
}

/** SecureConnect diagnostics of every rule in a rule set; errors refuse the write. */
export async function ruleSetDiagnostics(tx: StoreTx, org: number, rs: Obj, inventory?: () => Promise<SecureConnectInventory>): Promise<Diagnostic[]> {
  const rules = ((rs['rules'] as (RuleLike & { id: string })[] | undefined) ?? []).filter((r) => r.sec_connect);
  if (rules.length === 0) return [];
  const inv = inventory ? await inventory() : await loadInventory(tx, org, 'draft');
  const base = policyHref(org, 'draft', 'rule_sets', String(rs['id']));
  return rules.flatMap((r) => secureConnectDiagnostics(inv, (rs['scopes'] as ScopeEntry[][] | undefined) ?? [], r, `${base}/sec_rules/${r.id}`));
}

function throwErrors(diags: Diagnostic[]): void {
  const errs = errorsOf(diags);
  if (errs.length > 0) throw new PalisadeError('invalid', errs.map((d) => ({ token: d.token, message: d.path ? `${d.path}: ${d.message}` : d.message })));
}

async function saveRuleSet(pce: Pce, tx: StoreTx, p: Principal, rs: Obj, event: string, change: 'create' | 'update'): Promise<{ obj: StoredObject; warnings: Diagnostic[] }> {
  const id = String(rs['id']);
  const normalized = await normalizeRuleSet(tx, p.org, rs);
  const diags = await ruleSetDiagnostics(tx, p.org, normalized);
  throwErrors(diags);
  const now = pce.env.now().toISOString();
  const obj = { ...normalized, id, updated_at: now, updated_by: principalRef(p) } as StoredObject;
  await writeDraft(tx, p.org, 'rule_sets', obj, id, now, p.keyId);
  await recordEvent(tx, pce.env, p.org, p, event, [{ resource: { type: 'rule_set', href: policyHref(p.org, 'draft', 'rule_sets', id), name: String(obj['name']) }, change_type: change }], {
    notifications: diags.map((d) => ({ token: d.token, message: d.message })),
    ...(diags.length > 0 ? { severity: 'warning' as const } : {}),
  });
  return { obj, warnings: diags };
}

async function newRuleIds(tx: StoreTx, org: number, rules: readonly Obj[]): Promise<Obj[]> {
  const out: Obj[] = [];
  for (const r of rules) out.push({ id: String(await tx.nextId(org, 'rules')), ...r });
  return out;
}

export async function createRuleSet(pce: Pce, p: Principal, input: RuleSetCreate): Promise<{ obj: StoredObject; warnings: Diagnostic[] }> {
  return pce.store.transaction(async (tx) => {
    const id = String(await tx.nextId(p.org, 'rule_sets'));
    const now = pce.env.now().toISOString();
    const rs: Obj = {
      id,
      name: input.name,
      description: input.description,
      enabled: input.enabled,
      scopes: input.scopes,
      rules: await newRuleIds(tx, p.org, input.rules),
      deny_rules: await newRuleIds(tx, p.org, input.deny_rules),
      created_at: now,
      created_by: principalRef(p),
    };
    await assertUniqueRuleSetName(tx, p.org, id, input.name);
    return saveRuleSet(pce, tx, p, rs, 'rule_set.create', 'create');
  });
}

async function assertUniqueRuleSetName(tx: StoreTx, org: number, id: string, name: unknown): Promise<void> {
  const clash = (await tx.listDraft(org, 'rule_sets')).find((r) => r.id !== id && r.data !== null && (JSON.parse(r.data) as Obj)['name'] === name);
  if (clash) throw new PalisadeError('invalid', [{ token: 'name_in_use', message: `a rule set named "${String(name)}" already exists (${policyHref(org, 'draft', 'rule_sets', clash.id)})` }]);
}

export async function updateRuleSet(pce: Pce, p: Principal, id: string, input: Obj): Promise<void> {
  await pce.store.transaction(async (tx) => {
    const before = await requireObject(tx, p.org, 'draft', 'rule_sets', id);
    const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    if (defined['name'] !== undefined) await assertUniqueRuleSetName(tx, p.org, id, defined['name']);
    await saveRuleSet(pce, tx, p, { ...before, ...defined }, 'rule_set.update', 'update');
  });
}

export async function deleteRuleSet(pce: Pce, p: Principal, id: string): Promise<void> {
  await pce.store.transaction(async (tx) => {
    const before = await requireObject(tx, p.org, 'draft', 'rule_sets', id);
    await writeDraft(tx, p.org, 'rule_sets', null, id, pce.env.now().toISOString(), p.keyId);
    await recordEvent(tx, pce.env, p.org, p, 'rule_set.delete', [{ resource: { type: 'rule_set', href: policyHref(p.org, 'draft', 'rule_sets', id), name: String(before['name']) }, change_type: 'delete' }]);
  });
}

const LIST_FIELD: Record<RuleKind, 'rules' | 'deny_rules'> = { sec_rules: 'rules', deny_rules: 'deny_rules' };

export function findRule(rs: StoredObject, kind: RuleKind, ruleId: string, org: number): Obj {
  const r = ((rs[LIST_FIELD[kind]] as Obj[] | undefined) ?? []).find((x) => x['id'] === ruleId);
  if (!r) throw notFound('rule_not_found', `no rule ${policyHref(org, 'draft', 'rule_sets', rs.id)}/${kind}/${ruleId}`);
  return r;
}

export async function createRule(pce: Pce, p: Principal, rsId: string, kind: RuleKind, input: SecRuleCreate | DenyRuleCreate): Promise<{ rule: Obj; warnings: Diagnostic[] }> {
  return pce.store.transaction(async (tx) => {
    const rs = await requireObject(tx, p.org, 'draft', 'rule_sets', rsId);
    const ruleId = String(await tx.nextId(p.org, 'rules'));
    const field = LIST_FIELD[kind];
    const list = [...((rs[field] as Obj[] | undefined) ?? []), { id: ruleId, ...input }];
    const { obj, warnings } = await saveRuleSet(pce, tx, p, { ...rs, [field]: list }, `${kind === 'sec_rules' ? 'sec_rule' : 'deny_rule'}.create`, 'update');
    const rule = findRule(obj, kind, ruleId, p.org);
    const href = `${policyHref(p.org, 'draft', 'rule_sets', rsId)}/${kind}/${ruleId}`;
    return { rule, warnings: warnings.filter((w) => w.href === href) };
  });
}

export async function updateRule(pce: Pce, p: Principal, rsId: string, kind: RuleKind, ruleId: string, input: Obj): Promise<void> {
  await pce.store.transaction(async (tx) => {
    const rs = await requireObject(tx, p.org, 'draft', 'rule_sets', rsId);
    findRule(rs, kind, ruleId, p.org);
    const field = LIST_FIELD[kind];
    const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    const list = ((rs[field] as Obj[] | undefined) ?? []).map((r) => (r['id'] === ruleId ? { ...r, ...defined, id: ruleId } : r));
    await saveRuleSet(pce, tx, p, { ...rs, [field]: list }, `${kind === 'sec_rules' ? 'sec_rule' : 'deny_rule'}.update`, 'update');
  });
}

export async function deleteRule(pce: Pce, p: Principal, rsId: string, kind: RuleKind, ruleId: string): Promise<void> {
  await pce.store.transaction(async (tx) => {
    const rs = await requireObject(tx, p.org, 'draft', 'rule_sets', rsId);
    findRule(rs, kind, ruleId, p.org);
    const field = LIST_FIELD[kind];
    const list = ((rs[field] as Obj[] | undefined) ?? []).filter((r) => r['id'] !== ruleId);
    await saveRuleSet(pce, tx, p, { ...rs, [field]: list }, `${kind === 'sec_rules' ? 'sec_rule' : 'deny_rule'}.delete`, 'update');
  });
}

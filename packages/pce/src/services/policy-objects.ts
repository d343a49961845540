/**
 * Draft CRUD of the simple versioned policy objects: label groups, IP lists, services,
 * virtual services. Each kind is described by data (which schema, which references, which
 * extra checks); one set of functions handles them all. Rule sets live in rule-sets.ts.
 */
import { conflict, invalid, PalisadeError } from '@palisade/core/errors.ts';
import { parseHref, policyHref, type PolicyType } from '@palisade/core/href.ts';
import type { Principal } from '../auth/principal.ts';
import { principalRef } from '../auth/principal.ts';
import type { Pce } from '../pce.ts';
import type { StoreTx } from '../store/store.ts';
import { recordEvent } from './events.ts';
import { assertNotBuiltin, listObjects, requireObject, writeDraft, type StoredObject } from './policy-store.ts';
import { checkReferences, type RefCheck } from './references.ts';

export type SimplePolicyType = Extract<PolicyType, 'label_groups' | 'ip_lists' | 'services' | 'virtual_services'>;

interface KindSpec {
  readonly refs: (o: Record<string, unknown>) => RefCheck[];
  /** Replace the hrefs found by `refs` with their normalized form, in order. */
  readonly setRefs: (o: Record<string, unknown>, hrefs: string[]) => Record<string, unknown>;
  readonly check?: (tx: StoreTx, org: number, id: string, o: Record<string, unknown>) => Promise<void>;
}

type Refs = { href: string }[];
const hrefs = (o: Record<string, unknown>, field: string): Refs => (o[field] as Refs | undefined) ?? [];

function refList(o: Record<string, unknown>, field: string, type: RefCheck['type']): RefCheck[] {
  return hrefs(o, field).map((r, i) => ({ href: r.href, type, path: `${field}[${i}]` }));
}

function setFields(o: Record<string, unknown>, fields: string[], all: string[]): Record<string, unknown> {
  const out = { ...o };
  let i = 0;
  for (const f of fields) out[f] = hrefs(o, f).map(() => ({ href: all[i++] ?? '' }));
  return out;
}

async function checkLabelGroup(tx: StoreTx, org: number, id: string, o: Record<string, unknown>): Promise<void> {
  const key = o['key'] as string;
  const problems: { token: string; message: string }[] = [];
  for (const [i, r] of hrefs(o, 'labels').entries()) {
    const p = parseHref(r.href);
    const l = p ? await tx.getLabel(org, Number(p.id)) : undefined;
    if (l && l.key !== key) problems.push({ token: 'label_group_key_mismatch', message: `labels[${i}]: ${l.key}=${l.value} is not a "${key}" label` });
  }
  const groups = new Map<string, { labels: Refs; sub_groups: Refs; key: string }>();
  for (const g of await listObjects(tx, org, 'draft', 'label_groups')) groups.set(g.id, g as unknown as { labels: Refs; sub_groups: Refs; key: string });
  groups.set(id, o as unknown as { labels: Refs; sub_groups: Refs; key: string });
  for (const [i, r] of hrefs(o, 'sub_groups').entries()) {
    const sid = parseHref(r.href)?.id ?? '';
    const sub = groups.get(sid);
    if (sub && sub.key !== key) problems.push({ token: 'label_group_key_mismatch', message: `sub_groups[${i}]: ${r.href} groups "${sub.key}" labels, not "${key}"` });
    if (sid === id) problems.push({ token: 'label_group_cycle', message: `sub_groups[${i}]: a label group cannot contain itself` });
  }
  // A cycle exists when expanding any sub-group reaches this group again.
  const reaches = (from: string, seen = new Set<string>()): boolean => {
    if (seen.has(from)) return false;
    seen.add(from);
    const g = groups.get(from);
    if (!g) return false;
    return g.sub_groups.some((r) => {
      const s = parseHref(r.href)?.id ?? '';
      return s === id || reaches(s, seen);
    });
  };
  if (hrefs(o, 'sub_groups').some((r) => reaches(parseHref(r.href)?.id ?? ''))) {
    problems.push({ token: 'label_group_cycle', message: 'sub_groups: this would make a cycle of label groups' });
  }
  if (problems.length > 0) throw new PalisadeError('invalid', problems);
}

export const KINDS: Record<SimplePolicyType, KindSpec> = {
  label_groups: {
    refs: (o) => [...refList(o, 'labels', 'labels'), ...refList(o, 'sub_groups', 'label_groups')],
    setRefs: (o, all) => setFields(o, ['labels', 'sub_groups'], all),
    check: checkLabelGroup,
  },
  ip_lists: { refs: () => [], setRefs: (o) => o },
  services: { refs: () => [], setRefs: (o) => o },
  virtual_services: {
    refs: (o) => refList(o, 'labels', 'labels'),
    setRefs: (o, all) => setFields(o, ['labels'], all),
  },
};

function singular(type: PolicyType): string {
  return type.replace(/s$/, '');
}

async function uniqueName(tx: StoreTx, org: number, type: PolicyType, id: string, name: unknown): Promise<void> {
  if (typeof name !== 'string') return;
  const clash = (await listObjects(tx, org, 'draft', type)).find((o) => o.id !== id && o['name'] === name);
  if (clash) throw invalid('name_in_use', `a ${singular(type).replace(/_/g, ' ')} named "${name}" already exists (${policyHref(org, 'draft', type, clash.id)})`);
}

async function normalize(tx: StoreTx, org: number, type: SimplePolicyType, id: string, o: Record<string, unknown>): Promise<Record<string, unknown>> {
  const spec = KINDS[type];
  const normalized = spec.setRefs(o, await checkReferences(tx, org, spec.refs(o)));
  await spec.check?.(tx, org, id, normalized);
  await uniqueName(tx, org, type, id, normalized['name']);
  return normalized;
}

export async function createPolicyObject(pce: Pce, p: Principal, type: SimplePolicyType, input: Record<string, unknown>): Promise<StoredObject> {
  return pce.store.transaction(async (tx) => {
    const id = String(await tx.nextId(p.org, type));
    const now = pce.env.now().toISOString();
    const body = await normalize(tx, p.org, type, id, input);
    const obj: StoredObject = { id, ...body, created_at: now, updated_at: now, created_by: principalRef(p), updated_by: principalRef(p) };
    await writeDraft(tx, p.org, type, obj, id, now, p.keyId);
    await recordEvent(tx, pce.env, p.org, p, `${singular(type)}.create`, [{ resource: { type: singular(type), href: policyHref(p.org, 'draft', type, id), name: String(body['name'] ?? '') }, change_type: 'create', after: body }]);
    return obj;
  });
}

export async function updatePolicyObject(pce: Pce, p: Principal, type: SimplePolicyType, id: string, input: Record<string, unknown>): Promise<void> {
  await pce.store.transaction(async (tx) => {
    const before = await requireObject(tx, p.org, 'draft', type, id);
    assertNotBuiltin(before, `${singular(type)} "${String(before['name'])}"`);
    const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    const body = await normalize(tx, p.org, type, id, { ...before, ...defined });
    const now = pce.env.now().toISOString();
    await writeDraft(tx, p.org, type, { ...body, id, updated_at: now, updated_by: principalRef(p) }, id, now, p.keyId);
    await recordEvent(tx, pce.env, p.org, p, `${singular(type)}.update`, [{ resource: { type: singular(type), href: policyHref(p.org, 'draft', type, id), name: String(body['name'] ?? '') }, change_type: 'update', after: defined }]);
  });
}

/** Draft objects that would be left naming a deleted object. */
export async function draftUsers(tx: StoreTx, org: number, href: string, ignore: ReadonlySet<string> = new Set()): Promise<string[]> {
  return (await tx.draftReferencing(org, href)).filter((r) => !ignore.has(`${r.type}/${r.id}`)).map((r) => policyHref(org, 'draft', r.type, r.id));
}

export async function deletePolicyObject(pce: Pce, p: Principal, type: SimplePolicyType, id: string): Promise<void> {
  await pce.store.transaction(async (tx) => {
    const before = await requireObject(tx, p.org, 'draft', type, id);
    assertNotBuiltin(before, `${singular(type)} "${String(before['name'])}"`);
    const href = policyHref(p.org, 'draft', type, id);
    const users = [...(await draftUsers(tx, p.org, href)), ...(await tx.docsReferencing(p.org, href)).map((d) => `/orgs/${p.org}/${d.type}/${d.id}`)];
    if (users.length > 0) throw conflict(`${singular(type)}_in_use`, `${href} is referenced by ${users.slice(0, 10).join(', ')}; remove those references first`);
    await writeDraft(tx, p.org, type, null, id, pce.env.now().toISOString(), p.keyId);
    await recordEvent(tx, pce.env, p.org, p, `${singular(type)}.delete`, [{ resource: { type: singular(type), href, name: String(before['name'] ?? '') }, change_type: 'delete' }]);
  });
}

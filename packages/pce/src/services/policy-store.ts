/**
 * Reading and writing versioned policy objects. Objects are stored with draft hrefs; a
 * version's view rewrites them (`/sec_policy/draft/` → `/sec_policy/active/` or `/7/`), so an
 * active object's href is its draft href with `draft` → `active` (DESIGN §6).
 */
import { invalid, notFound } from '@palisade/core/errors.ts';
import { parseHref, policyHref, type PolicyType, type PolicyVersionRef } from '@palisade/core/href.ts';
import type { DraftRow, StoreTx } from '../store/store.ts';

export interface StoredObject {
  readonly id: string;
  readonly [k: string]: unknown;
}

/** Resolve `draft`, `active` or a number to what the store knows. */
export async function resolveVersion(tx: StoreTx, org: number, raw: string): Promise<PolicyVersionRef> {
  if (raw === 'draft') return 'draft';
  const latest = await tx.latestVersion(org);
  if (raw === 'active') return 'active';
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) throw notFound('policy_version_not_found', `"${raw}" is not a policy version: use draft, active or a version number`);
  const v = Number(raw);
  if (v > latest) throw notFound('policy_version_not_found', `policy version ${v} does not exist; the latest is ${latest}`);
  return v;
}

async function concrete(tx: StoreTx, org: number, v: PolicyVersionRef): Promise<number> {
  return v === 'active' ? tx.latestVersion(org) : (v as number);
}

export async function getObject(tx: StoreTx, org: number, v: PolicyVersionRef, type: PolicyType, id: string): Promise<StoredObject | undefined> {
  if (v === 'draft') {
    const row = await tx.getDraft(org, type, id);
    return row?.data ? (JSON.parse(row.data) as StoredObject) : undefined;
  }
  const rev = await tx.getRevision(org, type, id, await concrete(tx, org, v));
  return rev ? (JSON.parse(rev.data) as StoredObject) : undefined;
}

export async function requireObject(tx: StoreTx, org: number, v: PolicyVersionRef, type: PolicyType, id: string): Promise<StoredObject> {
  const o = await getObject(tx, org, v, type, id);
  if (!o) throw notFound(`${type.replace(/s$/, '')}_not_found`, `no ${type.replace(/_/g, ' ').replace(/s$/, '')} ${policyHref(org, v, type, id)}`);
  return o;
}

export async function listObjects(tx: StoreTx, org: number, v: PolicyVersionRef, type: PolicyType): Promise<StoredObject[]> {
  const rows = v === 'draft' ? await tx.listDraft(org, type) : await tx.listRevisions(org, type, await concrete(tx, org, v));
  const out: StoredObject[] = [];
  for (const r of rows) if (r.data) out.push(JSON.parse(r.data) as StoredObject);
  return out.sort((a, b) => compareIds(a.id, b.id));
}

export function compareIds(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isInteger(na) && Number.isInteger(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Write an object into the draft, tracking the pending change against the active version:
 * a new object is a `create` until provisioned; deleting a never-provisioned one removes it.
 */
export async function writeDraft(tx: StoreTx, org: number, type: PolicyType, obj: StoredObject | null, id: string, now: string, by: string | null): Promise<void> {
  const prev: DraftRow | undefined = await tx.getDraft(org, type, id);
  if (obj === null) {
    if (!prev || prev.data === null) throw notFound('not_found', `no ${type} ${id} in the draft`);
    if (prev.change === 'create') return tx.deleteDraftRow(org, type, id);
    return tx.putDraft({ org_id: org, type, id, data: null, change: 'delete', updated_at: now, updated_by: by });
  }
  const change = !prev ? 'create' : prev.change === 'create' ? 'create' : 'update';
  await tx.putDraft({ org_id: org, type, id, data: JSON.stringify(obj), change, updated_at: now, updated_by: by });
}

/** Render a stored object as the API shows it in version `v`. */
export function renderPolicyObject(org: number, v: PolicyVersionRef, type: PolicyType, obj: StoredObject): Record<string, unknown> {
  const { id, ...rest } = obj;
  const out: Record<string, unknown> = { href: policyHref(org, 'draft', type, id), ...rest };
  if (type === 'rule_sets') {
    const base = policyHref(org, 'draft', type, id);
    out['rules'] = ((rest['rules'] as StoredObject[] | undefined) ?? []).map(({ id: rid, ...r }) => ({ href: `${base}/sec_rules/${rid}`, ...r }));
    out['deny_rules'] = ((rest['deny_rules'] as StoredObject[] | undefined) ?? []).map(({ id: rid, ...r }) => ({ href: `${base}/deny_rules/${rid}`, ...r }));
  }
  return v === 'draft' ? out : versioned(out, v);
}

export function versioned<T>(value: T, v: PolicyVersionRef): T {
  return JSON.parse(JSON.stringify(value).replaceAll('/sec_policy/draft/', `/sec_policy/${v}/`)) as T;
}

/** Every `href` inside a stored object that names a policy or org object. */
export function referencesOf(obj: unknown): string[] {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'href' && typeof x === 'string' && parseHref(x)) out.add(x);
        else if (k !== 'created_by' && k !== 'updated_by') walk(x);
      }
    }
  };
  walk(obj);
  return [...out];
}

/** `/orgs/1/sec_policy/active/x/3` → `/orgs/1/sec_policy/draft/x/3` (storage form). */
export function toDraftHref(href: string): string {
  const p = parseHref(href);
  if (!p || p.kind !== 'policy') return href;
  return policyHref(p.org, 'draft', p.type, p.id);
}

export function assertNotBuiltin(obj: StoredObject, what: string): void {
  if (obj['builtin'] === true) throw invalid('builtin_object_immutable', `${what} is built in and cannot be changed or deleted`);
}

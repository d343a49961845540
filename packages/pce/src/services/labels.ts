/** Labels and label dimensions: not versioned, they take effect at once (DESIGN §2). */
import { conflict, invalid, notFound } from '@palisade/core/errors.ts';
import { orgHref } from '@palisade/core/href.ts';
import type { LabelCreate, LabelDimension, LabelDimensionCreate } from '@palisade/core/model/labels.ts';
import type { Principal } from '../auth/principal.ts';
import type { Pce } from '../pce.ts';
import type { LabelRow, StoreTx } from '../store/store.ts';
import { recordEvent } from './events.ts';
import { writeWorkloads } from './workloads.ts';

export function renderLabel(l: LabelRow): unknown {
  return { href: orgHref(l.org_id, 'labels', l.id), key: l.key, value: l.value, created_at: l.created_at, updated_at: l.updated_at };
}

export function labelIdOf(raw: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) throw notFound('label_not_found', `no label ${raw}`);
  return Number(raw);
}

async function requireDimension(tx: StoreTx, org: number, key: string): Promise<void> {
  if (!(await tx.getDoc(org, 'label_dimensions', key))) {
    throw invalid('label_dimension_not_found', `there is no label key "${key}"; create it first with POST /orgs/${org}/label_dimensions {"key": "${key}"}`);
  }
}

export async function createLabel(pce: Pce, p: Principal, input: LabelCreate): Promise<LabelRow> {
  return pce.store.transaction(async (tx) => {
    await requireDimension(tx, p.org, input.key);
    if (await tx.findLabel(p.org, input.key, input.value)) {
      throw invalid('label_exists', `a label ${input.key}=${input.value} already exists`);
    }
    const now = pce.env.now().toISOString();
    const row: LabelRow = { org_id: p.org, id: await tx.nextId(p.org, 'labels'), key: input.key, value: input.value, created_at: now, updated_at: now };
    await tx.insertLabel(row);
    await recordEvent(tx, pce.env, p.org, p, 'label.create', [{ resource: { type: 'label', href: orgHref(p.org, 'labels', row.id), name: `${row.key}=${row.value}` }, change_type: 'create', after: renderLabel(row) }]);
    return row;
  });
}

export async function updateLabel(pce: Pce, p: Principal, id: number, value: string | undefined): Promise<void> {
  // Workload lists show label values: a renamed label invalidates them.
  await writeWorkloads(pce, p.org, async (tx) => {
    const l = await tx.getLabel(p.org, id);
    if (!l) throw notFound('label_not_found', `no label ${orgHref(p.org, 'labels', id)}`);
    if (value === undefined || value === l.value) return;
    if (await tx.findLabel(p.org, l.key, value)) throw invalid('label_exists', `a label ${l.key}=${value} already exists`);
    await tx.updateLabel(p.org, id, value, pce.env.now().toISOString());
    await recordEvent(tx, pce.env, p.org, p, 'label.update', [{ resource: { type: 'label', href: orgHref(p.org, 'labels', id) }, change_type: 'update', before: { value: l.value }, after: { value } }]);
  });
}

/** Where a label is used, for the 409 on delete. */
export async function labelUsage(tx: StoreTx, org: number, id: number): Promise<string[]> {
  const href = orgHref(org, 'labels', id);
  const uses: string[] = [];
  const n = await tx.countWorkloadsWithLabel(org, id);
  if (n > 0) uses.push(`${n} workload(s)`);
  for (const d of await tx.draftReferencing(org, href)) uses.push(`draft ${d.type} ${d.id}`);
  const latest = await tx.latestVersion(org);
  for (const r of await tx.revisionsReferencing(org, href, latest)) uses.push(`active ${r.type} ${r.id}`);
  for (const d of await tx.docsReferencing(org, href)) uses.push(`${d.type} ${d.id}`);
  return [...new Set(uses)];
}

export async function deleteLabel(pce: Pce, p: Principal, id: number): Promise<void> {
  await pce.store.transaction(async (tx) => {
    const l = await tx.getLabel(p.org, id);
    if (!l) throw notFound('label_not_found', `no label ${orgHref(p.org, 'labels', id)}`);
    const uses = await labelUsage(tx, p.org, id);
    if (uses.length > 0) {
      const shown = uses.slice(0, 10).join(', ');
      throw conflict('label_in_use', `label ${l.key}=${l.value} is in use by ${shown}${uses.length > 10 ? ` and ${uses.length - 10} more` : ''}; remove those references first`);
    }
    await tx.deleteLabel(p.org, id);
    await recordEvent(tx, pce.env, p.org, p, 'label.delete', [{ resource: { type: 'label', href: orgHref(p.org, 'labels', id), name: `${l.key}=${l.value}` }, change_type: 'delete', before: renderLabel(l) }]);
  });
}

export function renderDimension(org: number, d: LabelDimension): unknown {
  return { href: `/orgs/${org}/label_dimensions/${d.key}`, key: d.key, display_name: d.display_name, builtin: d.builtin, created_at: d.created_at };
}

export async function createDimension(pce: Pce, p: Principal, input: LabelDimensionCreate): Promise<LabelDimension> {
  return pce.store.transaction(async (tx) => {
    if (await tx.getDoc(p.org, 'label_dimensions', input.key)) throw invalid('label_dimension_exists', `the label key "${input.key}" already exists`);
    const now = pce.env.now().toISOString();
    const d: LabelDimension = { key: input.key, display_name: input.display_name ?? input.key, builtin: false, created_at: now };
    await tx.insertDoc({ org_id: p.org, type: 'label_dimensions', id: d.key, data: JSON.stringify(d), created_at: now, updated_at: now });
    await recordEvent(tx, pce.env, p.org, p, 'label_dimension.create', [{ resource: { type: 'label_dimension', href: `/orgs/${p.org}/label_dimensions/${d.key}` }, change_type: 'create', after: d }]);
    return d;
  });
}

export async function deleteDimension(pce: Pce, p: Principal, key: string): Promise<void> {
  await pce.store.transaction(async (tx) => {
    const row = await tx.getDoc(p.org, 'label_dimensions', key);
    if (!row) throw notFound('label_dimension_not_found', `no label key "${key}"`);
    const d = JSON.parse(row.data) as LabelDimension;
    if (d.builtin) throw invalid('builtin_object_immutable', `the label key "${key}" is built in and cannot be deleted`);
    const { total } = await tx.listLabels(p.org, { key, limit: 0 });
    if (total > 0) throw conflict('label_dimension_in_use', `the label key "${key}" still has ${total} label(s); delete them first`);
    await tx.deleteDoc(p.org, 'label_dimensions', key);
    await recordEvent(tx, pce.env, p.org, p, 'label_dimension.delete', [{ resource: { type: 'label_dimension', href: `/orgs/${p.org}/label_dimensions/${key}` }, change_type: 'delete', before: d }]);
  });
}

import { notFound } from '@palisade/core/errors.ts';
import { LabelCreateSchema, LabelDimensionCreateSchema, LabelUpdateSchema, type LabelDimension } from '@palisade/core/model/labels.ts';
import type { Pce } from '../pce.ts';
import { createDimension, createLabel, deleteDimension, deleteLabel, labelIdOf, renderDimension, renderLabel, updateLabel } from '../services/labels.ts';
import type { RouteRegistry } from './route-registry.ts';

export function labelRoutes(r: RouteRegistry, pce: Pce): void {
  const tag = 'labels';
  r.add({ method: 'get', path: '/orgs/:org/labels', summary: 'List labels (filters: key, value)', tag, collection: true }, async (q) => {
    const key = q.query.get('key') ?? undefined;
    const value = q.query.get('value') ?? undefined;
    const { rows, total } = await pce.store.read((tx) => tx.listLabels(q.org, { ...(key ? { key } : {}), ...(value ? { value } : {}), limit: q.limit }));
    return { list: rows.map(renderLabel), total };
  });
  r.add({ method: 'post', path: '/orgs/:org/labels', summary: 'Create a label', tag, role: 'admin', body: LabelCreateSchema }, async (q) => ({ status: 201, body: renderLabel(await createLabel(pce, q.principal, q.body)) }));
  r.add({ method: 'get', path: '/orgs/:org/labels/:id', summary: 'Get a label', tag }, async (q) => {
    const id = labelIdOf(q.params['id'] ?? '');
    const l = await pce.store.read((tx) => tx.getLabel(q.org, id));
    if (!l) throw notFound('label_not_found', `no label /orgs/${q.org}/labels/${id}`);
    return { status: 200, body: renderLabel(l) };
  });
  r.add({ method: 'put', path: '/orgs/:org/labels/:id', summary: 'Update a label (value)', tag, role: 'admin', body: LabelUpdateSchema }, async (q) => {
    await updateLabel(pce, q.principal, labelIdOf(q.params['id'] ?? ''), q.body.value);
    return { status: 204 };
  });
  r.add({ method: 'delete', path: '/orgs/:org/labels/:id', summary: 'Delete a label (409 while in use)', tag, role: 'admin' }, async (q) => {
    await deleteLabel(pce, q.principal, labelIdOf(q.params['id'] ?? ''));
    return { status: 204 };
  });

  r.add({ method: 'get', path: '/orgs/:org/label_dimensions', summary: 'List label keys', tag, collection: true }, async (q) => {
    const rows = await pce.store.read((tx) => tx.listDocs(q.org, 'label_dimensions'));
    const dims = rows.map((d) => renderDimension(q.org, JSON.parse(d.data) as LabelDimension));
    return { list: dims.slice(0, q.limit), total: dims.length };
  });
  r.add({ method: 'post', path: '/orgs/:org/label_dimensions', summary: 'Create a custom label key', tag, role: 'admin', body: LabelDimensionCreateSchema }, async (q) => ({
    status: 201,
    body: renderDimension(q.org, await createDimension(pce, q.principal, q.body)),
  }));
  r.add({ method: 'get', path: '/orgs/:org/label_dimensions/:key', summary: 'Get a label key', tag }, async (q) => {
    const row = await pce.store.read((tx) => tx.getDoc(q.org, 'label_dimensions', q.params['key'] ?? ''));
    if (!row) throw notFound('label_dimension_not_found', `no label key "${q.params['key'] ?? ''}"`);
    return { status: 200, body: renderDimension(q.org, JSON.parse(row.data) as LabelDimension) };
  });
  r.add({ method: 'delete', path: '/orgs/:org/label_dimensions/:key', summary: 'Delete a custom label key without labels', tag, role: 'admin' }, async (q) => {
    await deleteDimension(pce, q.principal, q.params['key'] ?? '');
    return { status: 204 };
  });
}

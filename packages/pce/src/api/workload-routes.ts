import { WorkloadCreateSchema, WorkloadUpdateSchema } from '@palisade/core/model/workloads.ts';
import type { Pce } from '../pce.ts';
import { createWorkload, deleteWorkload, parseWorkloadQuery, renderWorkloads, requireWorkload, updateWorkload, workloadIdOf } from '../services/workloads.ts';
import type { RouteRegistry } from './route-registry.ts';
import { notFound } from '@palisade/core/errors.ts';

export function workloadRoutes(r: RouteRegistry, pce: Pce): void {
  const tag = 'workloads';
  r.add({ method: 'get', path: '/orgs/:org/workloads', summary: 'List workloads (filters: labels, name, hostname, managed)', tag, collection: true }, async (q) => {
    const key = `${q.limit} ${q.query.get('labels') ?? ''} ${q.query.get('name') ?? ''} ${q.query.get('hostname') ?? ''} ${q.query.get('managed') ?? ''}`;
    const { body, total } = await pce.workloadLists.getOrCompute(q.org, key, () =>
      pce.store.read(async (tx) => {
        const query = await parseWorkloadQuery(tx, q.org, q.query, q.limit);
        const { rows, total } = await tx.listWorkloads(q.org, query);
        return { body: JSON.stringify(await renderWorkloads(tx, q.org, rows)), total };
      }),
    );
    return { rawList: body, total };
  });
  r.add({ method: 'post', path: '/orgs/:org/workloads', summary: 'Create an unmanaged workload', tag, role: 'admin', body: WorkloadCreateSchema }, async (q) => ({
    status: 201,
    body: await createWorkload(pce, q.principal, q.body),
  }));
  r.add({ method: 'get', path: '/orgs/:org/workloads/:id', summary: 'Get a workload', tag }, async (q) =>
    pce.store.read(async (tx) => {
      const row = await requireWorkload(tx, q.org, workloadIdOf(q.params['id'] ?? ''));
      const [body] = await renderWorkloads(tx, q.org, [row]);
      return { status: 200, body };
    }),
  );
  r.add({ method: 'put', path: '/orgs/:org/workloads/:id', summary: 'Update a workload (labels, mode, visibility, …)', tag, role: 'admin', body: WorkloadUpdateSchema }, async (q) => {
    await updateWorkload(pce, q.principal, workloadIdOf(q.params['id'] ?? ''), q.body);
    return { status: 204 };
  });
  r.add({ method: 'delete', path: '/orgs/:org/workloads/:id', summary: 'Delete an unmanaged workload', tag, role: 'admin' }, async (q) => {
    await deleteWorkload(pce, q.principal, workloadIdOf(q.params['id'] ?? ''));
    return { status: 204 };
  });
  r.add({ method: 'get', path: '/orgs/:org/vens', summary: 'List VENs', tag: 'vens', collection: true }, async (q) => {
    const rows = await pce.store.read((tx) => tx.listDocs(q.org, 'vens'));
    const vens = rows.map((d) => ({ href: `/orgs/${q.org}/vens/${d.id}`, ...(JSON.parse(d.data) as object) }));
    return { list: vens.slice(0, q.limit), total: vens.length };
  });
  r.add({ method: 'get', path: '/orgs/:org/vens/:id', summary: 'Get a VEN', tag: 'vens' }, async (q) => {
    const d = await pce.store.read((tx) => tx.getDoc(q.org, 'vens', q.params['id'] ?? ''));
    if (!d) throw notFound('ven_not_found', `no VEN /orgs/${q.org}/vens/${q.params['id'] ?? ''}`);
    return { status: 200, body: { href: `/orgs/${q.org}/vens/${d.id}`, ...(JSON.parse(d.data) as object) } };
  });
}

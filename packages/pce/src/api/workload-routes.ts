import { createHash } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import { WorkloadCreateSchema, WorkloadUpdateSchema } from '@palisade/core/model/workloads.ts';
import type { Pce } from '../pce.ts';
import { createWorkload, deleteWorkload, parseWorkloadQuery, renderWorkloads, requireWorkload, updateWorkload, workloadIdOf } from '../services/workloads.ts';
import type { RouteRegistry } from './route-registry.ts';
import type { LabelRow, WorkloadRow } from '../store/store.ts';
import { z } from 'zod';
import { getVen, renderVen, type VenRecord } from '../agents/ven-record.ts';
import { unpairVen } from '../agents/agent-service.ts';
import { venNotFound } from '../agents/agent-routes.ts';

const UnpairSchema = z.object({ vens: z.array(z.object({ href: z.string().max(512) })).min(1).max(10_000) });

/**
 * A digest of everything a rendered workload list shows (the rows, the labels they carry,
 * the total): equal digests, equal bodies. A cache refresh compares it instead of rendering.
 */
function listVersion(total: number, rows: readonly WorkloadRow[], labels: readonly LabelRow[]): string {
  const h = createHash('sha256').update(String(total));
  for (const r of rows) h.update(`\n${r.id}\t${r.created_at}\t${r.updated_at}\t${r.label_ids.join(',')}\t${r.data}`);
  for (const l of labels) h.update(`\n${l.id}\t${l.key}\t${l.value}`);
  return h.digest('base64');
}

/** Where a workload list is kept in the list cache: everything in the query that changes the answer. */
export function workloadListKey(limit: number, query: URLSearchParams): string {
  return `${limit} ${query.get('labels') ?? ''} ${query.get('name') ?? ''} ${query.get('hostname') ?? ''} ${query.get('managed') ?? ''}`;
}

export function workloadRoutes(r: RouteRegistry, pce: Pce): void {
  const tag = 'workloads';
  r.add({ method: 'get', path: '/orgs/:org/workloads', summary: 'List workloads (filters: labels, name, hostname, managed)', tag, collection: true }, async (q) => {
    const list = await pce.workloadLists.getOrCompute(q.org, workloadListKey(q.limit, q.query), (previous) =>
      pce.store.read(async (tx) => {
        const query = await parseWorkloadQuery(tx, q.org, q.query, q.limit);
        const { rows, total } = await tx.listWorkloads(q.org, query);
        const version = listVersion(total, rows, await tx.getLabels(q.org, [...new Set(rows.flatMap((r) => r.label_ids))]));
        if (version === previous) return { unchanged: true };
        await setImmediate(); // rendering is the long part: let the requests that arrived meanwhile in first
        return { version, total, body: JSON.stringify(await renderWorkloads(tx, q.org, rows)) };
      }),
    );
    return { rawList: list.body, total: list.total, utf8: list.utf8, gzipped: list.gzipped };
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
  const vens = async (org: number) => (await pce.store.read((tx) => tx.listDocs(org, 'vens'))).map((d) => JSON.parse(d.data) as VenRecord);
  const show = (org: number, v: VenRecord) => renderVen(org, pce.venState.withPending(org, v), pce.env.now(), pce.agents.connected(org, v.id));
  r.add({ method: 'get', path: '/orgs/:org/vens', summary: 'List VENs with status, online state and policy sync', tag: 'vens', collection: true }, async (q) => {
    const all = (await vens(q.org)).map((v) => show(q.org, v));
    return { list: all.slice(0, q.limit), total: all.length };
  });
  r.add({ method: 'put', path: '/orgs/:org/vens/unpair', summary: 'Unpair VENs: their workloads become unmanaged and the agents remove everything', tag: 'vens', role: 'admin', body: UnpairSchema }, async (q) => {
    for (const ref of q.body.vens) {
      const id = ref.href.split('/').pop() ?? '';
      if (!ref.href.startsWith(`/orgs/${q.org}/vens/`) || !(await pce.store.read((tx) => getVen(tx, q.org, id)))) venNotFound(q.org, id);
    }
    for (const ref of q.body.vens) {
      const id = ref.href.split('/').pop() ?? '';
      await unpairVen(pce, q.org, id, { system: `api key ${q.principal.keyId}` });
      for (const s of pce.agents.streamsOfVen(q.org, id)) {
        s.send('unpaired', {});
        s.close();
      }
    }
    return { status: 204 };
  });
  r.add({ method: 'get', path: '/orgs/:org/vens/:id', summary: 'Get a VEN', tag: 'vens' }, async (q) => {
    const id = q.params['id'] ?? '';
    const v = await pce.store.read((tx) => getVen(tx, q.org, id));
    if (!v) venNotFound(q.org, id);
    return { status: 200, body: show(q.org, v) };
  });
}

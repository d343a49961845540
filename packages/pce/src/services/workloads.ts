/** Workloads: managed (a VEN is paired) or unmanaged (created through the API). Not versioned. */
import { invalid, notFound, PalisadeError, type ErrorDetail } from '@palisade/core/errors.ts';
import { orgHref, parseHref } from '@palisade/core/href.ts';
import type { Workload, WorkloadCreate, WorkloadUpdate } from '@palisade/core/model/workloads.ts';
import type { Principal } from '../auth/principal.ts';
import type { Pce } from '../pce.ts';
import type { LabelRow, StoreTx, WorkloadQuery, WorkloadRow } from '../store/store.ts';
import { recordEvent } from './events.ts';

type StoredWorkload = Omit<Workload, 'id' | 'labels'>;

/** Resolve label hrefs to rows: they must exist, and a workload carries one label per key. */
export async function resolveWorkloadLabels(tx: StoreTx, org: number, refs: readonly { href: string }[], path = 'labels'): Promise<LabelRow[]> {
  const problems: ErrorDetail[] = [];
  const rows: LabelRow[] = [];
  const byKey = new Map<string, string>();
  for (const [i, ref] of refs.entries()) {
    const p = parseHref(ref.href);
    if (!p || p.kind !== 'org' || p.type !== 'labels' || p.org !== org || !/^\d+$/.test(p.id)) {
      problems.push({ token: 'invalid_href', message: `${path}[${i}]: "${ref.href}" is not a label of org ${org} (expected /orgs/${org}/labels/{id})` });
      continue;
    }
    const l = await tx.getLabel(org, Number(p.id));
    if (!l) {
      problems.push({ token: 'label_not_found', message: `${path}[${i}]: ${ref.href} does not exist` });
      continue;
    }
    const prev = byKey.get(l.key);
    if (prev !== undefined && prev !== l.value) {
      problems.push({ token: 'multiple_labels_same_key', message: `${path}: a workload carries at most one "${l.key}" label, got ${prev} and ${l.value}` });
      continue;
    }
    if (prev === undefined) {
      byKey.set(l.key, l.value);
      rows.push(l);
    }
  }
  if (problems.length > 0) throw new PalisadeError('invalid', problems);
  return rows;
}

export async function renderWorkloads(tx: StoreTx, org: number, rows: readonly WorkloadRow[]): Promise<unknown[]> {
  const ids = [...new Set(rows.flatMap((r) => r.label_ids))];
  const labels = new Map((await tx.getLabels(org, ids)).map((l) => [l.id, l]));
  return rows.map((r) => {
    const w = JSON.parse(r.data) as StoredWorkload;
    return {
      href: orgHref(org, 'workloads', r.id),
      name: w.name,
      hostname: w.hostname,
      description: w.description,
      interfaces: w.interfaces,
      public_ip: w.public_ip,
      os_type: w.os_type,
      os_version: w.os_version,
      labels: r.label_ids.flatMap((id) => {
        const l = labels.get(id);
        return l ? [{ href: orgHref(org, 'labels', id), key: l.key, value: l.value }] : [];
      }),
      enforcement_mode: w.enforcement_mode,
      visibility_level: w.visibility_level,
      managed: w.ven_id !== null,
      ven: w.ven_id === null ? null : { href: orgHref(org, 'vens', w.ven_id) },
      created_at: r.created_at,
      updated_at: r.updated_at,
    };
  });
}

/** A transaction that changes workloads; cached workload lists are dropped once it ends. */
export async function writeWorkloads<T>(pce: Pce, org: number, fn: (tx: StoreTx) => Promise<T>, workloadId?: (result: T) => string): Promise<T> {
  let result: T;
  try {
    result = await pce.store.transaction(fn);
  } finally {
    pce.workloadLists.invalidate(org);
  }
  // Recompute the plans this workload change can affect (after commit: the engine reads the store).
  if (workloadId) await pce.compute.workloadChanged(org, workloadId(result));
  return result;
}

function summary(w: { name: string | null; hostname: string | null }): string {
  return w.name ?? w.hostname ?? '';
}

export async function createWorkload(pce: Pce, p: Principal, input: WorkloadCreate): Promise<unknown> {
  return writeWorkloads(pce, p.org, async (tx) => {
    const labels = await resolveWorkloadLabels(tx, p.org, input.labels ?? []);
    const now = pce.env.now().toISOString();
    const id = pce.env.uuid();
    const w: StoredWorkload = {
      name: input.name ?? null,
      hostname: input.hostname ?? null,
      description: input.description ?? '',
      interfaces: input.interfaces ?? [],
      public_ip: input.public_ip ?? null,
      os_type: input.os_type ?? 'linux',
      os_version: input.os_version ?? '',
      enforcement_mode: input.enforcement_mode ?? 'idle',
      visibility_level: input.visibility_level ?? 'flow_summary',
      ven_id: null,
      created_at: now,
      updated_at: now,
    };
    const row: WorkloadRow = { org_id: p.org, id, data: JSON.stringify(w), label_ids: labels.map((l) => l.id), created_at: now, updated_at: now };
    await tx.insertWorkload(row);
    const [out] = await renderWorkloads(tx, p.org, [row]);
    await recordEvent(tx, pce.env, p.org, p, 'workload.create', [{ resource: { type: 'workload', href: orgHref(p.org, 'workloads', id), name: summary(w) }, change_type: 'create', after: out }]);
    return out;
  }, (out) => String((out as { href: string }).href).split('/').pop() ?? '');
}

export function workloadIdOf(raw: string): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(raw)) throw notFound('workload_not_found', `no workload ${raw}`);
  return raw;
}

export async function requireWorkload(tx: StoreTx, org: number, id: string): Promise<WorkloadRow> {
  const row = await tx.getWorkload(org, id);
  if (!row) throw notFound('workload_not_found', `no workload ${orgHref(org, 'workloads', id)}`);
  return row;
}

export async function updateWorkload(pce: Pce, p: Principal, id: string, input: WorkloadUpdate): Promise<void> {
  await writeWorkloads(pce, p.org, async (tx) => {
    const row = await requireWorkload(tx, p.org, id);
    const before = JSON.parse(row.data) as StoredWorkload;
    const labels = input.labels ? (await resolveWorkloadLabels(tx, p.org, input.labels)).map((l) => l.id) : row.label_ids;
    const now = pce.env.now().toISOString();
    const after: StoredWorkload = {
      ...before,
      ...Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== undefined && k !== 'labels')),
      updated_at: now,
    };
    if (after.name === null && after.hostname === null) throw invalid('input_validation_error', 'a workload needs a name or a hostname');
    await tx.updateWorkload({ ...row, data: JSON.stringify(after), label_ids: labels, updated_at: now });
    await recordEvent(tx, pce.env, p.org, p, 'workload.update', [
      { resource: { type: 'workload', href: orgHref(p.org, 'workloads', id), name: summary(after) }, change_type: 'update', before: { ...input, labels: undefined, old_labels: row.label_ids }, after: { ...input, labels } },
    ]);
  }, () => id);
}

export async function deleteWorkload(pce: Pce, p: Principal, id: string): Promise<void> {
  await writeWorkloads(pce, p.org, async (tx) => {
    const row = await requireWorkload(tx, p.org, id);
    const w = JSON.parse(row.data) as StoredWorkload;
    const href = orgHref(p.org, 'workloads', id);
    const draftUses = await tx.draftReferencing(p.org, href);
    const activeUses = await tx.revisionsReferencing(p.org, href, await tx.latestVersion(p.org));
    if (draftUses.length + activeUses.length > 0) {
      const names = [...draftUses.map((d) => `draft ${d.type} ${d.id}`), ...activeUses.map((r) => `active ${r.type} ${r.id}`)];
      throw new PalisadeError('conflict', [{ token: 'workload_in_use', message: `workload ${summary(w)} is named by ${names.join(', ')}; remove it from those rules first` }]);
    }
    if (w.ven_id !== null) throw invalid('workload_managed', `workload ${summary(w)} is managed by a VEN; unpair the VEN instead of deleting the workload`);
    await tx.deleteWorkload(p.org, id);
    await recordEvent(tx, pce.env, p.org, p, 'workload.delete', [{ resource: { type: 'workload', href, name: summary(w) }, change_type: 'delete' }]);
  }, () => id);
}

/** Illumio's list filters: `labels=[["/orgs/1/labels/1","…"],[…]]`, `name`, `hostname`, `managed`. */
export async function parseWorkloadQuery(tx: StoreTx, org: number, q: URLSearchParams, limit: number): Promise<WorkloadQuery> {
  let labelIds: number[][] | undefined;
  const raw = q.get('labels');
  if (raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw invalid('invalid_query', 'labels must be a JSON array of arrays of label hrefs, e.g. [["/orgs/1/labels/1"],["/orgs/1/labels/5"]]');
    }
    if (!Array.isArray(parsed) || !parsed.every((x) => Array.isArray(x) && x.every((h) => typeof h === 'string'))) {
      throw invalid('invalid_query', 'labels must be a JSON array of arrays of label hrefs, e.g. [["/orgs/1/labels/1"],["/orgs/1/labels/5"]]');
    }
    labelIds = [];
    for (const group of parsed as string[][]) {
      const rows = await Promise.all(group.map((h) => resolveWorkloadLabels(tx, org, [{ href: h }], 'labels')));
      labelIds.push(rows.flat().map((l) => l.id));
    }
  }
  const managed = q.get('managed');
  if (managed !== null && managed !== 'true' && managed !== 'false') throw invalid('invalid_query', 'managed must be true or false');
  const name = q.get('name') ?? q.get('hostname') ?? undefined;
  return {
    ...(labelIds ? { labelIds } : {}),
    ...(name ? { name } : {}),
    ...(managed !== null ? { managed: managed === 'true' } : {}),
    limit,
  };
}

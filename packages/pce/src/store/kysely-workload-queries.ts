/**
 * Workloads. Besides `data`, a row keeps what the list filters need as plain columns
 * (lower-cased name and hostname, managed) and its label ids twice: as JSON in the row, so
 * reads need no join, and in `workload_labels`, for label filters and in-use counts.
 */
import type { Kysely } from 'kysely';
import type { DialectHooks } from './dialect-hooks.ts';
import { chunks, countOf, paged } from './kysely-sql.ts';
import type { Database } from './schema.ts';
import type { StoreTx, WorkloadRow } from './store.ts';

const COLUMNS = ['org_id', 'id', 'data', 'label_ids', 'created_at', 'updated_at'] as const;

interface StoredWorkload {
  readonly org_id: number;
  readonly id: string;
  readonly data: string;
  readonly label_ids: string;
  readonly created_at: string;
  readonly updated_at: string;
}

function fromStored(r: StoredWorkload): WorkloadRow {
  return { org_id: r.org_id, id: r.id, data: r.data, label_ids: JSON.parse(r.label_ids) as number[], created_at: r.created_at, updated_at: r.updated_at };
}

/** The filter columns, taken from the Workload JSON (core/model/workloads.ts). */
function searchColumns(data: string): { name_lc: string; hostname_lc: string; managed: number } {
  const parsed: unknown = JSON.parse(data);
  const w: Record<string, unknown> = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const lc = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase() : '');
  return { name_lc: lc(w['name']), hostname_lc: lc(w['hostname']), managed: typeof w['ven_id'] === 'string' && w['ven_id'] !== '' ? 1 : 0 };
}

function storedColumns(row: WorkloadRow) {
  return {
    data: row.data,
    label_ids: JSON.stringify([...new Set(row.label_ids)]),
    ...searchColumns(row.data),
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

export function workloadQueries(db: Kysely<Database>, hooks: DialectHooks) {
  async function insertLabels(org: number, seq: number, labelIds: readonly number[]): Promise<void> {
    const ids = [...new Set(labelIds)];
    if (ids.length === 0) return;
    await db
      .insertInto('workload_labels')
      .values(ids.map((label_id) => ({ workload_seq: seq, org_id: org, label_id })))
      .execute();
  }

  return {
    async insertWorkload(row) {
      const r = await db
        .insertInto('workloads')
        .values({ org_id: row.org_id, id: row.id, ...storedColumns(row) })
        .returning('seq')
        .executeTakeFirstOrThrow();
      await insertLabels(row.org_id, r.seq, row.label_ids);
    },

    async getWorkload(org, id) {
      const r = await db.selectFrom('workloads').select(COLUMNS).where('org_id', '=', org).where('id', '=', id).executeTakeFirst();
      return r === undefined ? undefined : fromStored(r);
    },

    async getWorkloads(org, ids) {
      const rows: WorkloadRow[] = [];
      for (const part of chunks([...new Set(ids)], 500)) {
        const found = await db.selectFrom('workloads').select(COLUMNS).where('org_id', '=', org).where('id', 'in', part).execute();
        rows.push(...found.map(fromStored));
      }
      return rows;
    },

    async listWorkloads(org, q) {
      let base = db.selectFrom('workloads').where('org_id', '=', org);
      const lists = q.labelIds ?? [];
      // An empty OR matches nothing (and `IN ()` is not SQL).
      if (lists.some((anyOf) => anyOf.length === 0)) return { rows: [], total: 0 };
      const carrying = lists.map((anyOf) => db.selectFrom('workload_labels').select('workload_seq').where('org_id', '=', org).where('label_id', 'in', [...anyOf]));
      const [first, ...rest] = carrying;
      if (first !== undefined) {
        // One IN over the INTERSECT of the lists, not one IN per list: with two, SQLite may
        // plan a nested loop over both value lists (quadratic in the matching workloads).
        base = base.where('seq', 'in', rest.reduce((acc, next) => acc.intersect(next), first));
      }
      if (q.name !== undefined && q.name !== '') {
        const needle = q.name.toLowerCase();
        base = base.where((eb) => eb.or([hooks.contains(eb.ref('name_lc'), needle), hooks.contains(eb.ref('hostname_lc'), needle)]));
      }
      if (q.managed !== undefined) base = base.where('managed', '=', q.managed ? 1 : 0);

      const total = countOf(await base.select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirst());
      if (q.limit === 0 || total === 0) return { rows: [], total };
      const rows = await paged(base.select(COLUMNS).orderBy('seq'), q.limit, q.offset).execute();
      return { rows: rows.map(fromStored), total };
    },

    async allWorkloads(org) {
      const rows = await db.selectFrom('workloads').select(COLUMNS).where('org_id', '=', org).orderBy('seq').execute();
      return rows.map(fromStored);
    },

    async updateWorkload(row) {
      const before = await db
        .selectFrom('workloads')
        .select(['seq', 'label_ids'])
        .where('org_id', '=', row.org_id)
        .where('id', '=', row.id)
        .executeTakeFirst();
      if (before === undefined) return;
      const cols = storedColumns(row);
      await db.updateTable('workloads').set(cols).where('seq', '=', before.seq).execute();
      if (cols.label_ids !== before.label_ids) {
        await db.deleteFrom('workload_labels').where('workload_seq', '=', before.seq).execute();
        await insertLabels(row.org_id, before.seq, row.label_ids);
      }
    },

    async deleteWorkload(org, id) {
      // workload_labels rows go with it (ON DELETE CASCADE).
      await db.deleteFrom('workloads').where('org_id', '=', org).where('id', '=', id).execute();
    },
  } satisfies Partial<StoreTx>;
}

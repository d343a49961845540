/** Labels and the generic org documents (label dimensions, pairing profiles, VENs). */
import type { Kysely } from 'kysely';
import type { DialectHooks } from './dialect-hooks.ts';
import { chunks, countOf, paged, quoted } from './kysely-sql.ts';
import type { Database } from './schema.ts';
import type { DocRow, LabelRow, StoreTx } from './store.ts';

const LABEL_COLUMNS = ['org_id', 'id', 'key', 'value', 'created_at', 'updated_at'] as const;
const DOC_COLUMNS = ['org_id', 'type', 'id', 'data', 'created_at', 'updated_at'] as const;
/** Ids per `IN (…)` list, well under both dialects' limits on bound parameters. */
const IDS_PER_QUERY = 1000;

export function labelQueries(db: Kysely<Database>, hooks: DialectHooks) {
  const labels = () => db.selectFrom('labels').select(LABEL_COLUMNS);
  const docs = () => db.selectFrom('docs').select(DOC_COLUMNS);
  return {
    async insertLabel(row) {
      await db
        .insertInto('labels')
        .values({ ...row, value_lc: row.value.toLowerCase() })
        .execute();
    },
    getLabel: (org, id) => labels().where('org_id', '=', org).where('id', '=', id).executeTakeFirst(),
    async getLabels(org, ids) {
      const out: LabelRow[] = [];
      for (const part of chunks([...new Set(ids)], IDS_PER_QUERY)) {
        out.push(...(await labels().where('org_id', '=', org).where('id', 'in', part).orderBy('id').execute()));
      }
      return out;
    },
    findLabel: (org, key, value) => labels().where('org_id', '=', org).where('key', '=', key).where('value', '=', value).executeTakeFirst(),
    async listLabels(org, q) {
      let base = db.selectFrom('labels').where('org_id', '=', org);
      if (q.key !== undefined) base = base.where('key', '=', q.key);
      if (q.value !== undefined) {
        const needle = q.value.toLowerCase();
        base = base.where((eb) => hooks.contains(eb.ref('value_lc'), needle));
      }
      const total = countOf(await base.select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirst());
      const rows = q.limit === 0 ? [] : await paged(base.select(LABEL_COLUMNS).orderBy('id'), q.limit, q.offset).execute();
      return { rows, total };
    },
    async updateLabel(org, id, value, updatedAt) {
      await db
        .updateTable('labels')
        .set({ value, value_lc: value.toLowerCase(), updated_at: updatedAt })
        .where('org_id', '=', org)
        .where('id', '=', id)
        .execute();
    },
    async deleteLabel(org, id) {
      await db.deleteFrom('labels').where('org_id', '=', org).where('id', '=', id).execute();
    },
    async countWorkloadsWithLabel(org, labelId) {
      const row = await db
        .selectFrom('workload_labels')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('org_id', '=', org)
        .where('label_id', '=', labelId)
        .executeTakeFirst();
      return countOf(row);
    },

    async insertDoc(row) {
      await db.insertInto('docs').values(row).execute();
    },
    getDoc: (org, type, id) => docs().where('org_id', '=', org).where('type', '=', type).where('id', '=', id).executeTakeFirst(),
    listDocs: (org, type) => docs().where('org_id', '=', org).where('type', '=', type).orderBy('seq').execute(),
    async updateDoc(org, type, id, data, updatedAt) {
      await db.updateTable('docs').set({ data, updated_at: updatedAt }).where('org_id', '=', org).where('type', '=', type).where('id', '=', id).execute();
    },
    async deleteDoc(org, type, id) {
      await db.deleteFrom('docs').where('org_id', '=', org).where('type', '=', type).where('id', '=', id).execute();
    },
    docsReferencing: (org, href): Promise<DocRow[]> =>
      docs()
        .where('org_id', '=', org)
        .where((eb) => hooks.contains(eb.ref('data'), quoted(href)))
        .orderBy('seq')
        .execute(),
  } satisfies Partial<StoreTx>;
}

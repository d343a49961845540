/** Events, activation codes, async jobs and their data files. */
import type { Kysely } from 'kysely';
import { countOf, paged } from './kysely-sql.ts';
import type { Database } from './schema.ts';
import type { StoreTx } from './store.ts';

const JOB_PATCH_FIELDS = ['status', 'terminated_at', 'datafile_id', 'message'] as const;

export function eventQueries(db: Kysely<Database>) {
  return {
    async insertEvent(row) {
      const r = await db.insertInto('events').values(row).returning('id').executeTakeFirstOrThrow();
      return r.id;
    },
    async listEvents(org, q) {
      let base = db.selectFrom('events').where('org_id', '=', org);
      if (q.eventType !== undefined) base = base.where('event_type', '=', q.eventType);
      if (q.since !== undefined) base = base.where('timestamp', '>=', q.since);
      if (q.until !== undefined) base = base.where('timestamp', '<=', q.until);
      const total = countOf(await base.select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirst());
      // Ids grow with time, so id order is newest-first without trusting clocks.
      const rows = q.limit === 0 || total === 0 ? [] : await paged(base.selectAll().orderBy('id', 'desc'), q.limit, undefined).execute();
      return { rows, total };
    },
    getEvent: (org, id) => db.selectFrom('events').selectAll().where('org_id', '=', org).where('id', '=', id).executeTakeFirst(),

    async insertActivationCode(row) {
      await db.insertInto('activation_codes').values(row).execute();
    },
    getActivationCode: (codeHash) => db.selectFrom('activation_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst(),
    async setActivationCodeUses(codeHash, usesLeft) {
      await db.updateTable('activation_codes').set({ uses_left: usesLeft }).where('code_hash', '=', codeHash).execute();
    },

    async insertJob(row) {
      await db.insertInto('jobs').values(row).execute();
    },
    async updateJob(org, id, patch) {
      // Only the fields present: an explicit `undefined` leaves a column alone.
      const set = Object.fromEntries(JOB_PATCH_FIELDS.filter((k) => patch[k] !== undefined).map((k) => [k, patch[k]])) as typeof patch;
      if (Object.keys(set).length === 0) return;
      await db.updateTable('jobs').set(set).where('org_id', '=', org).where('id', '=', id).execute();
    },
    getJob: (org, id) => db.selectFrom('jobs').selectAll().where('org_id', '=', org).where('id', '=', id).executeTakeFirst(),
    async insertDatafile(org, id, content, createdAt) {
      await db.insertInto('datafiles').values({ org_id: org, id, content, created_at: createdAt }).execute();
    },
    async getDatafile(org, id) {
      const r = await db.selectFrom('datafiles').select('content').where('org_id', '=', org).where('id', '=', id).executeTakeFirst();
      return r?.content;
    },
  } satisfies Partial<StoreTx>;
}

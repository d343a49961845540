/** Orgs, per-org counters, users and API keys. */
import type { Kysely } from 'kysely';
import type { DialectHooks } from './dialect-hooks.ts';
import type { Database } from './schema.ts';
import type { StoreTx } from './store.ts';

export function orgQueries(db: Kysely<Database>, hooks: DialectHooks) {
  return {
    lockOrg: (org) => hooks.lockOrg(db, org),

    async nextId(org, counter) {
      // One statement: the row lock it takes on PostgreSQL makes concurrent callers queue.
      const row = await db
        .insertInto('counters')
        .values({ org_id: org, name: counter, value: 1 })
        .onConflict((oc) => oc.columns(['org_id', 'name']).doUpdateSet((eb) => ({ value: eb('counters.value', '+', 1) })))
        .returning('value')
        .executeTakeFirstOrThrow();
      return row.value;
    },

    async insertOrg(row) {
      const r = await db.insertInto('orgs').values(row).returning('id').executeTakeFirstOrThrow();
      return r.id;
    },
    getOrg: (id) => db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst(),
    listOrgs: () => db.selectFrom('orgs').selectAll().orderBy('id').execute(),
    async updateOrgPsk(id, psk) {
      await db
        .updateTable('orgs')
        .set({
          psk: psk.psk,
          psk_previous: psk.psk_previous,
          psk_generation: psk.psk_generation,
          psk_rotation_started_at: psk.psk_rotation_started_at,
        })
        .where('id', '=', id)
        .execute();
    },

    async insertUser(row) {
      const r = await db.insertInto('users').values(row).returning('id').executeTakeFirstOrThrow();
      return r.id;
    },
    getUser: (org, id) => db.selectFrom('users').selectAll().where('org_id', '=', org).where('id', '=', id).executeTakeFirst(),
    getUserByUsername: (username) => db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst(),
    listUsers: (org) => db.selectFrom('users').selectAll().where('org_id', '=', org).orderBy('id').execute(),

    async insertApiKey(row) {
      await db.insertInto('api_keys').values(row).execute();
    },
    getApiKey: (keyId) => db.selectFrom('api_keys').selectAll().where('key_id', '=', keyId).executeTakeFirst(),
    listApiKeys: (org, userId) =>
      db.selectFrom('api_keys').selectAll().where('org_id', '=', org).where('user_id', '=', userId).orderBy('created_at').orderBy('key_id').execute(),
    async deleteApiKey(org, keyId) {
      const r = await db.deleteFrom('api_keys').where('org_id', '=', org).where('key_id', '=', keyId).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
  } satisfies Partial<StoreTx>;
}

/**
 * Flow endpoints get retention too. `flow_endpoints.last_day` is the last UTC day an endpoint
 * was used by ingest (days since the epoch; ingest raises it once a day per endpoint), so
 * retention deletes the endpoints no stored summary can reference any more: those last used
 * before the first day it keeps. Endpoints interned before this migration count as used on
 * the day it runs (finding their last summary would read every summary).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import { DAY_MS } from './005-flow-summaries.ts';

export async function up(db: Kysely<Database>): Promise<void> {
  await db.schema
    .alterTable('flow_endpoints')
    .addColumn('last_day', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db
    .updateTable('flow_endpoints')
    .set({ last_day: Math.floor(Date.now() / DAY_MS) })
    .execute();
  await db.schema.createIndex('flow_endpoints_last_day').on('flow_endpoints').columns(['org_id', 'last_day']).execute();
}

/**
 * Traffic flows (issue 6). Built for batched ingest and label-filtered queries over tens of
 * millions of rows:
 * - small rows: decisions, state and direction are small integers (codes in
 *   `kysely-flow-queries.ts`), times are epoch milliseconds, not ISO text;
 * - the labels of each end at the time of the flow are one integer, a *label set* id
 *   (`flow_label_sets` interns each distinct sorted list of label ids once per org;
 *   `flow_label_set_labels` says which sets carry a label). A label filter becomes
 *   `src_set IN (sets carrying the label)`, answered by the `(org_id, src_set, last_seen)`
 *   index, and ingest writes two integers instead of one join row per label;
 * - `flows.id` is the rowid on SQLite (no AUTOINCREMENT bookkeeping), a bigint identity on
 *   PostgreSQL;
 * - `flow_batches` remembers each agent batch id, so a resent batch is not stored twice;
 * - `flow_queries` holds async traffic queries, so any PCE process can answer a poll.
 */
import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { SqlDialect } from './migrator.ts';

const notNull = (col: ColumnDefinitionBuilder): ColumnDefinitionBuilder => col.notNull();
const orgRef = (col: ColumnDefinitionBuilder): ColumnDefinitionBuilder => col.notNull().references('orgs.id').onDelete('cascade');

export async function up(db: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  const s = db.schema;
  await s
    .createTable('flows')
    .addColumn('id', dialect === 'postgres' ? 'bigint' : 'integer', (c) => (dialect === 'postgres' ? c.generatedByDefaultAsIdentity().primaryKey() : c.primaryKey()))
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('src_ip', 'text', notNull)
    .addColumn('dst_ip', 'text', notNull)
    .addColumn('src_workload', 'text')
    .addColumn('dst_workload', 'text')
    .addColumn('src_set', 'integer')
    .addColumn('dst_set', 'integer')
    .addColumn('proto', 'integer', notNull)
    .addColumn('port', 'integer')
    .addColumn('direction', 'integer', notNull)
    .addColumn('first_seen', dialect === 'postgres' ? 'bigint' : 'integer', notNull)
    .addColumn('last_seen', dialect === 'postgres' ? 'bigint' : 'integer', notNull)
    .addColumn('connections', 'integer', notNull)
    .addColumn('bytes_in', dialect === 'postgres' ? 'bigint' : 'integer')
    .addColumn('bytes_out', dialect === 'postgres' ? 'bigint' : 'integer')
    .addColumn('reporter_workload', 'text')
    .addColumn('state', 'integer', notNull)
    .addColumn('policy_decision', 'integer', notNull)
    .addColumn('draft_policy_decision', 'integer', notNull)
    .execute();
  // Time-ordered listing and retention; label filters on either end. No FK from flows to
  // workloads or labels: flows outlive both, and a FK check per row would halve ingest.
  await s.createIndex('flows_org_last_seen').on('flows').columns(['org_id', 'last_seen']).execute();
  await s.createIndex('flows_org_src_set').on('flows').columns(['org_id', 'src_set', 'last_seen']).execute();
  await s.createIndex('flows_org_dst_set').on('flows').columns(['org_id', 'dst_set', 'last_seen']).execute();

  await s
    .createTable('flow_label_sets')
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('id', 'integer', notNull)
    .addColumn('label_ids', 'text', notNull)
    .addPrimaryKeyConstraint('flow_label_sets_pk', ['org_id', 'id'])
    .addUniqueConstraint('flow_label_sets_key', ['org_id', 'label_ids'])
    .execute();
  await s
    .createTable('flow_label_set_labels')
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('label_id', 'integer', notNull)
    .addColumn('set_id', 'integer', notNull)
    .addPrimaryKeyConstraint('flow_label_set_labels_pk', ['org_id', 'label_id', 'set_id'])
    .execute();

  await s
    .createTable('flow_batches')
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('batch_id', 'text', notNull)
    .addColumn('reporter_workload', 'text')
    .addColumn('received_at', dialect === 'postgres' ? 'bigint' : 'integer', notNull)
    .addColumn('flows', 'integer', notNull)
    .addColumn('dropped', 'integer', notNull)
    .addPrimaryKeyConstraint('flow_batches_pk', ['org_id', 'batch_id'])
    .execute();
  await s.createIndex('flow_batches_received').on('flow_batches').columns(['org_id', 'received_at']).execute();

  await s
    .createTable('flow_queries')
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('id', 'text', notNull)
    .addColumn('query', 'text', notNull)
    .addColumn('status', 'text', notNull)
    .addColumn('created_by', 'text', notNull)
    .addColumn('created_at', 'text', notNull)
    .addColumn('updated_at', 'text', notNull)
    .addColumn('flows_count', 'integer')
    .addColumn('datafile_id', 'text')
    .addColumn('message', 'text')
    .addPrimaryKeyConstraint('flow_queries_pk', ['org_id', 'id'])
    .execute();
}

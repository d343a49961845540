/**
 * The initial schema. Column types are the portable subset (integer, text); the one dialect
 * difference is how a database-assigned id is declared (`autoId`).
 */
import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { SqlDialect } from './migrator.ts';

function autoId(dialect: SqlDialect) {
  return (col: ColumnDefinitionBuilder): ColumnDefinitionBuilder =>
    dialect === 'postgres' ? col.generatedByDefaultAsIdentity().primaryKey() : col.primaryKey().autoIncrement();
}

const notNull = (col: ColumnDefinitionBuilder): ColumnDefinitionBuilder => col.notNull();
const orgRef = (col: ColumnDefinitionBuilder): ColumnDefinitionBuilder => col.notNull().references('orgs.id').onDelete('cascade');

export async function up(db: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  const s = db.schema;
  await s
    .createTable('orgs')
    .addColumn('id', 'integer', autoId(dialect))
    .addColumn('name', 'text', notNull)
    .addColumn('created_at', 'text', notNull)
    .addColumn('psk', 'text', notNull)
    .addColumn('psk_previous', 'text')
    .addColumn('psk_generation', 'integer', notNull)
    .addColumn('psk_rotation_started_at', 'text')
    .execute();

  await s
    .createTable('counters')
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('name', 'text', notNull)
    .addColumn('value', 'integer', notNull)
    .addPrimaryKeyConstraint('counters_pk', ['org_id', 'name'])
    .execute();

  await s
    .createTable('users')
    .addColumn('id', 'integer', autoId(dialect))
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('full_name', 'text', notNull)
    .addColumn('password_hash', 'text')
    .addColumn('role', 'text', notNull)
    .addColumn('created_at', 'text', notNull)
    .execute();
  await s.createIndex('users_org').on('users').columns(['org_id', 'id']).execute();

  await s
    .createTable('api_keys')
    .addColumn('key_id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', notNull)
    .addColumn('description', 'text', notNull)
    .addColumn('role', 'text', notNull)
    .addColumn('secret_hash', 'text', notNull)
    .addColumn('created_at', 'text', notNull)
    .execute();
  await s.createIndex('api_keys_user').on('api_keys').columns(['org_id', 'user_id']).execute();

  await s
    .createTable('labels')
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('id', 'integer', notNull)
    .addColumn('key', 'text', notNull)
    .addColumn('value', 'text', notNull)
    .addColumn('value_lc', 'text', notNull)
    .addColumn('created_at', 'text', notNull)
    .addColumn('updated_at', 'text', notNull)
    .addPrimaryKeyConstraint('labels_pk', ['org_id', 'id'])
    .addUniqueConstraint('labels_key_value', ['org_id', 'key', 'value'])
    .execute();

  await s
    .createTable('workloads')
    .addColumn('seq', 'integer', autoId(dialect))
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('id', 'text', notNull)
    .addColumn('data', 'text', notNull)
    .addColumn('label_ids', 'text', notNull)
    .addColumn('name_lc', 'text', notNull)
    .addColumn('hostname_lc', 'text', notNull)
    .addColumn('managed', 'integer', notNull)
    .addColumn('created_at', 'text', notNull)
    .addColumn('updated_at', 'text', notNull)
    .addUniqueConstraint('workloads_org_id', ['org_id', 'id'])
    .execute();
  // Listing order (org, insertion) without a sort.
  await s.createIndex('workloads_org_seq').on('workloads').columns(['org_id', 'seq']).execute();

  await s
    .createTable('workload_labels')
    .addColumn('workload_seq', 'integer', (c) => c.notNull().references('workloads.seq').onDelete('cascade'))
    .addColumn('org_id', 'integer', notNull)
    .addColumn('label_id', 'integer', notNull)
    .addPrimaryKeyConstraint('workload_labels_pk', ['workload_seq', 'label_id'])
    // A label carried by a workload cannot disappear under it.
    .addForeignKeyConstraint('workload_labels_label', ['org_id', 'label_id'], 'labels', ['org_id', 'id'])
    .execute();
  await s.createIndex('workload_labels_label').on('workload_labels').columns(['org_id', 'label_id', 'workload_seq']).execute();

  await s
    .createTable('docs')
    .addColumn('seq', 'integer', autoId(dialect))
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('type', 'text', notNull)
    .addColumn('id', 'text', notNull)
    .addColumn('data', 'text', notNull)
    .addColumn('created_at', 'text', notNull)
    .addColumn('updated_at', 'text', notNull)
    .addUniqueConstraint('docs_org_type_id', ['org_id', 'type', 'id'])
    .execute();
  await s.createIndex('docs_org_type_seq').on('docs').columns(['org_id', 'type', 'seq']).execute();

  await s
    .createTable('policy_draft')
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('type', 'text', notNull)
    .addColumn('id', 'text', notNull)
    .addColumn('data', 'text')
    .addColumn('change', 'text')
    .addColumn('updated_at', 'text', notNull)
    .addColumn('updated_by', 'text')
    .addPrimaryKeyConstraint('policy_draft_pk', ['org_id', 'type', 'id'])
    .execute();
  // Pending changes are few next to the whole draft: index only them.
  await s
    .createIndex('policy_draft_pending')
    .on('policy_draft')
    .columns(['org_id', 'type', 'id'])
    .where(sql.ref('change'), 'is not', null)
    .execute();

  await s
    .createTable('policy_revisions')
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('type', 'text', notNull)
    .addColumn('id', 'text', notNull)
    .addColumn('since_version', 'integer', notNull)
    .addColumn('until_version', 'integer')
    .addColumn('data', 'text', notNull)
    .addPrimaryKeyConstraint('policy_revisions_pk', ['org_id', 'type', 'id', 'since_version'])
    .execute();
  // "Part of version v": since_version <= v AND (until_version IS NULL OR until_version > v).
  // Queried as two index ranges on until_version (open ones, and ones closed after v).
  await s
    .createIndex('policy_revisions_in_version')
    .on('policy_revisions')
    .columns(['org_id', 'until_version', 'type', 'since_version'])
    .execute();

  await s
    .createTable('policy_versions')
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('version', 'integer', notNull)
    .addColumn('commit_message', 'text', notNull)
    .addColumn('created_at', 'text', notNull)
    .addColumn('created_by', 'text')
    .addColumn('workloads_affected', 'integer', notNull)
    .addColumn('changes', 'text', notNull)
    .addPrimaryKeyConstraint('policy_versions_pk', ['org_id', 'version'])
    .execute();

  await s
    .createTable('events')
    .addColumn('id', 'integer', autoId(dialect))
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('timestamp', 'text', notNull)
    .addColumn('event_type', 'text', notNull)
    .addColumn('severity', 'text', notNull)
    .addColumn('status', 'text', notNull)
    .addColumn('created_by', 'text', notNull)
    .addColumn('data', 'text', notNull)
    .execute();
  await s.createIndex('events_org_id').on('events').columns(['org_id', 'id']).execute();
  await s.createIndex('events_org_type_id').on('events').columns(['org_id', 'event_type', 'id']).execute();

  await s
    .createTable('activation_codes')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('pairing_profile_id', 'text', notNull)
    .addColumn('created_at', 'text', notNull)
    .addColumn('expires_at', 'text')
    .addColumn('uses_left', 'integer')
    .execute();

  await s
    .createTable('jobs')
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('id', 'text', notNull)
    .addColumn('job_type', 'text', notNull)
    .addColumn('status', 'text', notNull)
    .addColumn('requested_at', 'text', notNull)
    .addColumn('terminated_at', 'text')
    .addColumn('datafile_id', 'text')
    .addColumn('message', 'text')
    .addPrimaryKeyConstraint('jobs_pk', ['org_id', 'id'])
    .execute();

  await s
    .createTable('datafiles')
    .addColumn('org_id', 'integer', orgRef)
    .addColumn('id', 'text', notNull)
    .addColumn('content', 'text', notNull)
    .addColumn('created_at', 'text', notNull)
    .addPrimaryKeyConstraint('datafiles_pk', ['org_id', 'id'])
    .execute();
}

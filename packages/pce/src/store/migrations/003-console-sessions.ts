/**
 * Console sign-in sessions (issue 7). In the database rather than in memory, so several PCE
 * processes behind one load balancer share them. Only the sha256 of the session token is
 * stored: a database dump gives no usable cookie. Times are epoch milliseconds (bigint on
 * PostgreSQL) because the idle and absolute limits are compared on every request.
 */
import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import type { SqlDialect } from './migrator.ts';

const notNull = (col: ColumnDefinitionBuilder): ColumnDefinitionBuilder => col.notNull();

export async function up(db: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  const millis = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('console_sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'integer', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('created_at', millis, notNull)
    .addColumn('last_seen_at', millis, notNull)
    .addColumn('client_ip', 'text', notNull)
    .execute();
  await db.schema.createIndex('console_sessions_user').on('console_sessions').columns(['user_id']).execute();
  await db.schema.createIndex('console_sessions_last_seen').on('console_sessions').columns(['last_seen_at']).execute();
}

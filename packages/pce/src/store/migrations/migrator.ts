/**
 * Forward-only migrations. All pending migrations run in one transaction that first takes
 * the database's write lock (SQLite `BEGIN IMMEDIATE`; PostgreSQL a transaction-level
 * advisory lock), so several PCE processes starting at once migrate exactly once: the
 * others wait, then find nothing to do. A database migrated by a newer Palisade (a
 * migration this build does not know) is refused rather than used.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../schema.ts';
import * as initial from './001-initial.ts';
import * as flows from './002-flows.ts';
import * as consoleSessions from './003-console-sessions.ts';
import * as flowExplorer from './004-flow-explorer.ts';
import * as flowSummaries from './005-flow-summaries.ts';
import * as flowEndpointDays from './006-flow-endpoint-days.ts';

export type SqlDialect = 'sqlite' | 'postgres';

interface Migration {
  readonly name: string;
  up(db: Kysely<Database>, dialect: SqlDialect): Promise<void>;
}

/** In order; append new ones, never edit or reorder applied ones (README). */
const MIGRATIONS: readonly Migration[] = [
  { name: '001-initial', up: initial.up },
  { name: '002-flows', up: flows.up },
  { name: '003-console-sessions', up: consoleSessions.up },
  { name: '004-flow-explorer', up: flowExplorer.up },
  { name: '005-flow-summaries', up: flowSummaries.up },
  { name: '006-flow-endpoint-days', up: flowEndpointDays.up },
];

/** "palisade" in ASCII: the advisory-lock key of schema migrations. */
const MIGRATION_LOCK_KEY = '8097872805151990885';

// A type alias (not an interface): Kysely needs the index signature an alias has.
type MigrationsTable = {
  palisade_migrations: { name: string; applied_at: string };
};

/** Applies the pending migrations (up to and including `upTo`, for tests of a migration's data conversion). */
export async function migrateToLatest(db: Kysely<Database>, dialect: SqlDialect, now: () => string = () => new Date().toISOString(), upTo?: string): Promise<string[]> {
  return db.connection().execute(async (conn) => {
    await sql.raw(dialect === 'sqlite' ? 'begin immediate' : 'begin').execute(conn);
    try {
      if (dialect === 'postgres') await sql`select pg_advisory_xact_lock(${sql.raw(MIGRATION_LOCK_KEY)})`.execute(conn);
      const m = conn.withTables<MigrationsTable>();
      await m.schema
        .createTable('palisade_migrations')
        .ifNotExists()
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('applied_at', 'text', (c) => c.notNull())
        .execute();
      const applied = new Set((await m.selectFrom('palisade_migrations').select('name').execute()).map((r) => r.name));
      const known = new Set(MIGRATIONS.map((x) => x.name));
      const unknown = [...applied].filter((n) => !known.has(n));
      if (unknown.length > 0) {
        throw new Error(`the database has migrations this Palisade does not know (${unknown.join(', ')}): it was used by a newer version; upgrade Palisade`);
      }
      const ran: string[] = [];
      const last = upTo === undefined ? MIGRATIONS.length - 1 : MIGRATIONS.findIndex((x) => x.name === upTo);
      for (const migration of MIGRATIONS.slice(0, last + 1)) {
        if (applied.has(migration.name)) continue;
        await migration.up(conn, dialect);
        await m.insertInto('palisade_migrations').values({ name: migration.name, applied_at: now() }).execute();
        ran.push(migration.name);
      }
      await sql.raw('commit').execute(conn);
      return ran;
    } catch (e) {
      await sql.raw('rollback').execute(conn).catch(() => undefined);
      throw e;
    }
  });
}

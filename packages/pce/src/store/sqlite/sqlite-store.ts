/**
 * The Store on SQLite (better-sqlite3), the embedded default.
 *
 * One writer connection (writes are serialized anyway; `BEGIN IMMEDIATE` takes the lock up
 * front, so two processes on one file wait for each other instead of deadlocking) and, for
 * a file, one reader connection: with WAL, reads see the last commit and never wait for a
 * write transaction that is still running. Prepared statements are cached per connection
 * (Kysely's driver prepares each query anew).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type SqlBool, type SqliteDatabase } from 'kysely';
import type { DialectHooks } from '../dialect-hooks.ts';
import { createKyselyStore } from '../kysely-store.ts';
import { migrateToLatest } from '../migrations/migrator.ts';
import type { Database } from '../schema.ts';
import type { Store } from '../store.ts';

export const sqliteHooks: DialectHooks = {
  dialect: 'sqlite',
  beginWrite: 'begin immediate',
  beginRead: 'begin',
  // One writer connection and BEGIN IMMEDIATE: every write transaction is already alone.
  lockOrg: async () => undefined,
  contains: (haystack, needle) => sql<SqlBool>`instr(${haystack}, ${needle}) > 0`,
  // 7 columns × 500 rows stays far below SQLite's 32,766 bound parameters.
  batchRows: 500,
};

const STATEMENT_CACHE_SIZE = 500;

/** better-sqlite3 with a bounded cache of prepared statements, keyed by SQL text. */
function withStatementCache(db: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => db.close(),
    prepare(text) {
      let stmt = cache.get(text);
      if (stmt === undefined) {
        stmt = db.prepare(text);
        if (cache.size >= STATEMENT_CACHE_SIZE) {
          const oldest = cache.keys().next();
          if (oldest.done !== true) cache.delete(oldest.value);
        }
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

function connect(path: string, role: 'writer' | 'reader'): Kysely<Database> {
  const db = new SQLite(path);
  // WAL lets readers run beside the writer; NORMAL is durable across process crashes in WAL
  // mode (only an OS crash can lose the last commits, never corrupt the file).
  if (role === 'writer') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  if (role === 'reader') db.pragma('query_only = ON');
  // The flow table and its indexes grow to gigabytes: SQLite's default 2 MB page cache made
  // every insert and every wide query re-read index pages. 64 MB per connection; the reader
  // also maps the file, so queries read pages without copying them.
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  if (role === 'reader') db.pragma('mmap_size = 1073741824');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(db) }) });
}

/** Opens (creating if needed) the database at `path` (`:memory:` for a private in-memory one). */
export async function openSqliteStore(path: string): Promise<Store> {
  const memory = path === ':memory:';
  if (!memory) mkdirSync(dirname(path), { recursive: true });
  const writer = connect(path, 'writer');
  try {
    await migrateToLatest(writer, 'sqlite');
    // Planner statistics for tables that have none yet or grew a lot (SQLite's advice for
    // long-lived connections); queries are written to plan well without them too.
    await sql`pragma optimize = 0x10002`.execute(writer);
  } catch (e) {
    await writer.destroy();
    throw e;
  }
  // An in-memory database exists only on its one connection.
  const reader = memory ? writer : connect(path, 'reader');
  return createKyselyStore({
    hooks: sqliteHooks,
    writer,
    reader,
    async close() {
      if (reader !== writer) await reader.destroy();
      await sql`pragma optimize`.execute(writer).catch(() => undefined);
      await writer.destroy();
    },
  });
}

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
import type { FlowBatchRow, NewFlowRow, Store } from '../store.ts';
import { CONNECTION_PRAGMAS } from './connection-pragmas.ts';
import { SqliteFlowWriter } from './flow-writer.ts';
import { WalCheckpointer } from './wal-checkpointer.ts';

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

/** A query text starting with this answers rows as arrays (`DialectHooks.arrayRowsMark`). */
const ARRAY_ROWS_MARK = '/* rows as arrays */ ';

/** A connection's prepared statement for an SQL text, from a bounded cache. */
type Statements = (text: string) => SQLite.Statement;

/** better-sqlite3 with a bounded cache of prepared statements, keyed by SQL text. */
function withStatementCache(db: SQLite.Database): { database: SqliteDatabase; statement: Statements } {
  const cache = new Map<string, SQLite.Statement>();
  const statement = (text: string): SQLite.Statement => {
    let stmt = cache.get(text);
    if (stmt === undefined) {
      stmt = db.prepare(text);
      if (text.startsWith(ARRAY_ROWS_MARK) && stmt.reader) stmt.raw(true);
      if (cache.size >= STATEMENT_CACHE_SIZE) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
      cache.set(text, stmt);
    }
    return stmt;
  };
  return { database: { close: () => db.close(), prepare: statement }, statement };
}

function connect(path: string, role: 'writer' | 'reader'): { kysely: Kysely<Database>; statement: Statements } {
  const db = new SQLite(path);
  // WAL lets readers run beside the writer.
  if (role === 'writer') db.pragma('journal_mode = WAL');
  for (const p of CONNECTION_PRAGMAS) db.pragma(p);
  if (role === 'reader') db.pragma('query_only = ON');
  // The reader also maps the file, so queries read pages without copying them.
  if (role === 'reader') db.pragma('mmap_size = 1073741824');
  const { database, statement } = withStatementCache(db);
  return { kysely: new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), statement };
}

/** Opens (creating if needed) the database at `path` (`:memory:` for a private in-memory one). */
export async function openSqliteStore(path: string): Promise<Store> {
  const memory = path === ':memory:';
  if (!memory) mkdirSync(dirname(path), { recursive: true });
  const { kysely: writer, statement } = connect(path, 'writer');
  try {
    await migrateToLatest(writer, 'sqlite');
    // A file's WAL is checkpointed on a thread of its own (wal-checkpointer.ts), off the event loop.
    if (!memory) await sql`pragma wal_autocheckpoint = 0`.execute(writer);
    // Planner statistics for tables that have none yet or grew a lot (SQLite's advice for
    // long-lived connections); queries are written to plan well without them too.
    await sql`pragma optimize = 0x10002`.execute(writer);
  } catch (e) {
    await writer.destroy();
    throw e;
  }
  // An in-memory database exists only on its one connection.
  const reader = memory ? writer : connect(path, 'reader').kysely;
  const runEach = (text: string, rows: readonly (readonly unknown[])[]): void => {
    const stmt = statement(text);
    for (const r of rows) stmt.run(r);
  };
  // Flow batches are written on a thread of their own (a file only: a second connection).
  const flowWriter = memory ? undefined : new SqliteFlowWriter(path);
  // Should the checkpoint thread fail, the flow writer (most of the writes) checkpoints again.
  const checkpointer = memory ? undefined : new WalCheckpointer(path, { onFailure: () => flowWriter?.checkpointItself() });
  return createKyselyStore({
    hooks: { ...sqliteHooks, runEach, arrayRowsMark: ARRAY_ROWS_MARK },
    writer,
    reader,
    ...(flowWriter ? { addFlowBatch: (batch: FlowBatchRow, rows: readonly NewFlowRow[]) => flowWriter.add(batch, rows) } : {}),
    async close() {
      await flowWriter?.close();
      await checkpointer?.close();
      if (reader !== writer) await reader.destroy();
      await sql`pragma optimize`.execute(writer).catch(() => undefined);
      await writer.destroy();
    },
  });
}

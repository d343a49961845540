/**
 * The few statements that differ between SQLite and PostgreSQL. Everything else in the
 * store is one dialect-agnostic Kysely implementation (`kysely-store.ts`); each dialect
 * folder supplies one of these.
 */
import type { Expression, Kysely, SqlBool } from 'kysely';
import type { Database } from './schema.ts';

export interface DialectHooks {
  readonly dialect: 'sqlite' | 'postgres';
  /** Opens a write transaction (SQLite: take the write lock up front, so no upgrade deadlock). */
  readonly beginWrite: string;
  /** Opens a read transaction with one snapshot for all its statements. */
  readonly beginRead: string;
  /** Serializes policy writes of one org until the transaction ends. */
  lockOrg(db: Kysely<Database>, org: number): Promise<void>;
  /** Case-sensitive substring test, with no wildcard characters to escape. */
  contains(haystack: Expression<string | null>, needle: string): Expression<SqlBool>;
  /** Rows per multi-row INSERT, under the dialect's limit of bound parameters. */
  readonly batchRows: number;
  /**
   * SQLite only: runs one statement once per row of values, synchronously, on the writer
   * connection (so inside the write transaction in progress). better-sqlite3 runs a prepared
   * statement per row several times faster than a row goes through Kysely's async driver;
   * flow ingest adds tens of thousands of rows a second through it.
   */
  readonly runEach?: (text: string, rows: readonly (readonly unknown[])[]) => void;
  /**
   * SQLite only: a query whose text starts with this answers its rows as arrays in select
   * order (better-sqlite3's raw mode), not objects. A traffic query reads up to 100,000
   * grouped rows; building an object per row was an eighth of its time.
   */
  readonly arrayRowsMark?: string;
}

/**
 * The Store on PostgreSQL (pg Pool), for PCEs that share one database or need more than
 * one host's disk. Several PCE processes may start at once: migrations take an advisory
 * lock (migrations/migrator.ts).
 */
import { Kysely, PostgresDialect, sql, type PostgresPool, type PostgresPoolClient, type SqlBool } from 'kysely';
import pg from 'pg';
import { unavailable } from '@palisade/core/errors.ts';
import type { DialectHooks } from '../dialect-hooks.ts';
import { createKyselyStore } from '../kysely-store.ts';
import { migrateToLatest } from '../migrations/migrator.ts';
import type { Database } from '../schema.ts';
import type { Store } from '../store.ts';

export interface PostgresStoreOptions {
  /** Connections in the pool (default 16). */
  readonly poolSize?: number;
  /** Shown in pg_stat_activity (default `palisade-pce`). */
  readonly applicationName?: string;
}

export const postgresHooks: DialectHooks = {
  dialect: 'postgres',
  beginWrite: 'begin',
  // One snapshot for every statement of a read (a page and its total agree); a read-only
  // repeatable-read transaction never fails with a serialization error.
  beginRead: 'begin isolation level repeatable read read only',
  async lockOrg(db, org) {
    await db.selectFrom('orgs').select('id').where('id', '=', org).forUpdate().execute();
  },
  contains: (haystack, needle) => sql<SqlBool>`strpos(${haystack}, ${needle}) > 0`,
  // 7 columns × 1,000 rows stays far below PostgreSQL's 65,535 bound parameters.
  batchRows: 1000,
};

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

/** Statements with more bound values are one-offs (multi-row inserts): not worth a server-side plan. */
const MAX_PREPARED_PARAMS = 64;
/** Distinct texts get names up to this many (IN lists of varying length make new texts). */
const MAX_PREPARED_TEXTS = 2000;
const statementNames = new Map<string, string>();

function statementName(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < MAX_PREPARED_TEXTS) {
    name = `palisade_${statementNames.size}`;
    statementNames.set(text, name);
  }
  return name;
}

/**
 * The pool as Kysely sees it, with every parameterized statement sent as a named prepared
 * statement: each connection parses and plans it once, which cuts the cost of the
 * one-row statements a request runs many of (the SQL texts are a small fixed set).
 */
function preparingPool(pool: pg.Pool): PostgresPool {
  const wrapped = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let w = wrapped.get(client);
      if (w === undefined) {
        const query = (text: unknown, values: readonly unknown[] = []): unknown => {
          // A cursor (Kysely's `cursor` option, unused here) passes through untouched.
          if (typeof text !== 'string') return client.query(text as pg.Submittable);
          const name = values.length > 0 && values.length <= MAX_PREPARED_PARAMS ? statementName(text) : undefined;
          const config = name === undefined ? { text, values: [...values] } : { name, text, values: [...values] };
          return client.query(config);
        };
        // pg's result type is wider than Kysely's (command: string); the values are the same.
        w = { query: query as PostgresPoolClient['query'], release: () => client.release() };
        wrapped.set(client, w);
      }
      return w;
    },
    end: () => pool.end(),
  };
}

export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 16, application_name: opts.applicationName ?? 'palisade-pce' });
  // An idle client that loses its connection (server restart) is dropped by the pool; without
  // a listener the 'error' event would end the process. The next query reconnects.
  pool.on('error', () => undefined);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
  try {
    await migrateToLatest(db, 'postgres');
  } catch (e) {
    await db.destroy();
    const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
    if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', '3D000', '28P01', '28000'].includes(code)) {
      const message = e instanceof Error ? e.message : String(e);
      throw unavailable('db_unavailable', `cannot open PostgreSQL database ${redactUrl(url)}: ${message}; check that the server runs and the URL (user, password, database) is right`);
    }
    throw e;
  }
  return createKyselyStore({ hooks: postgresHooks, writer: db, reader: db, close: () => db.destroy() });
}

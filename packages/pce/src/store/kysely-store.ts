/**
 * The one implementation of the Store port, over Kysely, for both dialects. The queries live
 * in one file per concern (`kysely-*-queries.ts`); this file runs transactions and assembles
 * a `StoreTx` from them. Dialect differences come only from `DialectHooks`.
 *
 * Transactions are explicit `BEGIN … COMMIT` on one connection (rather than Kysely's
 * `transaction()`) so that each dialect can say how to begin: SQLite takes the write lock
 * up front, PostgreSQL reads from one snapshot.
 */
import { sql, type Kysely } from 'kysely';
import type { DialectHooks } from './dialect-hooks.ts';
import { FlowBatchGroups } from './flow-batch-groups.ts';
import { eventQueries } from './kysely-event-queries.ts';
import { flowQueries } from './kysely-flow-queries.ts';
import { labelQueries } from './kysely-label-queries.ts';
import { orgQueries } from './kysely-org-queries.ts';
import { policyQueries } from './kysely-policy-queries.ts';
import { sessionQueries } from './kysely-session-queries.ts';
import { workloadQueries } from './kysely-workload-queries.ts';
import type { Database } from './schema.ts';
import type { Store, StoreTx } from './store.ts';

export interface KyselyStoreOptions {
  readonly hooks: DialectHooks;
  /** Where write transactions run. */
  readonly writer: Kysely<Database>;
  /** Where read transactions run; the writer when the dialect has no separate readers. */
  readonly reader: Kysely<Database>;
  /**
   * Records a flow batch and adds its flows elsewhere than in a writer transaction (SQLite: on
   * a thread of its own). Without it, batches are group-committed in writer transactions.
   */
  readonly addFlowBatch?: Store['addFlowBatch'];
  /** Releases connections (after both Kysely instances are destroyed). */
  readonly close: () => Promise<void>;
}

export function makeStoreTx(db: Kysely<Database>, hooks: DialectHooks): StoreTx {
  return {
    ...orgQueries(db, hooks),
    ...labelQueries(db, hooks),
    ...workloadQueries(db, hooks),
    ...policyQueries(db, hooks),
    ...eventQueries(db),
    ...flowQueries(db, hooks),
    ...sessionQueries(db),
  };
}

async function inTransaction<T>(db: Kysely<Database>, hooks: DialectHooks, begin: string, fn: (tx: StoreTx) => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql.raw(begin).execute(conn);
    let result: T;
    try {
      result = await fn(makeStoreTx(conn, hooks));
      await sql.raw('commit').execute(conn);
    } catch (e) {
      // After a failed COMMIT SQLite keeps the transaction open; PostgreSQL has ended it and
      // only warns. Either way the original error is the one worth reporting.
      await sql
        .raw('rollback')
        .execute(conn)
        .catch(() => undefined);
      throw e;
    }
    return result;
  });
}

export function createKyselyStore(opts: KyselyStoreOptions): Store {
  const { hooks, writer, reader } = opts;
  let closed = false;
  const check = (): void => {
    if (closed) throw new Error('the store is closed');
  };
  const flowGroups = new FlowBatchGroups((group) =>
    inTransaction(writer, hooks, hooks.beginWrite, async (tx) => {
      const fresh: boolean[] = [];
      for (const g of group) fresh.push(await tx.recordFlowBatch(g.batch));
      const rows = group.flatMap((g, i) => (fresh[i] ? g.rows : []));
      if (rows.length > 0) await tx.addFlows(rows);
      return fresh;
    }),
  );
  return {
    dialect: hooks.dialect,
    async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
      check();
      return inTransaction(writer, hooks, hooks.beginWrite, fn);
    },
    async read<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
      check();
      return inTransaction(reader, hooks, hooks.beginRead, fn);
    },
    async addFlowBatch(batch, rows) {
      check();
      if (opts.addFlowBatch) return opts.addFlowBatch(batch, rows);
      return flowGroups.add(batch, rows);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await flowGroups.drained();
      await opts.close();
    },
  };
}

/**
 * Flow batches on SQLite, written on a thread of their own (`flow-writer-worker.mjs`, with its
 * own connection to the database file). better-sqlite3 is synchronous: on the main thread,
 * ingest's decisions and the B-tree work of the upserts took turns on one core. With the
 * writes here, the main thread decides the next batches (from other VENs) while one is
 * written, and the PCE uses both cores.
 *
 * Each batch is one `BEGIN IMMEDIATE` transaction, taking SQLite's write lock like the main
 * writer does: the two wait for each other (busy timeout), never interleave. The reports are
 * merged per summary key here, then sent as one Float64Array (transferred, not copied).
 *
 * The thread never checkpoints the WAL: `wal-checkpointer.ts` does, on a thread of its own,
 * unless that fails (`checkpointItself`).
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { FLOW_SUMMARY_WIDTH, mergedSummaries, SQLITE_RECORD_BATCH, SQLITE_UPSERT_ONE } from '../kysely-flow-queries.ts';
import type { FlowBatchRow, NewFlowRow } from '../store.ts';
import { CONNECTION_PRAGMAS } from './connection-pragmas.ts';

interface Reply {
  readonly id: number;
  readonly fresh?: boolean;
  readonly error?: string;
}

export class SqliteFlowWriter {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (fresh: boolean) => void; reject: (e: Error) => void }>();
  #next = 0;
  #failed: Error | undefined;

  constructor(path: string) {
    const width = FLOW_SUMMARY_WIDTH;
    this.#worker = new Worker(new URL('./flow-writer-worker.mjs', import.meta.url), {
      workerData: { path, pragmas: CONNECTION_PRAGMAS, recordBatch: SQLITE_RECORD_BATCH, upsert: SQLITE_UPSERT_ONE, width },
      // Plain JavaScript: no TypeScript loader in the thread.
      execArgv: [],
    });
    // The thread keeps the process alive only while a batch is being written.
    this.#worker.unref();
    this.#worker.on('message', (m: Reply) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (this.#pending.size === 0) this.#worker.unref();
      if (m.error !== undefined) p.reject(new Error(`writing flows failed: ${m.error}`));
      else p.resolve(m.fresh === true);
    });
    const fail = (e: Error): void => {
      this.#failed = e;
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    };
    this.#worker.on('error', (e) => fail(new Error(`the flow writer thread failed: ${e.message}`)));
    this.#worker.on('exit', () => fail(this.#failed ?? new Error('the flow writer thread has ended')));
  }

  /** Records the batch and adds its flows; false (nothing added) for a batch id recorded before. */
  add(batch: FlowBatchRow, rows: readonly NewFlowRow[]): Promise<boolean> {
    if (this.#failed) return Promise.reject(this.#failed);
    const merged = mergedSummaries(rows, false);
    const width = FLOW_SUMMARY_WIDTH;
    const values = new Float64Array(merged.length * width);
    merged.forEach((row, i) => {
      for (let c = 0; c < width; c++) values[i * width + c] = row[c] ?? NaN;
    });
    const id = this.#next++;
    return new Promise<boolean>((resolve, reject) => {
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ id, batch: [batch.org_id, batch.batch_id, batch.reporter_workload, batch.received_at, batch.flows, batch.dropped], values }, [values.buffer]);
    });
  }

  /** The WAL checkpoint thread failed: this thread checkpoints after its batches, as SQLite does by default. */
  checkpointItself(): void {
    if (!this.#failed) this.#worker.postMessage({ checkpointSelf: true });
  }

  /** Ends the thread after the batches sent before. */
  async close(): Promise<void> {
    if (this.#failed) return;
    const exited = once(this.#worker, 'exit');
    // Alive until the thread has ended (an unreferenced thread would let the process end first).
    this.#worker.ref();
    this.#worker.postMessage({ close: true });
    await exited;
  }
}

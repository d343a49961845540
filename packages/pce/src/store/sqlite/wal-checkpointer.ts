/**
 * The WAL checkpoints of a SQLite store file, on a thread of their own
 * (`wal-checkpoint-worker.mjs`): every connection of the store has automatic checkpoints
 * off, so a checkpoint's copying and fsync run neither on the event loop nor in the way of
 * the flow writer's thread (which spent about a fifth of a batch's time in them on this
 * machine's disk). `onFailure` is called if the thread fails, so the store can checkpoint
 * some other way.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { CONNECTION_PRAGMAS } from './connection-pragmas.ts';

/** How often the thread checkpoints the WAL (PASSIVE: beside the writers). */
const CHECKPOINT_EVERY_MS = 500;

/** A WAL longer than this (frames of 4 KiB pages: 128 MiB) is checkpointed and emptied (TRUNCATE). */
export const WAL_TRUNCATE_PAGES = 32_768;

export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #ended: Promise<unknown>;

  constructor(path: string, opts: { readonly onFailure: (e: Error) => void; readonly truncatePages?: number }) {
    // Plain JavaScript thread (execArgv: no TypeScript loader in it).
    this.#worker = new Worker(new URL('./wal-checkpoint-worker.mjs', import.meta.url), {
      workerData: { path, pragmas: CONNECTION_PRAGMAS, everyMs: CHECKPOINT_EVERY_MS, truncatePages: opts.truncatePages ?? WAL_TRUNCATE_PAGES },
      execArgv: [],
    });
    // It never keeps the process alive on its own.
    this.#worker.unref();
    this.#ended = once(this.#worker, 'exit').catch(() => undefined);
    this.#worker.on('error', opts.onFailure);
  }

  /** Ends the thread (after the checkpoint it may be running). */
  async close(): Promise<void> {
    this.#worker.ref();
    this.#worker.postMessage({ close: true });
    await this.#ended;
  }
}

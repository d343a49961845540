/**
 * Group commit for flow batches (PostgreSQL): batches that arrive while the group writers
 * (two) are busy wait, and the next free writer writes all that wait in one transaction,
 * their reports merged per summary key before the upsert. Each caller still learns when its
 * own batch is durable and whether it was new.
 *
 * Batches of different VENs came in as concurrent transactions that upserted the same
 * summaries: each waited on the others' row locks, and a summary reported in four batches
 * was updated four times (on PostgreSQL every update writes a new row version and new
 * entries in both covering indexes). Written together, it is updated once.
 *
 * A group that fails is written again one batch at a time, so a bad batch fails alone. Rows
 * are upserted in key order (`mergedSummaries`), so concurrent groups never deadlock.
 */
import type { FlowBatchRow, NewFlowRow } from './store.ts';

export interface FlowBatchEntry {
  readonly batch: FlowBatchRow;
  readonly rows: readonly NewFlowRow[];
}

/** Writes the batches in one transaction; answers, per batch, whether it was new. */
export type GroupWrite = (group: readonly FlowBatchEntry[]) => Promise<readonly boolean[]>;

interface Waiting extends FlowBatchEntry {
  readonly resolve: (fresh: boolean) => void;
  readonly reject: (e: unknown) => void;
}

/** Reports one group takes at most (more wait for the next). */
export const GROUP_MAX_ROWS = 25_000;

/**
 * Group transactions at once. Measured with four batches in flight (flows bench), flows/s
 * with every tuple new / with 20,000 recurring tuples: a transaction per batch (before)
 * 37k / 31k; one group writer 29k / 36k (PostgreSQL had a core to itself while ingest waited
 * for it, then ingest worked while PostgreSQL waited); two 33–37k / 32–37k.
 */
export const GROUP_WRITERS = 2;

export class FlowBatchGroups {
  readonly #write: GroupWrite;
  readonly #maxRows: number;
  readonly #writers: number;
  readonly #queue: Waiting[] = [];
  /** Writers at work; counted down in the same turn as a writer finds the queue empty. */
  #active = 0;
  readonly #running = new Set<Promise<void>>();

  /** `writers`: transactions at once, each taking what waits when it starts. */
  constructor(write: GroupWrite, opts: { readonly maxRows?: number; readonly writers?: number } = {}) {
    this.#write = write;
    this.#maxRows = opts.maxRows ?? GROUP_MAX_ROWS;
    this.#writers = opts.writers ?? GROUP_WRITERS;
  }

  add(batch: FlowBatchRow, rows: readonly NewFlowRow[]): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#queue.push({ batch, rows, resolve, reject });
      if (this.#active < this.#writers) {
        this.#active++;
        const writer: Promise<void> = this.#drain().finally(() => this.#running.delete(writer));
        this.#running.add(writer);
      }
    });
  }

  /** Settles once every batch added so far is written (or failed). */
  async drained(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  async #drain(): Promise<void> {
    try {
      // A turn first: batches added in the same turn as this one join its first group.
      await Promise.resolve();
      while (this.#queue.length > 0) await this.#writeGroup(this.#takeGroup());
    } finally {
      // No await between the empty queue and this: a batch added after it starts a writer.
      this.#active--;
    }
  }

  /** The oldest batches, up to the row bound (always at least one). */
  #takeGroup(): Waiting[] {
    let rows = 0;
    let n = 0;
    while (n < this.#queue.length && (n === 0 || rows + (this.#queue[n]?.rows.length ?? 0) <= this.#maxRows)) rows += this.#queue[n++]?.rows.length ?? 0;
    return this.#queue.splice(0, n);
  }

  async #writeGroup(group: readonly Waiting[]): Promise<void> {
    let fresh: readonly boolean[];
    try {
      fresh = await this.#write(group);
    } catch (e) {
      if (group.length === 1) {
        group[0]?.reject(e);
        return;
      }
      for (const w of group) await this.#writeGroup([w]);
      return;
    }
    group.forEach((w, i) => w.resolve(fresh[i] === true));
  }
}

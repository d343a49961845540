/**
 * Group commit of VEN state (deliveries, acks, heartbeats): updates that arrive together are
 * written in one transaction, and each caller still waits until its update is durable. One
 * transaction is in flight at a time; what arrives meanwhile waits for it and goes in the
 * next, so a burst (a provision reaching 1,000 agents, then their 1,000 acks) costs a few
 * transactions, not 2,000, and never a queue of small ones on the one writer connection.
 *
 * An update may carry a `check` of the record it is about to change (an ack's agent
 * credentials): run in the same transaction, against the committed record, so the hot path of
 * an ack needs no read of its own; a check that throws fails that update only.
 *
 * A `lazy` update (recording that a delivery went out) is not worth a transaction of its own:
 * it rides along with the next update of the same VEN (its ack, within a second) or is
 * written after LAZY_MS. Written at once, the 1,000 delivery records of a provision held the
 * one writer while the first acks queued behind them; riding with whatever flush came next,
 * they made that flush write every VEN (a quarter of a second on SQLite, the event loop
 * blocked) while the acks it carried waited. Until written, `withPending` shows it on a
 * record read from the store, so this process's API answers see it at once.
 *
 * The records of a batch are read one by one, or — when the batch holds a good part of an
 * org's VENs (a provision's deliveries, their acks) — with one read of all the org's VEN
 * records: one query instead of hundreds.
 */
import type { PceEnv } from '../env.ts';
import type { Store, StoreTx } from '../store/store.ts';
import { getVen, putVen, type VenRecord } from './ven-record.ts';

/** The longest a lazy update waits for a flush to ride along with. */
const LAZY_MS = 1_000;

/** A batch touching at least this many VENs of an org whose VEN count is not known yet reads them all at once. */
const BULK_READ_MIN = 64;

interface Pending {
  readonly org: number;
  readonly venId: string;
  readonly update: (v: VenRecord) => VenRecord;
  readonly check: ((v: VenRecord | undefined) => void) | undefined;
  readonly done: (v: VenRecord | undefined) => void;
  readonly fail: (err: unknown) => void;
}

type Outcome = { readonly ok: true; readonly v: VenRecord | undefined } | { readonly ok: false; readonly err: unknown };

export class VenStateWriter {
  readonly #store: Store;
  readonly #env: PceEnv;
  #pending: Pending[] = [];
  /**
   * Lazy updates not yet in a transaction, per `org/venId` in arrival order (what a flush
   * takes, and what `withPending` shows); and those of the transaction in flight.
   */
  #lazyByVen = new Map<string, Pending[]>();
  #lazyInFlight = new Map<string, Pending[]>();
  #lazyTimer: NodeJS.Timeout | undefined;
  /** Every lazy update goes in the next flush (LAZY_MS passed, or `drain`). */
  #lazyDue = false;
  #scheduled = false;
  /** The transaction in flight, if any (one at a time). */
  #flushing: Promise<void> | undefined;
  /** VEN records per org, as of the last read of all of them: whether reading all is worth it. */
  readonly #orgSize = new Map<number, number>();

  constructor(store: Store, env: PceEnv) {
    this.#store = store;
    this.#env = env;
  }

  /**
   * Apply `update` to the VEN's record; resolves with the new record once committed
   * (undefined when there is no such VEN). `check` sees the record first (undefined when
   * missing) and may throw to refuse the update: the promise rejects with its error.
   */
  update(org: number, venId: string, update: (v: VenRecord) => VenRecord, check?: (v: VenRecord | undefined) => void): Promise<VenRecord | undefined> {
    return new Promise((done, fail) => {
      this.#pending.push({ org, venId, update, check, done, fail });
      this.#schedule();
    });
  }

  /** Like `update`, but written with the next flush or within LAZY_MS, whichever comes first. */
  lazyUpdate(org: number, venId: string, update: (v: VenRecord) => VenRecord): Promise<VenRecord | undefined> {
    return new Promise((done, fail) => {
      const p: Pending = { org, venId, update, check: undefined, done, fail };
      const k = `${org}/${venId}`;
      (this.#lazyByVen.get(k) ?? this.#lazyByVen.set(k, []).get(k))?.push(p);
      this.#lazyTimer ??= setTimeout(() => {
        this.#lazyTimer = undefined;
        this.#lazyDue = true;
        this.#schedule();
      }, LAZY_MS);
      this.#lazyTimer.unref();
    });
  }

  /** A record read from the store with this process's lazy updates not yet written applied. */
  withPending(org: number, v: VenRecord): VenRecord {
    let out = v;
    const k = `${org}/${v.id}`;
    for (const p of [...(this.#lazyInFlight.get(k) ?? []), ...(this.#lazyByVen.get(k) ?? [])]) out = p.update(out);
    return out;
  }

  /** Write what is waiting (lazy updates included) and wait until it is committed: before the store closes. */
  async drain(): Promise<void> {
    while (this.#lazyByVen.size > 0 || this.#pending.length > 0 || this.#flushing) {
      if (!this.#flushing) this.#lazyDue = true;
      await (this.#flushing ?? this.#flush());
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    setImmediate(() => void (this.#flushing ?? this.#flush()));
  }

  #flush(): Promise<void> {
    const p = this.#write().finally(() => {
      this.#flushing = undefined;
      // Lazy updates whose timer fired while this transaction ran go now too.
      if (this.#pending.length > 0 || (this.#lazyDue && this.#lazyByVen.size > 0)) this.#schedule();
    });
    this.#flushing = p;
    return p;
  }

  /** The lazy updates that go in this flush: all when due, else those of the VENs `pending` updates. */
  #takeLazy(pending: readonly Pending[]): Pending[] {
    if (this.#lazyDue) {
      this.#lazyInFlight = this.#lazyByVen;
      this.#lazyByVen = new Map();
      this.#lazyDue = false;
    } else {
      this.#lazyInFlight = new Map();
      for (const p of pending) {
        const k = `${p.org}/${p.venId}`;
        const waiting = this.#lazyByVen.get(k);
        if (waiting === undefined) continue;
        this.#lazyInFlight.set(k, waiting);
        this.#lazyByVen.delete(k);
      }
    }
    if (this.#lazyByVen.size === 0) {
      clearTimeout(this.#lazyTimer);
      this.#lazyTimer = undefined;
    }
    // A VEN's updates stay in arrival order; between VENs order does not matter.
    return [...this.#lazyInFlight.values()].flat();
  }

  async #write(): Promise<void> {
    const pending = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    // Lazy updates first: they happened before whatever arrived since (an ack follows its delivery).
    const batch = [...this.#takeLazy(pending), ...pending];
    if (batch.length === 0) return;
    try {
      const outcomes = await this.#store.transaction(async (tx) => {
        const now = this.#env.now().toISOString();
        const current = await this.#read(tx, batch);
        const changed = new Set<string>();
        const out: Outcome[] = [];
        for (const p of batch) {
          const k = `${p.org}/${p.venId}`;
          const v = current.get(k);
          try {
            p.check?.(v);
          } catch (err) {
            out.push({ ok: false, err });
            continue;
          }
          const next = v ? p.update(v) : undefined;
          current.set(k, next);
          if (next) changed.add(k);
          out.push({ ok: true, v: next });
        }
        for (const k of changed) {
          const v = current.get(k);
          if (v) await putVen(tx, Number(k.split('/')[0]), v, now);
        }
        return out;
      });
      batch.forEach((p, i) => {
        const o = outcomes[i];
        if (o?.ok) p.done(o.v);
        else p.fail(o?.err);
      });
    } catch (err) {
      for (const p of batch) p.fail(err);
    } finally {
      this.#lazyInFlight = new Map();
    }
  }

  /** The current record of every VEN the batch updates (undefined: no such VEN). */
  async #read(tx: StoreTx, batch: readonly Pending[]): Promise<Map<string, VenRecord | undefined>> {
    const byOrg = new Map<number, Set<string>>();
    for (const p of batch) (byOrg.get(p.org) ?? byOrg.set(p.org, new Set()).get(p.org))?.add(p.venId);
    const out = new Map<string, VenRecord | undefined>();
    for (const [org, ids] of byOrg) {
      const size = this.#orgSize.get(org);
      if (size === undefined ? ids.size >= BULK_READ_MIN : ids.size * 4 >= size) {
        const rows = await tx.listDocs(org, 'vens');
        this.#orgSize.set(org, rows.length);
        for (const r of rows) if (ids.has(r.id)) out.set(`${org}/${r.id}`, JSON.parse(r.data) as VenRecord);
        for (const id of ids) if (!out.has(`${org}/${id}`)) out.set(`${org}/${id}`, undefined);
      } else {
        for (const id of ids) out.set(`${org}/${id}`, await getVen(tx, org, id));
      }
    }
    return out;
  }
}

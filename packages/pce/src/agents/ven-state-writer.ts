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
 * The records of a batch are read one by one, or — when the batch holds a good part of an
 * org's VENs (a provision's deliveries, their acks) — with one read of all the org's VEN
 * records: one query instead of hundreds.
 */
import type { PceEnv } from '../env.ts';
import type { Store, StoreTx } from '../store/store.ts';
import { getVen, putVen, type VenRecord } from './ven-record.ts';

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
  #scheduled = false;
  #flushing = false;
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

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return;
    this.#scheduled = true;
    setImmediate(() => void this.#flush());
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    this.#flushing = true;
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
      this.#flushing = false;
      if (this.#pending.length > 0) this.#schedule();
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

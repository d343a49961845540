/**
 * Group commit of VEN state (deliveries, acks, heartbeats): updates that arrive together are
 * written in one transaction, and each caller still waits until its update is durable. A
 * provision that reaches 1,000 agents costs a few transactions, not 2,000.
 */
import type { PceEnv } from '../env.ts';
import type { Store } from '../store/store.ts';
import { getVen, putVen, type VenRecord } from './ven-record.ts';

interface Pending {
  readonly org: number;
  readonly venId: string;
  readonly update: (v: VenRecord) => VenRecord;
  readonly done: (v: VenRecord | undefined) => void;
  readonly fail: (err: unknown) => void;
}

export class VenStateWriter {
  readonly #store: Store;
  readonly #env: PceEnv;
  #pending: Pending[] = [];
  #scheduled = false;

  constructor(store: Store, env: PceEnv) {
    this.#store = store;
    this.#env = env;
  }

  /** Apply `update` to the VEN's record; resolves with the new record once committed. */
  update(org: number, venId: string, update: (v: VenRecord) => VenRecord): Promise<VenRecord | undefined> {
    return new Promise((done, fail) => {
      this.#pending.push({ org, venId, update, done, fail });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#pending;
    this.#pending = [];
    this.#scheduled = false;
    try {
      const results = await this.#store.transaction(async (tx) => {
        const now = this.#env.now().toISOString();
        const current = new Map<string, VenRecord | undefined>();
        const out: (VenRecord | undefined)[] = [];
        for (const p of batch) {
          const k = `${p.org}/${p.venId}`;
          const v = current.has(k) ? current.get(k) : await getVen(tx, p.org, p.venId);
          const next = v ? p.update(v) : undefined;
          current.set(k, next);
          out.push(next);
        }
        for (const [k, v] of current) if (v) await putVen(tx, Number(k.split('/')[0]), v, now);
        return out;
      });
      batch.forEach((p, i) => p.done(results[i]));
    } catch (err) {
      for (const p of batch) p.fail(err);
    }
  }
}

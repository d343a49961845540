/**
 * Retention: flows last seen more than N days ago are deleted, every org, on an interval, and
 * then the flow endpoints (IPs and workloads) no flow kept can name: those last used by ingest
 * before the first day kept.
 */
import type { Pce } from '../pce.ts';
import { DAY_MS } from '../store/migrations/005-flow-summaries.ts';
import type { StoreTx } from '../store/store.ts';

/** Summaries deleted per transaction: a day past retention can hold hundreds of thousands. */
const PURGE_CHUNK = 10_000;

/** One purge; answers the flow summaries and endpoints deleted. */
export async function purgeOldFlows(pce: Pce, retentionDays: number, chunk = PURGE_CHUNK): Promise<{ summaries: number; endpoints: number }> {
  const cutoff = pce.env.now().getTime() - retentionDays * DAY_MS;
  // A summary kept may be last seen on the cutoff's day, and ingest marked its endpoints
  // used on the day it stored it (that day or later): endpoints last used before it go.
  const firstDayKept = Math.floor(cutoff / DAY_MS);
  const orgs = await pce.store.read((tx) => tx.listOrgs());
  const deleted = { summaries: 0, endpoints: 0 };
  // Short transactions, one chunk of one org each: a long purge never holds the write lock
  // (on SQLite, the event loop) for long, and the API and ingest go on between chunks.
  const inChunks = async (what: 'summaries' | 'endpoints', del: (org: number) => (tx: StoreTx) => Promise<number>): Promise<void> => {
    for (const o of orgs) {
      for (;;) {
        const n = await pce.store.transaction(del(o.id));
        deleted[what] += n;
        if (n < chunk) break;
      }
    }
  };
  await inChunks('summaries', (org) => (tx) => tx.deleteFlowsBefore(org, cutoff, chunk));
  await inChunks('endpoints', (org) => (tx) => tx.deleteFlowEndpointsBefore(org, firstDayKept, chunk));
  return deleted;
}

/** Purges now and then every `intervalMs`; answers a stop function. */
export function scheduleFlowRetention(pce: Pce, retentionDays: number, intervalMs: number): () => void {
  let running: Promise<unknown> = Promise.resolve();
  const run = (): void => {
    running = purgeOldFlows(pce, retentionDays)
      .then((n) => (n.summaries + n.endpoints > 0 ? pce.env.log.info({ deleted: n, retentionDays }, 'old flows purged') : undefined))
      .catch((err: unknown) => pce.env.log.warn({ err }, 'purging old flows failed; retrying at the next interval'));
  };
  const first = setTimeout(run, 1_000);
  const timer = setInterval(run, intervalMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
    void running;
  };
}

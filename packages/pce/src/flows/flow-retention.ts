/** Retention: flows last seen more than N days ago are deleted, every org, on an interval. */
import type { Pce } from '../pce.ts';

const DAY_MS = 86_400_000;
/** Summaries deleted per transaction: a day past retention can hold hundreds of thousands. */
const PURGE_CHUNK = 10_000;

/** One purge; answers the flow summaries deleted. */
export async function purgeOldFlows(pce: Pce, retentionDays: number, chunk = PURGE_CHUNK): Promise<number> {
  const cutoff = pce.env.now().getTime() - retentionDays * DAY_MS;
  const orgs = await pce.store.read((tx) => tx.listOrgs());
  let deleted = 0;
  // Short transactions, one chunk of one org each: a long purge never holds the write lock
  // (on SQLite, the event loop) for long, and the API and ingest go on between chunks.
  for (const o of orgs) {
    for (;;) {
      const n = await pce.store.transaction((tx) => tx.deleteFlowsBefore(o.id, cutoff, chunk));
      deleted += n;
      if (n < chunk) break;
    }
  }
  return deleted;
}

/** Purges now and then every `intervalMs`; answers a stop function. */
export function scheduleFlowRetention(pce: Pce, retentionDays: number, intervalMs: number): () => void {
  let running: Promise<unknown> = Promise.resolve();
  const run = (): void => {
    running = purgeOldFlows(pce, retentionDays)
      .then((n) => (n > 0 ? pce.env.log.info({ deleted: n, retentionDays }, 'old flows purged') : undefined))
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

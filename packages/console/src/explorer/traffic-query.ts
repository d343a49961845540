/**
 * Runs an async traffic query the Illumio way: POST the query (202, queued), poll its href
 * until `completed` (or `failed`), then download the result. Explorer and the traffic map
 * both use it; `onProgress` feeds the progress bar, `signal` stops polling when the page goes.
 */
import { api, request } from '../api/client.ts';
import { parseFlows, type Flow } from '../traffic-map/traffic-model.ts';

export type QueryPhase = 'starting' | 'queued' | 'working' | 'downloading' | 'completed';

export interface QueryProgress {
  readonly phase: QueryPhase;
  /** ms since start. */
  readonly elapsed: number;
}

export interface QueryResult {
  readonly href: string;
  readonly flows: Flow[];
  /** flows_count as the PCE reported it. */
  readonly count: number;
}

interface QueryStatus {
  readonly href?: unknown;
  readonly status?: unknown;
  readonly result?: unknown;
  readonly flows_count?: unknown;
  readonly message?: unknown;
}

export class QueryFailed extends Error {}
export class QueryCancelled extends Error {}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new QueryCancelled('cancelled'));
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new QueryCancelled('cancelled'));
    });
  });

export async function runTrafficQuery(orgHref: string, body: Record<string, unknown>, options: { onProgress?: (p: QueryProgress) => void; signal?: AbortSignal } = {}): Promise<QueryResult> {
  const started = performance.now();
  const report = (phase: QueryPhase): void => options.onProgress?.({ phase, elapsed: performance.now() - started });
  report('starting');
  let status = await api.post<QueryStatus>(`${orgHref}/traffic_flows/async_queries`, body);
  const href = typeof status.href === 'string' ? status.href : '';
  if (!href) throw new QueryFailed('the PCE did not return the query href');
  // Poll quickly at first (small queries finish in milliseconds), then back off to 1 s.
  let wait = 50;
  while (status.status !== 'completed') {
    if (status.status === 'failed') throw new QueryFailed(`the traffic query failed: ${typeof status.message === 'string' ? status.message : 'no reason given'}`);
    report(status.status === 'working' ? 'working' : 'queued');
    await sleep(wait, options.signal);
    wait = Math.min(1000, wait * 1.5);
    status = await api.get<QueryStatus>(href);
  }
  report('downloading');
  const download = typeof status.result === 'string' ? status.result : `${href}/download`;
  const flows = parseFlows(await api.get<unknown>(download));
  if (options.signal?.aborted) throw new QueryCancelled('cancelled');
  report('completed');
  return { href, flows, count: typeof status.flows_count === 'number' ? status.flows_count : flows.length };
}

/** The PCE's CSV of a completed query, saved as a file by the browser. */
export async function downloadCsv(queryHref: string, filename: string): Promise<void> {
  const res = await request('GET', `${queryHref}/download`, { query: { format: 'csv' }, headers: { Accept: 'text/csv' } });
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

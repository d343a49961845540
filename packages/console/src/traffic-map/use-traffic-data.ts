/**
 * The map's data: the org's workloads (to place idle ones too) and the flows of one traffic
 * query over the chosen time range, fetched together; progress while the query runs; a newer
 * request cancels an older one.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { runTrafficQuery, type QueryProgress } from '../explorer/traffic-query.ts';
import { parseWorkload, type Flow, type WorkloadRef } from './traffic-model.ts';

export interface TrafficData {
  readonly workloads: readonly WorkloadRef[];
  readonly workloadTotal: number;
  readonly flows: readonly Flow[];
  /** The query's href (Explorer can reuse the range), and whether max_results cut it short. */
  readonly queryHref: string;
  readonly truncated: boolean;
}

export interface TrafficDataState {
  readonly data: TrafficData | undefined;
  readonly progress: QueryProgress | undefined;
  readonly error: unknown;
  readonly loading: boolean;
}

/** The workloads the map loads (it places them in boxes); beyond this it says so. */
export const MAP_MAX_WORKLOADS = 20_000;

export function useTrafficData(orgHref: string, body: Record<string, unknown>, maxFlows: number, tick: number): TrafficDataState {
  const [state, setState] = useState<TrafficDataState>({ data: undefined, progress: undefined, error: undefined, loading: true });
  const key = JSON.stringify(body);
  useEffect(() => {
    const abort = new AbortController();
    setState((s) => ({ ...s, loading: true, error: undefined, progress: undefined }));
    const workloads = api.list<unknown>(`${orgHref}/workloads`, { max_results: MAP_MAX_WORKLOADS });
    const flows = runTrafficQuery(orgHref, body, { signal: abort.signal, onProgress: (progress) => !abort.signal.aborted && setState((s) => ({ ...s, progress })) });
    Promise.all([workloads, flows]).then(
      ([w, q]) => {
        if (abort.signal.aborted) return;
        const list = w.items.flatMap((x) => {
          const p = parseWorkload(x);
          return p ? [p] : [];
        });
        setState({ data: { workloads: list, workloadTotal: w.total, flows: q.flows, queryHref: q.href, truncated: q.count >= maxFlows }, progress: undefined, error: undefined, loading: false });
      },
      (error: unknown) => !abort.signal.aborted && setState((s) => ({ ...s, error, loading: false })),
    );
    return () => abort.abort();
  }, [orgHref, key, tick]);
  return state;
}

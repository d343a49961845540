/**
 * Explorer: search the flows the agents reported (Illumio's async traffic queries) by sources,
 * destinations, services, decisions and time; the table of results; CSV export (the PCE's own
 * CSV of the same query). The filters live in the URL; `run=1` runs them on arrival.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorList } from '../components/error-list.tsx';
import { useLabels } from '../components/label-picker.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Progress } from '../components/progress.tsx';
import { notify } from '../components/toast.tsx';
import { DECISIONS, DECISION_STYLES } from '../decision-palette.ts';
import { ExplorerForm } from '../explorer/explorer-form.tsx';
import { filtersFromQuery, filtersToQuery, isUnfiltered, toQueryBody, type ExplorerFilters } from '../explorer/explorer-filters.ts';
import { ExplorerResults } from '../explorer/explorer-results.tsx';
import { downloadCsv, QueryCancelled, runTrafficQuery, type QueryProgress, type QueryResult } from '../explorer/traffic-query.ts';
import type { PageProps } from '../page.ts';
import { link, navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import '../explorer/explorer.css';

const PHASES: Readonly<Record<QueryProgress['phase'], string>> = {
  starting: 'Starting the query',
  queued: 'Queued on the PCE',
  working: 'The PCE is searching the flows',
  downloading: 'Downloading the results',
  completed: 'Done',
};

type Run = { state: 'idle' } | { state: 'running'; progress?: QueryProgress } | { state: 'done'; result: QueryResult; filters: ExplorerFilters } | { state: 'failed'; error: unknown };

export function ExplorerPage(props: PageProps) {
  const { orgHref } = useSession();
  const search = props.query.toString();
  const filters = useMemo(() => filtersFromQuery(new URLSearchParams(search)), [search]);
  const runRequested = props.query.get('run') === '1';
  const { labels, loading: labelsLoading } = useLabels();
  const labelKeys = useMemo(() => new Map(labels.map((l) => [l.href, l.key])), [labels]);
  const [run, setRun] = useState<Run>({ state: 'idle' });
  const [exporting, setExporting] = useState(false);
  const abort = useRef<AbortController | undefined>(undefined);

  // Label filters need the labels' keys (to AND keys, OR values): wait for them.
  const needsLabels = [...filters.src.labels, ...filters.dst.labels].length > 0;
  const ready = !needsLabels || !labelsLoading;
  const built = useMemo(() => toQueryBody(filters, (h) => labelKeys.get(h), Date.now()), [filters, labelKeys, search]);
  const errors = built.errors;

  useEffect(() => {
    if (!runRequested) {
      // A URL without run=1 (a new search, the nav link) shows the form, not the last results.
      setRun({ state: 'idle' });
      return undefined;
    }
    if (!ready) return undefined;
    if (Object.keys(errors).length > 0) {
      setRun({ state: 'idle' });
      return undefined;
    }
    const a = new AbortController();
    abort.current = a;
    setRun({ state: 'running' });
    runTrafficQuery(orgHref, built.body, { signal: a.signal, onProgress: (progress) => !a.signal.aborted && setRun({ state: 'running', progress }) }).then(
      (result) => !a.signal.aborted && setRun({ state: 'done', result, filters }),
      (error: unknown) => !a.signal.aborted && setRun(error instanceof QueryCancelled ? { state: 'idle' } : { state: 'failed', error }),
    );
    return () => a.abort();
  }, [orgHref, search, ready, runRequested]);

  const submit = (f: ExplorerFilters): void => {
    const q = { ...filtersToQuery(f), run: '1', t: String(Date.now()) };
    navigate(link('/explorer', q).slice(1));
  };
  const cancel = (): void => {
    abort.current?.abort();
    setRun({ state: 'idle' });
    navigate(link('/explorer', filtersToQuery(filters)).slice(1));
  };
  const exportCsv = async (href: string): Promise<void> => {
    setExporting(true);
    try {
      await downloadCsv(href, `flows-${new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-')}.csv`);
    } catch (err) {
      notify.error('CSV export failed', err);
    } finally {
      setExporting(false);
    }
  };

  const done = run.state === 'done' ? run : undefined;
  const counts = useMemo(() => {
    const c = { allowed: 0, potentially_blocked: 0, blocked: 0, unknown: 0 };
    for (const f of done?.result.flows ?? []) c[f.decision]++;
    return c;
  }, [done]);

  return (
    <div>
      <PageHeader title="Explorer" subtitle="Flows reported by the agents: who connected to what, on which service, and what policy says about it.">
        {done && done.result.flows.length > 0 && (
          <button type="button" class="button" data-testid="explorer-export" disabled={exporting} onClick={() => void exportCsv(done.result.href)}>
            {exporting ? 'Exporting…' : 'Export CSV'}
          </button>
        )}
        <a class="button" href={link('/traffic-map', { range: filters.range === 'custom' ? undefined : filters.range })}>
          Traffic map
        </a>
      </PageHeader>
      <ExplorerForm filters={filters} errors={errors} busy={run.state === 'running'} onRun={submit} />
      {run.state === 'running' && (
        <div class="explorer-running">
          <Progress label={run.progress ? `${PHASES[run.progress.phase]}… ${(run.progress.elapsed / 1000).toFixed(1)} s` : 'Starting the query…'} testid="explorer-progress" />
          <button type="button" class="button button-quiet" data-testid="explorer-cancel" onClick={cancel}>
            Cancel
          </button>
        </div>
      )}
      {run.state === 'failed' && <ErrorList error={run.error} />}
      {run.state === 'idle' && !runRequested && (
        <EmptyState title="Choose what to look for, then Run">
          {isUnfiltered(filters) ? 'With no filter, Run lists every flow of the time range (up to the maximum). ' : ''}Pick sources and destinations by label, workload or address, services such as 443/tcp, and the decisions you care about (Potentially blocked shows what enforcement would stop).
        </EmptyState>
      )}
      {done &&
        (done.result.flows.length === 0 ? (
          <EmptyState title="No flows match" action={<a href={link('/traffic-map')}>See the traffic map</a>}>
            Widen the time range, remove a filter, or check that the workloads report flows (their visibility level must be flow summary or above).
          </EmptyState>
        ) : (
          <section aria-label="Results">
            <p data-testid="explorer-summary" data-count={done.result.flows.length}>
              {done.result.flows.length.toLocaleString()} flow{done.result.flows.length === 1 ? '' : 's'}
              {done.result.flows.length >= done.filters.max && ` (the maximum: raise Max results or narrow the filters to see all)`}
              {': '}
              {DECISIONS.filter((d) => counts[d] > 0)
                .map((d) => `${DECISION_STYLES[d].glyph} ${counts[d]} ${DECISION_STYLES[d].label.toLowerCase()}`)
                .join(', ')}
            </p>
            <ExplorerResults flows={done.result.flows} />
          </section>
        ))}
    </div>
  );
}

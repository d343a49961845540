/**
 * Explorer's results: one row per flow summary, 100 a page (a query may return 100,000).
 * Sorting applies to the whole result, not just the page shown.
 */
import { useMemo, useState } from 'preact/hooks';
import { DataTable, sortRows, type Column } from '../components/data-table.tsx';
import { LabelChips } from '../components/label-chips.tsx';
import { decisionStyle } from '../decision-palette.ts';
import { DecisionBadge } from '../traffic-map/decision-badge.tsx';
import { serviceText, type Flow, type FlowEnd } from '../traffic-map/traffic-model.ts';

const PAGE = 100;

function End(props: { end: FlowEnd }) {
  const w = props.end.workload;
  if (!w) return <span class="mono">{props.end.ip}</span>;
  return (
    <div class="flow-end">
      <a href={`#/workloads/${w.href.slice(w.href.lastIndexOf('/') + 1)}`}>{w.name}</a> <span class="muted mono">{props.end.ip}</span>
      <div>
        <LabelChips labels={w.labels} />
      </div>
    </div>
  );
}

const when = (iso: string): string => (iso ? new Date(iso).toLocaleString() : '');
const endText = (e: FlowEnd): string => e.workload?.name ?? e.ip;
const bytes = (n: number | undefined): string => (n === undefined ? '' : n >= 1_048_576 ? `${(n / 1_048_576).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`);

const SORTS: Readonly<Record<string, (f: Flow) => string | number>> = {
  src: (f) => endText(f.src),
  dst: (f) => endText(f.dst),
  service: (f) => (f.port ?? -1) * 1000 + f.proto,
  decision: (f) => decisionStyle(f.decision).label,
  connections: (f) => f.connections,
  first: (f) => f.firstSeen,
  last: (f) => f.lastSeen,
  bytes: (f) => (f.bytesIn ?? 0) + (f.bytesOut ?? 0),
};

export function ExplorerResults(props: { flows: readonly Flow[] }) {
  const [page, setPage] = useState(0);
  const [sort, setSort] = useState<{ key: string; dir: 'asc' | 'desc' }>({ key: 'last', dir: 'desc' });
  const withBytes = useMemo(() => props.flows.some((f) => f.bytesIn !== undefined || f.bytesOut !== undefined), [props.flows]);
  const ids = useMemo(() => new Map(props.flows.map((f, i) => [f, String(i)])), [props.flows]);
  const sorted = useMemo(() => sortRows(props.flows, SORTS[sort.key], sort.dir), [props.flows, sort]);
  const pages = Math.max(1, Math.ceil(sorted.length / PAGE));
  const at = Math.min(page, pages - 1);
  const rows = sorted.slice(at * PAGE, (at + 1) * PAGE);
  const columns: Column<Flow>[] = [
    { key: 'src', header: 'Source', render: (f) => <End end={f.src} /> },
    { key: 'dst', header: 'Destination', render: (f) => <End end={f.dst} /> },
    { key: 'service', header: 'Service', render: (f) => serviceText(f) },
    { key: 'decision', header: 'Decision', render: (f) => <DecisionBadge decision={f.decision} /> },
    { key: 'connections', header: 'Connections', render: (f) => f.connections.toLocaleString(), class: 'num' },
    { key: 'first', header: 'First seen', render: (f) => when(f.firstSeen) },
    { key: 'last', header: 'Last seen', render: (f) => when(f.lastSeen) },
    ...(withBytes ? [{ key: 'bytes', header: 'Bytes in / out', render: (f: Flow) => (f.bytesIn === undefined && f.bytesOut === undefined ? '' : `${bytes(f.bytesIn)} / ${bytes(f.bytesOut)}`), class: 'num' }] : []),
  ];
  return (
    <div>
      <div class="explorer-sort toolbar">
        <label>
          Sort by{' '}
          <select value={sort.key} data-testid="explorer-sort" onChange={(e) => setSort({ key: (e.currentTarget as HTMLSelectElement).value, dir: sort.dir })}>
            {columns.map((c) => (
              <option key={c.key} value={c.key}>
                {c.header}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="button button-quiet" onClick={() => setSort({ key: sort.key, dir: sort.dir === 'asc' ? 'desc' : 'asc' })}>
          {sort.dir === 'asc' ? 'Ascending ▲' : 'Descending ▼'}
        </button>
      </div>
      <DataTable columns={columns} rows={rows} rowKey={(f) => ids.get(f) ?? ''} testid="explorer-results" caption="Flows" />
      {pages > 1 && (
        <nav class="table-footer" aria-label="Result pages">
          <button type="button" class="button" disabled={at === 0} onClick={() => setPage(at - 1)}>
            Previous
          </button>
          <span>
            Page {at + 1} of {pages} (rows {at * PAGE + 1}–{Math.min(sorted.length, (at + 1) * PAGE)} of {sorted.length.toLocaleString()})
          </span>
          <button type="button" class="button" disabled={at >= pages - 1} data-testid="explorer-next-page" onClick={() => setPage(at + 1)}>
            Next
          </button>
        </nav>
      )}
    </div>
  );
}

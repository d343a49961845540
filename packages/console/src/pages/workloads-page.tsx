/**
 * Workloads: filter by labels (one key OR'd, keys AND'd) and name, a page of `max_results`
 * rows with "showing N of M" from X-Total-Count and "Show more", VEN status and policy sync
 * from the VEN list (loaded beside the workloads, so the first rows never wait for it), and
 * enforcement mode / visibility level changed per row or for the selected rows.
 * The filter lives in the URL (`#/workloads?labels=…&name=…`), so it survives a reload.
 */
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { DataTable, type Column } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorList } from '../components/error-list.tsx';
import { SelectField, TextField } from '../components/field.tsx';
import { LabelChips } from '../components/label-chips.tsx';
import { LabelPicker, useLabels } from '../components/label-picker.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Loading, Progress } from '../components/progress.tsx';
import { notify } from '../components/toast.tsx';
import { useFetch } from '../components/use-fetch.ts';
import type { PageProps } from '../page.ts';
import { link, navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { ENFORCEMENT_MODES, idOf, labelFilter, modeName, showingText, venStatus, VISIBILITY_LEVELS, visibilityName, workloadName } from '../inventory/inventory-text.ts';
import { VenStatusCell, SyncCell } from '../inventory/ven-cells.tsx';
import type { EnforcementMode, Ven, VisibilityLevel, Workload } from '../inventory/types.ts';

export const PAGE_SIZE = 50;

type Change = { enforcement_mode: EnforcementMode } | { visibility_level: VisibilityLevel };

export function WorkloadsPage(props: PageProps) {
  const { orgHref, can } = useSession();
  const editable = can('admin');
  const chosen = (props.query.get('labels') ?? '').split(',').filter((h) => h !== '');
  const name = props.query.get('name') ?? '';
  const [limit, setLimit] = useState(PAGE_SIZE);
  const [nameInput, setNameInput] = useState(name);
  const { labels, loading: labelsLoading } = useLabels();
  const filter = labelFilter(chosen, labels);
  // The filter groups the chosen labels by key, so it needs the labels first.
  const waitingForLabels = chosen.length > 0 && labelsLoading && labels.length === 0;
  const list = useFetch(
    () => (waitingForLabels ? Promise.resolve(undefined) : api.list<Workload>(`${orgHref}/workloads`, { labels: filter, name: name || undefined, max_results: limit })),
    [orgHref, filter, name, limit, waitingForLabels],
  );
  const vens = useFetch(() => api.list<Ven>(`${orgHref}/vens`, { max_results: 100000 }), [orgHref]);
  const venMap = useMemo(() => new Map((vens.data?.items ?? []).map((v) => [v.href, v])), [vens.data]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [bulk, setBulk] = useState<{ done: number; total: number; what: string } | undefined>();
  const [bulkMode, setBulkMode] = useState('');
  const [bulkVisibility, setBulkVisibility] = useState('');
  const [error, setError] = useState<unknown>();

  const setQuery = (q: { labels?: string[]; name?: string }): void => {
    setLimit(PAGE_SIZE);
    setSelected(new Set());
    navigate(link('/workloads', { labels: (q.labels ?? chosen).join(','), name: q.name ?? name }));
  };

  const change = async (hrefs: readonly string[], body: Change, what: string): Promise<void> => {
    setError(undefined);
    setBulk({ done: 0, total: hrefs.length, what });
    let failed = 0;
    let lastError: unknown;
    for (let i = 0; i < hrefs.length; i++) {
      const href = hrefs[i] ?? '';
      try {
        await api.put(href, body);
      } catch (e) {
        failed += 1;
        lastError = e;
      }
      setBulk({ done: i + 1, total: hrefs.length, what });
    }
    setBulk(undefined);
    if (failed > 0) {
      setError(lastError);
      notify.error(`${what}: ${failed} of ${hrefs.length} failed`, lastError);
    } else notify.success(`${what}: ${hrefs.length} workload${hrefs.length === 1 ? '' : 's'} updated`);
    list.reload();
  };

  const rows = list.data?.items ?? [];
  const total = list.data?.total ?? 0;
  /** A column whose cell changes the setting in place (admins) or names it (others). */
  const settingColumn = (field: 'enforcement_mode' | 'visibility_level', header: string, testid: string, options: readonly { value: string; label: string }[], name: (v: string) => string): Column<Workload> => ({
    key: testid,
    header,
    sortValue: (w) => w[field],
    render: (w) =>
      editable ? (
        <select aria-label={`${header} of ${workloadName(w)}`} value={w[field]} data-testid={`${testid}-${idOf(w.href)}`} disabled={bulk !== undefined} onChange={(e) => void change([w.href], { [field]: (e.currentTarget as HTMLSelectElement).value } as Change, `${header} of ${workloadName(w)}`)}>
          {options.map((m) => (
            <option key={m.value} value={m.value}>
              {m.label}
            </option>
          ))}
        </select>
      ) : (
        name(w[field])
      ),
  });
  const columns: Column<Workload>[] = [
    {
      key: 'name',
      header: 'Hostname',
      sortValue: workloadName,
      render: (w) => (
        <a href={link(`/workloads/${idOf(w.href)}`)} data-testid={`workload-link-${idOf(w.href)}`}>
          {workloadName(w)}
        </a>
      ),
    },
    { key: 'labels', header: 'Labels', render: (w) => <LabelChips labels={w.labels} /> },
    settingColumn('enforcement_mode', 'Enforcement', 'mode', ENFORCEMENT_MODES, modeName),
    settingColumn('visibility_level', 'Visibility', 'visibility', VISIBILITY_LEVELS, visibilityName),
    { key: 'ven', header: 'VEN', render: (w) => <VenStatusCell status={venStatus(w, vens.data ? venMap : undefined)} /> },
    { key: 'sync', header: 'Policy sync', render: (w) => <SyncCell status={venStatus(w, vens.data ? venMap : undefined)} /> },
  ];

  const filtered = chosen.length > 0 || name !== '';
  return (
    <>
      <PageHeader title="Workloads" subtitle="Hosts and their labels, enforcement and agent state." />
      <form
        class="toolbar panel"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ name: nameInput.trim() });
        }}
      >
        <LabelPicker value={chosen} multiple onChange={(hrefs) => setQuery({ labels: hrefs })} testid="workload-label-filter" />
        <TextField label="Name or hostname contains" name="name" value={nameInput} onInput={setNameInput} testid="workload-name-filter" />
        <button type="submit" class="button">
          Filter
        </button>
        {filtered && (
          <button
            type="button"
            class="button button-quiet"
            data-testid="clear-filter"
            onClick={() => {
              setNameInput('');
              setQuery({ labels: [], name: '' });
            }}
          >
            Clear filter
          </button>
        )}
      </form>
      {editable && selected.size > 0 && (
        <div class="toolbar panel" data-testid="bulk-actions">
          <strong>{selected.size} selected</strong>
          <SelectField label="Set enforcement" name="bulk-mode" value={bulkMode} options={[{ value: '', label: '—' }, ...ENFORCEMENT_MODES]} onChange={setBulkMode} testid="bulk-mode" />
          <SelectField label="Set visibility" name="bulk-visibility" value={bulkVisibility} options={[{ value: '', label: '—' }, ...VISIBILITY_LEVELS]} onChange={setBulkVisibility} testid="bulk-visibility" />
          <button
            type="button"
            class="button button-primary"
            data-testid="bulk-apply"
            disabled={bulk !== undefined || (bulkMode === '' && bulkVisibility === '')}
            onClick={async () => {
              const hrefs = [...selected];
              if (bulkMode !== '') await change(hrefs, { enforcement_mode: bulkMode as EnforcementMode }, `Enforcement ${modeName(bulkMode)}`);
              if (bulkVisibility !== '') await change(hrefs, { visibility_level: bulkVisibility as VisibilityLevel }, `Visibility ${visibilityName(bulkVisibility)}`);
              setSelected(new Set());
            }}
          >
            Apply to {selected.size}
          </button>
        </div>
      )}
      {bulk && <Progress label={`${bulk.what}: ${bulk.done} of ${bulk.total}`} value={bulk.done} max={bulk.total} testid="bulk-progress" />}
      <ErrorList error={error ?? list.error} />
      {vens.error !== undefined && <p class="muted">VEN status is unavailable: {String((vens.error as Error).message)}</p>}
      {(list.loading && !list.data) || waitingForLabels ? (
        <Loading what="workloads" />
      ) : (
        <>
          <DataTable
            testid="workloads-table"
            caption="Workloads"
            columns={columns}
            rows={rows}
            rowKey={(w) => w.href}
            {...(editable ? { selected, onSelectionChange: setSelected } : {})}
            empty={
              filtered ? (
                <EmptyState title="No workload matches this filter">Change or clear the filter.</EmptyState>
              ) : (
                <EmptyState title="No workloads yet">
                  Pair a host: create a pairing profile on the <a href={link('/pairing-profiles')}>Pairing profiles</a> page and run the install command it shows, or create unmanaged workloads through the API or CLI.
                </EmptyState>
              )
            }
          />
          <div class="table-footer">
            <span data-testid="workloads-count">{showingText(rows.length, total, 'workloads')}</span>
            {rows.length < total && (
              <button type="button" class="button" data-testid="show-more" disabled={list.loading} onClick={() => setLimit((l) => l + PAGE_SIZE * 4)}>
                {list.loading ? 'Loading…' : 'Show more'}
              </button>
            )}
          </div>
        </>
      )}
    </>
  );
}

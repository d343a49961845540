/**
 * Policy versions, newest first, and the field-level difference between any two: pick an
 * older and a newer version (0 = before the first provision).
 */
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { DataTable, type Column } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorList } from '../components/error-list.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Loading } from '../components/progress.tsx';
import { useFetch } from '../components/use-fetch.ts';
import type { PageProps } from '../page.ts';
import { link, navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { ChangeBadge, DiffTable, objectTitle } from '../policy/diff-view.tsx';
import { useCatalog } from '../policy/name-book.ts';
import { typeTitle, type ChangeType } from '../policy/object-diff.ts';
import '../policy/policy.css';

interface Version {
  readonly href: string;
  readonly version: number;
  readonly commit_message: string;
  readonly created_at: string;
  readonly created_by: { key_id?: string } | null;
  readonly workloads_affected: number;
  readonly object_counts: Record<string, number>;
}

interface Modified {
  readonly href: string;
  readonly type: string;
  readonly change_type: ChangeType;
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
}

function VersionDiff(props: { from: number; to: number }) {
  const { orgHref } = useSession();
  const { catalog } = useCatalog();
  const f = useFetch(() => api.get<Modified[]>(`${orgHref}/sec_policy/${props.to}/modified_objects`, { compare_to: props.from }), [orgHref, props.from, props.to]);
  if (f.loading && !f.data) return <Loading what="the differences" />;
  if (f.error) return <ErrorList error={f.error} />;
  const list = f.data ?? [];
  return (
    <div data-testid="version-diff">
      <h2>
        Version {props.from === 0 ? '0 (empty)' : props.from} → {props.to}: {list.length} object(s) changed
      </h2>
      {list.length === 0 && <p class="muted">These two versions hold the same policy.</p>}
      {list.map((m) => {
        const name = String((m.after ?? m.before)?.['name'] ?? m.href.slice(m.href.lastIndexOf('/') + 1));
        return (
          <article class="panel diff-object" key={m.href} data-href={m.href}>
            <h3>
              <span>{objectTitle(m.type, name)}</span>
              <ChangeBadge change={m.change_type} />
            </h3>
            <DiffTable before={m.before ?? undefined} after={m.after ?? undefined} names={catalog?.names ?? new Map<string, string>()} />
          </article>
        );
      })}
    </div>
  );
}

export function VersionsPage(props: PageProps) {
  const { orgHref } = useSession();
  const f = useFetch(() => api.list<Version>(`${orgHref}/sec_policy`, { max_results: 500 }), [orgHref]);
  const versions = f.data?.items ?? [];
  const latest = versions[0]?.version ?? 0;
  const qFrom = Number(props.query.get('from') ?? NaN);
  const qTo = Number(props.query.get('to') ?? NaN);
  const to = Number.isInteger(qTo) && qTo > 0 ? qTo : latest;
  const from = Number.isInteger(qFrom) && qFrom >= 0 && qFrom < to ? qFrom : Math.max(0, to - 1);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const compare = (a: number, b: number): void => navigate(link('/versions', { from: String(Math.min(a, b)), to: String(Math.max(a, b)) }));
  const columns: Column<Version>[] = [
    { key: 'version', header: 'Version', sortValue: (v) => v.version, render: (v) => <strong>{v.version}</strong> },
    { key: 'desc', header: 'Description', render: (v) => v.commit_message || <span class="muted">(none)</span> },
    { key: 'when', header: 'Provisioned', sortValue: (v) => v.created_at, render: (v) => <time dateTime={v.created_at}>{new Date(v.created_at).toLocaleString()}</time> },
    { key: 'by', header: 'By (API key)', render: (v) => v.created_by?.key_id ?? '—' },
    { key: 'objects', header: 'Objects', render: (v) => Object.entries(v.object_counts).map(([t, n]) => `${n} ${n === 1 ? typeTitle(t).toLowerCase() : t.replace(/_/g, ' ')}`).join(', ') },
    { key: 'affected', header: 'Workloads affected', sortValue: (v) => v.workloads_affected, render: (v) => v.workloads_affected },
    { key: 'diff', header: '', render: (v) => (v.version > 1 ? <a href={link('/versions', { from: String(v.version - 1), to: String(v.version) })}>changes</a> : <a href={link('/versions', { from: '0', to: '1' })}>changes</a>) },
  ];
  const pickedVersions = [...picked].map(Number);
  return (
    <section data-testid="versions-page">
      <PageHeader title="Policy versions" subtitle="Every provision makes a numbered, immutable version. Select two to compare them." />
      <ErrorList error={f.error} />
      {f.loading && !f.data ? (
        <Loading what="versions" />
      ) : versions.length === 0 ? (
        <EmptyState title="No version yet" action={<a class="button" href={link('/provision')}>Provision</a>}>
          Nothing has been provisioned. Write rule sets in the draft, then provision them to make version 1.
        </EmptyState>
      ) : (
        <>
          <div class="toolbar version-pick">
            <span>{picked.size === 2 ? 'Two versions selected.' : 'Select two versions to compare.'}</span>
            <button
              type="button"
              class="button"
              data-testid="compare-versions"
              disabled={pickedVersions.length !== 2}
              onClick={() => {
                const [a, b] = pickedVersions;
                if (a !== undefined && b !== undefined) compare(a, b);
              }}
            >
              Compare selected
            </button>
          </div>
          <DataTable
            testid="versions-table"
            caption="Policy versions"
            columns={columns}
            rows={versions}
            rowKey={(v) => String(v.version)}
            selected={picked}
            // At most two: a third pick replaces the oldest pick.
            onSelectionChange={(keys) => setPicked(new Set([...keys].slice(-2)))}
          />
          {f.data && f.data.total > versions.length && <p class="table-footer">Showing the newest {versions.length} of {f.data.total} versions.</p>}
          {to > 0 && <VersionDiff from={from} to={to} />}
        </>
      )}
    </section>
  );
}

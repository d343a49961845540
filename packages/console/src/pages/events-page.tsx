/**
 * The audit record: who did what and when, newest first, with the warnings an event carried
 * (SecureConnect warnings of a rule write, for one). Filter by type and time; older events
 * load a page at a time.
 */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { DataTable, type Column } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorList } from '../components/error-list.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Loading } from '../components/progress.tsx';
import type { PageProps } from '../page.ts';
import { link, navigate } from '../router.ts';
import { useSession } from '../session.tsx';
import { eventRow, isoFromLocalInput, olderPage, type ApiEvent, type EventRow } from '../policy/event-summary.ts';
import '../policy/policy.css';

const PAGE = 50;

/** Event types the PCE records (the filter is an exact match; any other can be typed). */
const KNOWN_TYPES = [
  'rule_set.create',
  'rule_set.update',
  'rule_set.delete',
  'sec_rule.create',
  'sec_rule.update',
  'sec_rule.delete',
  'deny_rule.create',
  'sec_policy.create',
  'sec_policy.pending.delete',
  'label.create',
  'label.update',
  'label.delete',
  'workload.create',
  'workload.update',
  'workload.delete',
  'pairing_profile.create',
  'pairing_profile.pairing_key.create',
  'agent.activate',
  'agent.unpair',
  'agent.policy_apply_failed',
  'agent.secure_connect_mtu',
  'firewall_settings.update',
  'secure_connect.psk_rotation.start',
  'secure_connect.psk_rotation.complete',
  'user.create',
  'api_key.create',
  'api_key.delete',
];

const SEVERITY_CLASS: Record<string, string> = { info: '', warning: 'status-warn', error: 'status-bad', err: 'status-bad' };

export function EventsPage(props: PageProps) {
  const { orgHref } = useSession();
  const type = props.query.get('type') ?? '';
  const since = props.query.get('since') ?? '';
  const until = props.query.get('until') ?? '';
  const [rows, setRows] = useState<EventRow[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>();
  const [more, setMore] = useState(false);
  const [draft, setDraft] = useState({ type, since, until });

  const fetchPage = async (before: string | undefined): Promise<EventRow[]> => {
    const lte = before ?? isoFromLocalInput(until);
    const list = await api.list<ApiEvent>(`${orgHref}/events`, { max_results: PAGE, event_type: type || undefined, 'timestamp[gte]': isoFromLocalInput(since), 'timestamp[lte]': lte });
    setMore(list.items.length === PAGE);
    return list.items.map(eventRow);
  };
  useEffect(() => {
    let stale = false;
    setLoading(true);
    setError(undefined);
    fetchPage(undefined).then(
      (r) => !stale && (setRows(r), setLoading(false)),
      (e: unknown) => !stale && (setError(e), setLoading(false)),
    );
    setDraft({ type, since, until });
    return () => {
      stale = true;
    };
  }, [orgHref, type, since, until]);

  const loadOlder = async (): Promise<void> => {
    const last = rows[rows.length - 1];
    if (!last) return;
    setLoading(true);
    try {
      const next = olderPage(rows, await fetchPage(last.timestamp));
      // A page made only of events already shown (all in one millisecond) ends the list.
      if (next.length === 0) setMore(false);
      setRows([...rows, ...next]);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };

  const columns: Column<EventRow>[] = [
    { key: 'when', header: 'When', sortValue: (r) => r.timestamp, render: (r) => <time dateTime={r.timestamp}>{new Date(r.timestamp).toLocaleString()}</time> },
    { key: 'type', header: 'Event', sortValue: (r) => r.type, render: (r) => <code>{r.type}</code> },
    { key: 'severity', header: 'Severity', sortValue: (r) => r.severity, render: (r) => <span class={`status ${SEVERITY_CLASS[r.severity] ?? ''}`}>{r.severity}</span> },
    { key: 'who', header: 'Who', sortValue: (r) => r.who, render: (r) => r.who },
    { key: 'what', header: 'What', render: (r) => r.what || <span class="muted">—</span> },
    {
      key: 'notes',
      header: 'Notes',
      render: (r) =>
        r.notes.length === 0 ? (
          ''
        ) : (
          <ul class="actor-list">
            {r.notes.map((n, i) => (
              <li key={i} class="rule-note rule-note-warning">
                {n}
              </li>
            ))}
          </ul>
        ),
    },
  ];
  const apply = (e: Event): void => {
    e.preventDefault();
    navigate(link('/events', { type: draft.type, since: draft.since, until: draft.until }));
  };
  return (
    <section data-testid="events-page">
      <PageHeader title="Events" subtitle="Every change made through the API, the console or by an agent." />
      <form class="toolbar" onSubmit={apply} data-testid="events-filter">
        <label>
          Type{' '}
          <input list="event-types" value={draft.type} placeholder="any" data-testid="events-type" onInput={(e) => setDraft({ ...draft, type: (e.currentTarget as HTMLInputElement).value.trim() })} />
          <datalist id="event-types">
            {KNOWN_TYPES.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label>
          From <input type="datetime-local" value={draft.since} data-testid="events-since" onInput={(e) => setDraft({ ...draft, since: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <label>
          To <input type="datetime-local" value={draft.until} data-testid="events-until" onInput={(e) => setDraft({ ...draft, until: (e.currentTarget as HTMLInputElement).value })} />
        </label>
        <button type="submit" class="button" data-testid="events-apply">
          Filter
        </button>
        {(type || since || until) && (
          <a class="button button-quiet" href={link('/events')}>
            Clear
          </a>
        )}
      </form>
      <ErrorList error={error} />
      {loading && rows.length === 0 ? (
        <Loading what="events" />
      ) : (
        <>
          <DataTable
            testid="events-table"
            caption="Events"
            columns={columns}
            rows={rows}
            rowKey={(r) => r.href}
            empty={<EmptyState title="No events match">{type || since || until ? 'Widen the filter: another type or a longer time range.' : 'Changes made through the API, the console or by agents are recorded here.'}</EmptyState>}
          />
          <div class="table-footer">
            <span>{rows.length} event(s) shown, newest first</span>
            {more && (
              <button type="button" class="button" disabled={loading} data-testid="events-older" onClick={loadOlder}>
                {loading ? 'Loading…' : 'Load older events'}
              </button>
            )}
          </div>
        </>
      )}
    </section>
  );
}

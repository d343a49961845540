/**
 * One workload: identity, interfaces, labels (editable by admins), enforcement and
 * visibility, its VEN (online, policy sync), SecureConnect state per peer as the VEN reports
 * it, and its computed policy (the plan the PCE sends the VEN), loaded on demand.
 */
import { useState } from 'preact/hooks';
import { api } from '../api/client.ts';
import { DataTable } from '../components/data-table.tsx';
import { EmptyState } from '../components/empty-state.tsx';
import { ErrorList, FieldErrors, fieldErrors } from '../components/error-list.tsx';
import { SelectField } from '../components/field.tsx';
import { LabelChips } from '../components/label-chips.tsx';
import { LabelPicker } from '../components/label-picker.tsx';
import { PageHeader } from '../components/page-header.tsx';
import { Loading } from '../components/progress.tsx';
import { notify } from '../components/toast.tsx';
import { useFetch } from '../components/use-fetch.ts';
import type { PageProps } from '../page.ts';
import { link } from '../router.ts';
import { useSession } from '../session.tsx';
import { ENFORCEMENT_MODES, modeName, venStatus, VISIBILITY_LEVELS, visibilityName, workloadName } from '../inventory/inventory-text.ts';
import { SyncCell, VenStatusCell } from '../inventory/ven-cells.tsx';
import type { SecureConnectPeer, SecureConnectState, Ven, Workload } from '../inventory/types.ts';

const PEER_STATE: Record<string, { text: string; cls: string }> = {
  up: { text: 'Up', cls: 'status-ok' },
  down: { text: 'Down', cls: 'status-bad' },
  blocked: { text: 'Blocked', cls: 'status-bad' },
  connecting: { text: 'Connecting', cls: 'status-warn' },
  unknown: { text: 'Unknown', cls: 'status-warn' },
};

/** "Policy version 3: 4 inbound and 2 outbound rules, 1 SecureConnect peer, no diagnostics." */
export function planSummary(body: unknown): string {
  const b = (body ?? {}) as { policy_version?: number; diagnostics?: unknown[]; plan?: { inbound?: unknown[]; outbound?: unknown[]; secure_connect?: { peers?: unknown[] } } };
  const n = (a: unknown[] | undefined): number => a?.length ?? 0;
  const peers = n(b.plan?.secure_connect?.peers);
  const diags = n(b.diagnostics);
  return `Policy version ${b.policy_version ?? '?'}: ${n(b.plan?.inbound)} inbound and ${n(b.plan?.outbound)} outbound rules, ${peers} SecureConnect peer${peers === 1 ? '' : 's'}, ${diags === 0 ? 'no diagnostics' : `${diags} diagnostic${diags === 1 ? '' : 's'}`}.`;
}

export function WorkloadPage(props: PageProps) {
  const { orgHref, can } = useSession();
  const href = `${orgHref}/workloads/${props.params['id'] ?? ''}`;
  const w = useFetch(() => api.get<Workload>(href), [href]);
  const ven = useFetch(() => (w.data?.ven ? api.get<Ven>(w.data.ven.href) : Promise.resolve(undefined)), [w.data?.ven?.href]);
  const sc = useFetch(() => api.get<SecureConnectState>(`${href}/secure_connect`), [href]);
  const [error, setError] = useState<unknown>();
  const [labelDraft, setLabelDraft] = useState<string[] | undefined>();
  const [policy, setPolicy] = useState<{ loading: boolean; body?: unknown; error?: unknown }>({ loading: false });
  const editable = can('admin');

  if (w.loading && !w.data) return <Loading what="the workload" />;
  if (!w.data)
    return (
      <>
        <PageHeader title="Workload" />
        <ErrorList error={w.error} />
        <p>
          <a href={link('/workloads')}>Back to workloads</a>
        </p>
      </>
    );
  const wl = w.data;
  const update = async (body: Record<string, unknown>, what: string): Promise<boolean> => {
    setError(undefined);
    try {
      await api.put(href, body);
      notify.success(`${what} saved`);
      w.reload();
      return true;
    } catch (e) {
      setError(e);
      notify.error(`${what} not saved`, e);
      return false;
    }
  };
  const status = venStatus(wl, ven.data ? new Map([[ven.data.href, ven.data]]) : undefined);
  const loadPolicy = async (): Promise<void> => {
    setPolicy({ loading: true });
    try {
      setPolicy({ loading: false, body: await api.get(`${href}/policy`) });
    } catch (e) {
      setPolicy({ loading: false, error: e });
    }
  };

  return (
    <>
      <PageHeader title={workloadName(wl)} subtitle={<a href={link('/workloads')}>← All workloads</a>} />
      <ErrorList error={error} exclude={['labels', 'enforcement_mode', 'visibility_level']} />
      <section class="panel" aria-labelledby="wl-summary">
        <h2 id="wl-summary">Summary</h2>
        <dl class="detail-grid" data-testid="workload-summary">
          <dt>Name</dt>
          <dd>{wl.name ?? '—'}</dd>
          <dt>Hostname</dt>
          <dd>{wl.hostname ?? '—'}</dd>
          <dt>OS</dt>
          <dd>
            {wl.os_type ?? '—'} {wl.os_version}
          </dd>
          <dt>Public IP</dt>
          <dd>{wl.public_ip ?? '—'}</dd>
          <dt>Description</dt>
          <dd>{wl.description || '—'}</dd>
          <dt>Enforcement</dt>
          <dd>
            {editable ? (
              <SelectField label="Enforcement mode" name="enforcement_mode" value={wl.enforcement_mode} options={ENFORCEMENT_MODES} onChange={(v) => void update({ enforcement_mode: v }, 'Enforcement mode')} errors={fieldErrors(error, 'enforcement_mode')} testid="workload-mode" />
            ) : (
              <span data-testid="workload-mode-text">{modeName(wl.enforcement_mode)}</span>
            )}
          </dd>
          <dt>Visibility</dt>
          <dd>
            {editable ? (
              <SelectField label="Visibility level" name="visibility_level" value={wl.visibility_level} options={VISIBILITY_LEVELS} onChange={(v) => void update({ visibility_level: v }, 'Visibility level')} errors={fieldErrors(error, 'visibility_level')} testid="workload-visibility" />
            ) : (
              visibilityName(wl.visibility_level)
            )}
          </dd>
        </dl>
      </section>

      <section class="panel" aria-labelledby="wl-labels">
        <h2 id="wl-labels">Labels</h2>
        {labelDraft === undefined ? (
          <>
            <LabelChips labels={wl.labels} />{' '}
            {editable && (
              <button type="button" class="button" data-testid="edit-workload-labels" onClick={() => setLabelDraft(wl.labels.map((l) => l.href))}>
                Edit labels
              </button>
            )}
          </>
        ) : (
          <form
            onSubmit={async (e) => {
              e.preventDefault();
              if (await update({ labels: labelDraft.map((h) => ({ href: h })) }, 'Labels')) setLabelDraft(undefined);
            }}
          >
            <LabelPicker value={labelDraft} onChange={setLabelDraft} testid="workload-label-picker" />
            <FieldErrors messages={fieldErrors(error, 'labels')} />
            <div class="form-actions">
              <button type="button" class="button" onClick={() => setLabelDraft(undefined)}>
                Cancel
              </button>
              <button type="submit" class="button button-primary" data-testid="save-workload-labels">
                Save labels
              </button>
            </div>
          </form>
        )}
      </section>

      <section class="panel" aria-labelledby="wl-interfaces">
        <h2 id="wl-interfaces">Interfaces</h2>
        <DataTable
          testid="interfaces-table"
          columns={[
            { key: 'name', header: 'Name', render: (i) => i.name, sortValue: (i) => i.name },
            { key: 'address', header: 'Address', render: (i) => <code>{i.address}</code> },
            { key: 'cidr', header: 'Prefix', render: (i) => (i.cidr_block === undefined ? '—' : `/${i.cidr_block}`) },
          ]}
          rows={wl.interfaces}
          rowKey={(i) => `${i.name}-${i.address}`}
          empty={<p class="muted">No interfaces reported{wl.managed ? ' yet' : ''}.</p>}
        />
      </section>

      <section class="panel" aria-labelledby="wl-ven">
        <h2 id="wl-ven">VEN</h2>
        {!wl.ven ? (
          <p class="muted">Unmanaged: no VEN is paired with this workload, so the PCE enforces nothing on it; other workloads' policy still uses its addresses.</p>
        ) : (
          <dl class="detail-grid" data-testid="workload-ven">
            <dt>Status</dt>
            <dd>
              <VenStatusCell status={status} />
            </dd>
            <dt>Policy sync</dt>
            <dd>
              <SyncCell status={status} /> {ven.data?.policy_sync.message && <span class="muted">{ven.data.policy_sync.message}</span>}
            </dd>
            <dt>Last heartbeat</dt>
            <dd>{ven.data?.last_heartbeat_on ?? '—'}</dd>
            <dt>Version</dt>
            <dd>{ven.data?.version ?? '—'}</dd>
          </dl>
        )}
        <ErrorList error={ven.error} />
      </section>

      <section class="panel" aria-labelledby="wl-sc">
        <h2 id="wl-sc">SecureConnect</h2>
        {sc.loading && !sc.data ? (
          <Loading what="SecureConnect state" />
        ) : (
          <>
            <ErrorList error={sc.error} />
            {sc.data && (
              <>
                <p class="muted">{sc.data.reported_on ? `Reported by the VEN at ${sc.data.reported_on}.` : 'The VEN has not reported SecureConnect state yet.'}</p>
                <DataTable
                  testid="secure-connect-table"
                  columns={[
                    { key: 'peer', header: 'Peer', sortValue: (p: SecureConnectPeer) => p.workload.name, render: (p) => <a href={link(`/workloads/${p.workload.href.split('/').pop() ?? ''}`)}>{p.workload.name}</a> },
                    { key: 'addresses', header: 'Addresses', render: (p) => <code>{p.addresses.join(', ')}</code> },
                    { key: 'ike', header: 'IKE', render: (p) => `IKEv${String(p.ike_version).replace(/^v|^ikev/i, '')} · ${p.auth}` },
                    {
                      key: 'state',
                      header: 'State',
                      sortValue: (p) => p.state,
                      render: (p) => {
                        const s = PEER_STATE[p.state] ?? { text: p.state, cls: 'status-warn' };
                        return (
                          <span class={`status ${s.cls}`} data-testid="peer-state">
                            {s.text}
                            {p.since ? <span class="muted"> since {p.since}</span> : null}
                          </span>
                        );
                      },
                    },
                    { key: 'reason', header: 'Reason', render: (p) => p.reason ?? '' },
                  ]}
                  rows={sc.data.peers}
                  rowKey={(p) => p.workload.href}
                  empty={<EmptyState title="No SecureConnect peers">No provisioned rule with SecureConnect covers this workload. Add one on the <a href={link('/rule-sets')}>Rule sets</a> page and provision it.</EmptyState>}
                />
              </>
            )}
          </>
        )}
      </section>

      <section class="panel" aria-labelledby="wl-policy">
        <h2 id="wl-policy">Computed policy</h2>
        <p class="muted">The plan the PCE computes for this workload from the active policy version (what its VEN enforces).</p>
        {policy.body === undefined ? (
          <button type="button" class="button" data-testid="load-policy" disabled={policy.loading} onClick={() => void loadPolicy()}>
            {policy.loading ? 'Loading…' : 'Show computed policy'}
          </button>
        ) : (
          <>
            <p data-testid="policy-summary">{planSummary(policy.body)}</p>
            <pre class="code-block" data-testid="computed-policy">
              {JSON.stringify(policy.body, null, 2)}
            </pre>
          </>
        )}
        <ErrorList error={policy.error} />
      </section>
    </>
  );
}

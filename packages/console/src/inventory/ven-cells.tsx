/** VEN status and policy sync as table cells: a coloured dot plus words (never colour alone). */
import type { VenStatus } from './inventory-text.ts';

/** The PCE's sync states (agents/ven-record.ts SyncState). */
const SYNC: Record<string, { text: string; cls: string }> = {
  synced: { text: 'In sync', cls: 'status-ok' },
  applying: { text: 'Applying', cls: 'status-warn' },
  pending: { text: 'Pending', cls: 'status-warn' },
  error: { text: 'Error', cls: 'status-bad' },
};

export function syncInfo(state: string): { text: string; cls: string } {
  return SYNC[state] ?? { text: state.replace(/_/g, ' '), cls: 'status-warn' };
}

export function VenStatusCell(props: { status: VenStatus }) {
  const s = props.status;
  if (s.kind === 'unmanaged') return <span class="muted">Unmanaged</span>;
  if (s.kind === 'unknown') return <span class="muted">…</span>;
  const title = s.ven.last_heartbeat_on ? `Last heartbeat ${s.ven.last_heartbeat_on}` : 'No heartbeat yet';
  return (
    <span class={`status ${s.kind === 'online' ? 'status-ok' : 'status-bad'}`} title={title} data-testid="ven-status">
      {s.kind === 'online' ? 'Online' : 'Offline'}
      {s.ven.status !== 'active' && ` (${s.ven.status})`}
    </span>
  );
}

export function SyncCell(props: { status: VenStatus }) {
  const s = props.status;
  if (s.kind === 'unmanaged') return <span class="muted">—</span>;
  if (s.kind === 'unknown') return <span class="muted">…</span>;
  const info = syncInfo(s.ven.policy_sync.state);
  return (
    <span class={`status ${info.cls}`} title={s.ven.policy_sync.message ?? undefined} data-testid="policy-sync">
      {info.text}
    </span>
  );
}

/** The audit record: every change made through the API or by an agent is an event. */
import type { PceEnv } from '../env.ts';
import { principalRef, type Principal } from '../auth/principal.ts';
import type { EventRow, StoreTx } from '../store/store.ts';

export type ChangeKind = 'create' | 'update' | 'delete';

export interface ResourceChange {
  readonly resource: { readonly type: string; readonly href: string; readonly name?: string };
  readonly change_type: ChangeKind;
  readonly before?: unknown;
  readonly after?: unknown;
}

/** Who caused an event. Agents appear in a later issue; the system acts at bootstrap. */
export type EventActor = Principal | { readonly system: string };

function createdBy(a: EventActor): unknown {
  if ('system' in a) return { system: { name: a.system } };
  return { user: { ...principalRef(a), username: a.username }, api_key: { key_id: a.keyId } };
}

export async function recordEvent(
  tx: StoreTx,
  env: PceEnv,
  org: number,
  by: EventActor,
  eventType: string,
  changes: readonly ResourceChange[],
  opts: { severity?: EventRow['severity']; notifications?: readonly unknown[] } = {},
): Promise<void> {
  await tx.insertEvent({
    org_id: org,
    timestamp: env.now().toISOString(),
    event_type: eventType,
    severity: opts.severity ?? 'info',
    status: 'success',
    created_by: JSON.stringify(createdBy(by)),
    data: JSON.stringify({ resource_changes: changes, notifications: opts.notifications ?? [] }),
  });
}

export function renderEvent(row: EventRow): unknown {
  const data = JSON.parse(row.data) as { resource_changes?: unknown[]; notifications?: unknown[] };
  return {
    href: `/orgs/${row.org_id}/events/${row.id}`,
    timestamp: row.timestamp,
    event_type: row.event_type,
    status: row.status,
    severity: row.severity,
    created_by: JSON.parse(row.created_by) as unknown,
    resource_changes: data.resource_changes ?? [],
    notifications: data.notifications ?? [],
  };
}

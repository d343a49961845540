/** Audit events as rows: who did it, when, what changed, and any warnings it carried. */

export interface ApiEvent {
  readonly href: string;
  readonly timestamp: string;
  readonly event_type: string;
  readonly status: string;
  readonly severity: string;
  readonly created_by: unknown;
  readonly resource_changes: readonly { resource?: { type?: string; href?: string; name?: string }; change_type?: string }[];
  readonly notifications: readonly unknown[];
}

export interface EventRow {
  readonly href: string;
  readonly timestamp: string;
  readonly type: string;
  readonly severity: string;
  readonly status: string;
  readonly who: string;
  readonly what: string;
  readonly notes: readonly string[];
}

function record(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** `{user:{username}}`, `{system:{name}}`, `{agent:{…}}` → a name. */
export function eventActor(createdBy: unknown): string {
  const by = record(createdBy);
  const user = record(by?.['user']);
  if (user) return String(user['username'] ?? user['href'] ?? 'user');
  const system = record(by?.['system']);
  if (system) return `system (${String(system['name'] ?? '')})`;
  const agent = record(by?.['agent'] ?? by?.['ven']);
  if (agent) return `agent ${String(agent['hostname'] ?? agent['href'] ?? '')}`.trim();
  return by ? Object.keys(by).join(', ') || '—' : '—';
}

export function eventRow(e: ApiEvent): EventRow {
  const what = e.resource_changes
    .map((c) => `${c.change_type ?? 'change'} ${c.resource?.type?.replace(/_/g, ' ') ?? ''} ${c.resource?.name ? `"${c.resource.name}"` : (c.resource?.href ?? '')}`.replace(/\s+/g, ' ').trim())
    .join('; ');
  const notes = e.notifications.map((n) => {
    const r = record(n);
    return r && typeof r['message'] === 'string' ? r['message'] : JSON.stringify(n);
  });
  return { href: e.href, timestamp: e.timestamp, type: e.event_type, severity: e.severity, status: e.status, who: eventActor(e.created_by), what, notes };
}

/**
 * The next (older) page: the API pages by time only (newest first, `timestamp[lte]`), so ask
 * from the oldest timestamp shown, inclusive, and drop the events already shown: events that
 * share that millisecond are neither lost nor repeated.
 */
export function olderPage<T extends { href: string; timestamp: string }>(shown: readonly T[], next: readonly T[]): T[] {
  const seen = new Set(shown.map((e) => e.href));
  return next.filter((e) => !seen.has(e.href));
}

/** `datetime-local` input value (local time, no zone) → ISO, or undefined when empty/invalid. */
export function isoFromLocalInput(v: string): string | undefined {
  if (!v) return undefined;
  const t = new Date(v).getTime();
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/**
 * Explorer's filters: a form whose whole state lives in the URL query (`#/explorer?src_l=…`),
 * so a link (from the traffic map, a bookmark, a colleague) opens the same search. Pure:
 * URL ⇄ filters, and filters → the body of `POST /orgs/{org}/traffic_flows/async_queries`.
 */
import { DECISIONS, toDecision, type PolicyDecision } from '../decision-palette.ts';

export interface SideFilters {
  readonly labels: readonly string[];
  /** Active label groups (any of their labels, sub-groups included). */
  readonly labelGroups: readonly string[];
  readonly workloads: readonly string[];
  /** Active IP lists (any of their ranges, less their exclusions). */
  readonly ipLists: readonly string[];
  readonly ips: readonly string[];
  readonly excludeLabels: readonly string[];
  readonly excludeLabelGroups: readonly string[];
  readonly excludeWorkloads: readonly string[];
  readonly excludeIpLists: readonly string[];
  readonly excludeIps: readonly string[];
}

export type TimeRange = '1h' | '24h' | '7d' | '30d' | 'all' | 'custom';
export const TIME_RANGES: readonly { value: TimeRange; label: string }[] = [
  { value: '1h', label: 'Last hour' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
  { value: 'all', label: 'All stored flows' },
  { value: 'custom', label: 'Custom…' },
];
const RANGE_MS: Readonly<Record<string, number>> = { '1h': 3_600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

export interface ExplorerFilters {
  readonly src: SideFilters;
  readonly dst: SideFilters;
  /** Service terms as typed: `443/tcp`, `8000-8080/tcp`, `53/udp`, `icmp`, `443`. */
  readonly services: readonly string[];
  readonly excludeServices: readonly string[];
  /** Empty: every decision. */
  readonly decisions: readonly PolicyDecision[];
  readonly range: TimeRange;
  /** With range `custom`: ISO or `datetime-local` text. */
  readonly from: string;
  readonly to: string;
  readonly max: number;
  /** A flow matches the sources OR the destinations (Illumio's sources_destinations_query_op "or"): a node's flows both ways. */
  readonly either: boolean;
}

export const DEFAULT_MAX_RESULTS = 1000;
export const MAX_MAX_RESULTS = 100_000;

export const EMPTY_SIDE: SideFilters = { labels: [], labelGroups: [], workloads: [], ipLists: [], ips: [], excludeLabels: [], excludeLabelGroups: [], excludeWorkloads: [], excludeIpLists: [], excludeIps: [] };
export const DEFAULT_FILTERS: ExplorerFilters = { src: EMPTY_SIDE, dst: EMPTY_SIDE, services: [], excludeServices: [], decisions: [], range: '24h', from: '', to: '', max: DEFAULT_MAX_RESULTS, either: false };

const SIDE_KEYS: readonly [keyof SideFilters, string][] = [
  ['labels', 'l'],
  ['labelGroups', 'lg'],
  ['workloads', 'w'],
  ['ipLists', 'ipl'],
  ['ips', 'ip'],
  ['excludeLabels', 'xl'],
  ['excludeLabelGroups', 'xlg'],
  ['excludeWorkloads', 'xw'],
  ['excludeIpLists', 'xipl'],
  ['excludeIps', 'xip'],
];

const listOf = (q: URLSearchParams, key: string): string[] =>
  (q.get(key) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

function sideFrom(q: URLSearchParams, prefix: string): SideFilters {
  const out: Record<string, string[]> = {};
  for (const [field, key] of SIDE_KEYS) out[field] = listOf(q, `${prefix}_${key}`);
  return { ...EMPTY_SIDE, ...out };
}

export function filtersFromQuery(q: URLSearchParams): ExplorerFilters {
  const range = TIME_RANGES.some((r) => r.value === q.get('range')) ? (q.get('range') as TimeRange) : DEFAULT_FILTERS.range;
  const max = Number(q.get('max') ?? '');
  return {
    src: sideFrom(q, 'src'),
    dst: sideFrom(q, 'dst'),
    services: listOf(q, 'svc'),
    excludeServices: listOf(q, 'xsvc'),
    decisions: [...new Set(listOf(q, 'dec').filter((d) => (DECISIONS as readonly string[]).includes(d)).map(toDecision))],
    range,
    from: q.get('from') ?? '',
    to: q.get('to') ?? '',
    max: Number.isInteger(max) && max > 0 ? Math.min(max, MAX_MAX_RESULTS) : DEFAULT_MAX_RESULTS,
    either: q.get('op') === 'or',
  };
}

/** Only what differs from the defaults, so links stay short. */
export function filtersToQuery(f: ExplorerFilters): Record<string, string> {
  const q: Record<string, string> = {};
  const put = (key: string, values: readonly string[]): void => {
    if (values.length > 0) q[key] = values.join(',');
  };
  for (const [prefix, side] of [['src', f.src], ['dst', f.dst]] as const) for (const [field, key] of SIDE_KEYS) put(`${prefix}_${key}`, side[field]);
  put('svc', f.services);
  put('xsvc', f.excludeServices);
  put('dec', f.decisions);
  if (f.range !== DEFAULT_FILTERS.range) q['range'] = f.range;
  if (f.range === 'custom') {
    if (f.from) q['from'] = f.from;
    if (f.to) q['to'] = f.to;
  }
  if (f.max !== DEFAULT_MAX_RESULTS) q['max'] = String(f.max);
  if (f.either) q['op'] = 'or';
  return q;
}

export interface ServiceTerm {
  readonly proto?: number;
  readonly port?: number;
  readonly to_port?: number;
}

const PROTO_NAMES: Readonly<Record<string, number>> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };

/** `443/tcp`, `tcp/443`, `8000-8080/udp`, `443` (any protocol), `icmp`, `proto 47`, `47/` . */
export function parseServiceTerm(text: string): ServiceTerm | string {
  const t = text.trim().toLowerCase();
  const protoOf = (p: string): number | undefined => (p in PROTO_NAMES ? PROTO_NAMES[p] : /^\d{1,3}$/.test(p) && Number(p) <= 255 ? Number(p) : undefined);
  const portsOf = (p: string): { port: number; to_port?: number } | undefined => {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(p);
    if (!m) return undefined;
    const port = Number(m[1]);
    const to = m[2] === undefined ? undefined : Number(m[2]);
    if (port > 65535 || (to !== undefined && (to > 65535 || to < port))) return undefined;
    return to === undefined ? { port } : { port, to_port: to };
  };
  const bad = `"${text}" is not a service: write 443/tcp, 8000-8080/tcp, 53/udp, icmp or a port`;
  const named = /^(?:proto\s+)?([a-z0-9]+)$/.exec(t);
  if (named?.[1] !== undefined && named[1] in PROTO_NAMES) return { proto: PROTO_NAMES[named[1]] ?? 0 };
  if (t.startsWith('proto ')) {
    const p = protoOf(t.slice(6).trim());
    return p === undefined ? bad : { proto: p };
  }
  const slash = t.split('/');
  if (slash.length === 1) return portsOf(t) ?? bad;
  if (slash.length !== 2) return bad;
  const [a = '', b = ''] = slash;
  const first = portsOf(a);
  const proto = first ? protoOf(b) : protoOf(a);
  const ports = first ?? portsOf(b);
  if (proto === undefined || !ports) return bad;
  return { proto, ...ports };
}

/** Start of the range, or undefined for "all". Times are ms since the epoch. */
export function rangeStart(range: TimeRange, now: number): number | undefined {
  const ms = RANGE_MS[range];
  return ms === undefined ? undefined : now - ms;
}

export interface QueryBodyResult {
  readonly body: Record<string, unknown>;
  /** Field name (`services`, `from`, `src.labels`…) → message. */
  readonly errors: Readonly<Record<string, string>>;
}

/** At most this many (label combination, workload, IP) alternatives on one side (API limit). */
const MAX_ALTERNATIVES = 100;

/**
 * The include side: labels of one key are alternatives (app=a OR app=b), of different keys all
 * apply (app=a AND env=prod); label groups, workloads, IP lists and IPs are further alternatives.
 */
function sideBody(s: SideFilters, labelKey: (href: string) => string | undefined, field: string, errors: Record<string, string>): Record<string, unknown> {
  const byKey = new Map<string, string[]>();
  for (const h of s.labels) {
    const key = labelKey(h) ?? h;
    byKey.set(key, [...(byKey.get(key) ?? []), h]);
  }
  let combos: string[][] = byKey.size === 0 ? [] : [[]];
  for (const hrefs of byKey.values()) combos = combos.flatMap((c) => hrefs.map((h) => [...c, h]));
  const include: unknown[][] = [
    ...combos.map((c) => c.map((href) => ({ label: { href } }))),
    ...s.labelGroups.map((href) => [{ label_group: { href } }]),
    ...s.workloads.map((href) => [{ workload: { href } }]),
    ...s.ipLists.map((href) => [{ ip_list: { href } }]),
    ...s.ips.map((ip) => [{ ip_address: ip }]),
  ];
  if (include.length > MAX_ALTERNATIVES) errors[`${field}.labels`] = `${include.length} alternatives (label combinations, label groups, workloads, IP lists, IPs); at most ${MAX_ALTERNATIVES}: choose fewer`;
  const exclude = [
    ...s.excludeLabels.map((href) => ({ label: { href } })),
    ...s.excludeLabelGroups.map((href) => ({ label_group: { href } })),
    ...s.excludeWorkloads.map((href) => ({ workload: { href } })),
    ...s.excludeIpLists.map((href) => ({ ip_list: { href } })),
    ...s.excludeIps.map((ip) => ({ ip_address: ip })),
  ];
  if (exclude.length > MAX_ALTERNATIVES) errors[`${field}.exclude`] = `at most ${MAX_ALTERNATIVES} exclusions`;
  return { include, exclude };
}

/** `datetime-local` text (no zone: the browser's) or ISO → ISO; undefined if unreadable. */
function isoOf(text: string): string | undefined {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function toQueryBody(f: ExplorerFilters, labelKey: (href: string) => string | undefined, now: number, name = 'explorer'): QueryBodyResult {
  const errors: Record<string, string> = {};
  const terms = (list: readonly string[], field: string): ServiceTerm[] => {
    const out: ServiceTerm[] = [];
    for (const t of list) {
      const p = parseServiceTerm(t);
      if (typeof p === 'string') errors[field] = p;
      else out.push(p);
    }
    return out;
  };
  const body: Record<string, unknown> = {
    query_name: name,
    sources: sideBody(f.src, labelKey, 'src', errors),
    destinations: sideBody(f.dst, labelKey, 'dst', errors),
    services: { include: terms(f.services, 'services'), exclude: terms(f.excludeServices, 'excludeServices') },
    policy_decisions: [...f.decisions],
    max_results: f.max,
    ...(f.either ? { sources_destinations_query_op: 'or' } : {}),
  };
  if (f.range === 'custom') {
    const from = f.from ? isoOf(f.from) : undefined;
    const to = f.to ? isoOf(f.to) : undefined;
    if (f.from && !from) errors['from'] = `"${f.from}" is not a date and time`;
    if (f.to && !to) errors['to'] = `"${f.to}" is not a date and time`;
    if (from && to && from > to) errors['from'] = 'the start is after the end';
    if (from) body['start_date'] = from;
    if (to) body['end_date'] = to;
  } else {
    const start = rangeStart(f.range, now);
    if (start !== undefined) body['start_date'] = new Date(start).toISOString();
  }
  return { body, errors };
}

/** True when no filter narrows the search (Explorer then says so before running). */
export function isUnfiltered(f: ExplorerFilters): boolean {
  const empty = (s: SideFilters): boolean => SIDE_KEYS.every(([k]) => s[k].length === 0);
  return empty(f.src) && empty(f.dst) && f.services.length === 0 && f.excludeServices.length === 0 && f.decisions.length === 0;
}

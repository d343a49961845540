/**
 * Traffic flows (migrations 002 and 005): daily summaries added in batches, label-filtered
 * aggregated queries, retention, interning of label sets and endpoints, batch idempotency,
 * async traffic queries.
 *
 * Ingest is the hot path: the reports of a call are first merged per summary key here, then
 * upserted bypassing the query builder, whose cost per value dominates at 50,000 rows a
 * second. SQLite: one prepared upsert per row, on the flow writer's thread
 * (`sqlite/flow-writer.ts`, for `Store.addFlowBatch`) or on the writer connection
 * (`DialectHooks.runEach`); PostgreSQL: one `INSERT … SELECT FROM unnest($1, …)` with one
 * array per column.
 */
import { CompiledQuery, sql, type Expression, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import { parseAddress, type ParsedAddress } from '@palisade/core/compute/address-ranges.ts';
import type { DialectHooks } from './dialect-hooks.ts';
import { chunks, countOf } from './kysely-sql.ts';
import { orgQueries } from './kysely-org-queries.ts';
import { DAY_MS, SUMMARY_KEY, SUMMARY_VALUES } from './migrations/005-flow-summaries.ts';
import type { Database } from './schema.ts';
import type { FlowDecision, FlowDirection, FlowEndpointTerm, FlowIpRanges, FlowQuery, FlowQueryRow, FlowServiceTerm, FlowSideFilter, FlowState, FlowSummaryRow, NewFlowRow, StoreTx } from './store.ts';

const DECISIONS: readonly FlowDecision[] = ['allowed', 'potentially_blocked', 'blocked', 'unknown'];
const DIRECTIONS: readonly FlowDirection[] = ['inbound', 'outbound'];
const decisionCode = (d: FlowDecision): number => DECISIONS.indexOf(d);
const decisionOf = (n: number): FlowDecision => DECISIONS[n] ?? 'unknown';
const stateOf = (n: number): FlowState => (n === 1 ? 'potentially_blocked' : n === 2 ? 'blocked' : 'allowed');

const COLUMNS = [...SUMMARY_KEY, ...SUMMARY_VALUES];
/** Values per summary row (`mergedSummaries`). */
export const FLOW_SUMMARY_WIDTH = COLUMNS.length;
const KEY_SIZE = SUMMARY_KEY.length;
const PG_TYPES: Record<(typeof COLUMNS)[number], string> = {
  org_id: 'int',
  src_set: 'int',
  day: 'int',
  dst_set: 'int',
  src_ep: 'bigint',
  dst_ep: 'bigint',
  proto: 'int',
  port: 'int',
  direction: 'int',
  policy_decision: 'int',
  draft_policy_decision: 'int',
  state: 'int',
  first_seen: 'bigint',
  last_seen: 'bigint',
  connections: 'bigint',
  bytes_in: 'bigint',
  bytes_out: 'bigint',
  reports: 'int',
};
/** Indexes into a row of COLUMNS (the values in SUMMARY_VALUES order). */
const DRAFT = KEY_SIZE;
const STATE = KEY_SIZE + 1;
const FIRST = KEY_SIZE + 2;
const LAST = KEY_SIZE + 3;
const CONNECTIONS = KEY_SIZE + 4;
const BYTES_IN = KEY_SIZE + 5;
const BYTES_OUT = KEY_SIZE + 6;
const REPORTS = KEY_SIZE + 7;

type SummaryValues = (number | null)[];

/** A report as the values of a summary row, in COLUMNS order (SUMMARY_KEY, then SUMMARY_VALUES). */
function summaryValues(r: NewFlowRow): SummaryValues {
  return [
    r.org_id,
    r.src_set ?? 0,
    r.src_ep,
    r.dst_ep,
    r.dst_set ?? 0,
    r.proto,
    r.port ?? -1,
    DIRECTIONS.indexOf(r.direction),
    decisionCode(r.policy_decision),
    Math.floor(r.last_seen / DAY_MS),
    decisionCode(r.draft_policy_decision),
    decisionCode(r.state),
    r.first_seen,
    r.last_seen,
    r.connections,
    r.bytes_in,
    r.bytes_out,
    1,
  ];
}

const addNullable = (a: number | null | undefined, b: number | null | undefined): number | null => (a === null || a === undefined ? (b ?? null) : b === null || b === undefined ? a : a + b);

/**
 * Reports merged per summary key (as the upsert merges them into a stored row); values in
 * SUMMARY_KEY then SUMMARY_VALUES order. `sorted`: in key order, so concurrent PostgreSQL
 * transactions lock rows in one order (SQLite's single writer needs none).
 */
export function mergedSummaries(rows: readonly NewFlowRow[], sorted: boolean): SummaryValues[] {
  const byKey = new Map<string, SummaryValues>();
  for (const r of rows) {
    const v = summaryValues(r);
    const key = v.slice(0, KEY_SIZE).join(',');
    const m = byKey.get(key);
    if (m === undefined) {
      byKey.set(key, v);
      continue;
    }
    m[DRAFT] = Math.max(m[DRAFT] ?? 0, v[DRAFT] ?? 0);
    m[STATE] = Math.max(m[STATE] ?? 0, v[STATE] ?? 0);
    m[FIRST] = Math.min(m[FIRST] ?? 0, v[FIRST] ?? 0);
    m[LAST] = Math.max(m[LAST] ?? 0, v[LAST] ?? 0);
    m[CONNECTIONS] = (m[CONNECTIONS] ?? 0) + (v[CONNECTIONS] ?? 0);
    m[BYTES_IN] = addNullable(m[BYTES_IN], v[BYTES_IN]);
    m[BYTES_OUT] = addNullable(m[BYTES_OUT], v[BYTES_OUT]);
    m[REPORTS] = (m[REPORTS] ?? 0) + (v[REPORTS] ?? 0);
  }
  if (!sorted) return [...byKey.values()];
  return [...byKey.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
}

/**
 * An address as a byte string that sorts like the address within its family
 * (`flow_endpoints.ipk`): the family (4 or 6) then the address, big-endian. IP list and CIDR filters become
 * `between` on it; the family byte keeps `::/0` from matching IPv4 flows.
 */
export function ipKeyOf(a: ParsedAddress): Buffer {
  if (a.family === 4) {
    const b = Buffer.allocUnsafe(5);
    b[0] = 4;
    b.writeUInt32BE(a.v >>> 0, 1);
    return b;
  }
  const b = Buffer.allocUnsafe(17);
  b[0] = 6;
  b.writeBigUInt64BE(a.v >> 64n, 1);
  b.writeBigUInt64BE(a.v & 0xffffffffffffffffn, 9);
  return b;
}

/** The key of an address (null for text that is not one: validated before, never in practice). */
function ipKeyOfText(ip: string): Buffer | null {
  const a = parseAddress(ip);
  return a ? ipKeyOf(a) : null;
}

/** SQLite traffic queries this large are read newest days first (`sqliteGroups`). */
const WINDOW_MIN_LIMIT = 10_000;

/** Rows per PostgreSQL statement (arrays: no bound-value limit; bounded for memory). */
const PG_ROWS = 5000;

/** How a stored summary takes in a new one with the same key (`excluded`). */
function mergeSet(dialect: 'sqlite' | 'postgres'): string {
  const [max, min] = dialect === 'postgres' ? ['greatest', 'least'] : ['max', 'min'];
  const q = (c: string): string => `flow_summaries.${c}`;
  const sumNullable = (c: string): string => `${c} = case when excluded.${c} is null then ${q(c)} else coalesce(${q(c)}, 0) + excluded.${c} end`;
  return [
    `draft_policy_decision = ${max}(${q('draft_policy_decision')}, excluded.draft_policy_decision)`,
    `state = ${max}(${q('state')}, excluded.state)`,
    `first_seen = ${min}(${q('first_seen')}, excluded.first_seen)`,
    `last_seen = ${max}(${q('last_seen')}, excluded.last_seen)`,
    `connections = ${q('connections')} + excluded.connections`,
    sumNullable('bytes_in'),
    sumNullable('bytes_out'),
    `reports = ${q('reports')} + excluded.reports`,
  ].join(', ');
}

const UPSERT_TAIL = (dialect: 'sqlite' | 'postgres'): string => ` on conflict (${SUMMARY_KEY.join(',')}) do update set ${mergeSet(dialect)}`;
/** One summary upserted (a `?` per column, SUMMARY_KEY then SUMMARY_VALUES). */
export const SQLITE_UPSERT_ONE = `insert into flow_summaries (${COLUMNS.join(',')}) values (${COLUMNS.map(() => '?').join(',')})${UPSERT_TAIL('sqlite')}`;
/** One batch id recorded (org_id, batch_id, reporter_workload, received_at, flows, dropped); answers a row only when it is new. */
export const SQLITE_RECORD_BATCH = 'insert into flow_batches (org_id, batch_id, reporter_workload, received_at, flows, dropped) values (?, ?, ?, ?, ?, ?) on conflict (org_id, batch_id) do nothing returning batch_id';
const PG_UPSERT = `insert into flow_summaries (${COLUMNS.join(',')}) select * from unnest(${COLUMNS.map((c, i) => `$${i + 1}::${PG_TYPES[c]}[]`).join(', ')})${UPSERT_TAIL('postgres')}`;

/**
 * A grouped summary as the database answers it, as an array in select order: the
 * GROUP_COLUMNS, then draft decision, state, first and last seen, connections, bytes in and
 * out, reports (PostgreSQL's bigint and numeric sums arrive as strings).
 */
type GroupedSummary = readonly (number | string | null)[];
const G_SRC_SET = 0;
const G_SRC_EP = 1;
const G_DST_EP = 2;
const G_DST_SET = 3;
const G_PROTO = 4;
const G_PORT = 5;
const G_DIRECTION = 6;
const G_DECISION = 7;
const G_DRAFT = 8;
const G_STATE = 9;
const G_FIRST = 10;
const G_LAST = 11;
const G_CONNECTIONS = 12;
const G_BYTES_IN = 13;
const G_BYTES_OUT = 14;
const G_REPORTS = 15;

/** A nullable sum: null, or on PostgreSQL's packed rows '' (`postgresGroups`). */
const numOrNull = (v: number | string | null): number | null => (v === null || v === '' ? null : Number(v));

/**
 * What an aggregated flow is per (Explorer's rows): the ends, their label sets, the service,
 * the direction, the decision. In the order of the summary key, which a source-label filter
 * reads in: the grouping then needs no sort.
 */
const GROUP_COLUMNS = ['src_set', 'src_ep', 'dst_ep', 'dst_set', 'proto', 'port', 'direction', 'policy_decision'] as const;
type Millis = number | string;

const setKey = (labelIds: readonly number[]): string => [...new Set(labelIds)].sort((a, b) => a - b).join(',');
/** An endpoint's interning key. */
const endpointKey = (ip: string, workload: string): string => `${ip} ${workload}`;

const QUERY_PATCH_FIELDS = ['status', 'updated_at', 'flows_count', 'datafile_id', 'message'] as const;

export function flowQueries(db: Kysely<Database>, hooks: DialectHooks) {
  const { nextId } = orgQueries(db, hooks);
  const col = (side: 'src' | 'dst', c: 'set' | 'ep'): RawBuilder<unknown> => sql.ref(`flow_summaries.${side}_${c}`);

  /** Balanced OR: SQLite refuses expressions nested deeper than 1,000 (a long `a or b or …` is that deep). */
  function anyOf(parts: readonly Expression<SqlBool>[]): Expression<SqlBool> {
    if (parts.length === 0) return sql<SqlBool>`1 = 0`;
    if (parts.length === 1) return parts[0] ?? sql<SqlBool>`1 = 0`;
    const mid = parts.length >> 1;
    return sql<SqlBool>`(${anyOf(parts.slice(0, mid))} or ${anyOf(parts.slice(mid))})`;
  }

  /** A key as an SQL literal (generated bytes, never user text). */
  const keyLit = (k: Buffer): RawBuilder<unknown> => sql.raw(hooks.dialect === 'postgres' ? `'\\x${k.toString('hex')}'::bytea` : `x'${k.toString('hex')}'`);

  function inRanges(r: FlowIpRanges): Expression<SqlBool> {
    const parts: Expression<SqlBool>[] = [];
    const add = (from: ParsedAddress, to: ParsedAddress): void => void parts.push(sql<SqlBool>`flow_endpoints.ipk between ${keyLit(ipKeyOf(from))} and ${keyLit(ipKeyOf(to))}`);
    for (let i = 0; i + 1 < r.v4.length; i += 2) add({ family: 4, v: r.v4[i] ?? 0 }, { family: 4, v: r.v4[i + 1] ?? 0 });
    for (let i = 0; i + 1 < r.v6.length; i += 2) add({ family: 6, v: r.v6[i] ?? 0n }, { family: 6, v: r.v6[i + 1] ?? 0n });
    return anyOf(parts);
  }

  /**
   * The label sets of a side that satisfy every label term of one AND group (a label group
   * term: any of its labels), or undefined when the group has no label term. Intersected
   * here, so `role=web AND env=prod` is one `src_set IN (…)` and an impossible AND none.
   */
  function setsMatching(setsOf: ReadonlyMap<number, readonly number[]>, all: readonly FlowEndpointTerm[]): Set<number> | undefined {
    let acc: Set<number> | undefined;
    for (const t of all) {
      const labels = 'labelId' in t ? [t.labelId] : 'anyLabel' in t ? t.anyLabel : undefined;
      if (labels === undefined) continue;
      const sets = new Set(labels.flatMap((l) => setsOf.get(l) ?? []));
      acc = acc === undefined ? sets : new Set([...acc].filter((x) => sets.has(x)));
    }
    return acc;
  }

  function inSets(side: 'src' | 'dst', ids: ReadonlySet<number>, negated: boolean): Expression<SqlBool> {
    // Literal set ids (resolved first, a few hundred at most): the planner then sees how
    // selective the filter is and takes the key (source) or the destination index. A flow end without a
    // workload has set 0, which no label's sets hold: it is "not" every label.
    if (ids.size === 0) return negated ? sql<SqlBool>`1 = 1` : sql<SqlBool>`1 = 0`;
    const list = sql`(${sql.join([...ids].sort((a, b) => a - b).map((i) => sql.lit(i)))})`;
    return negated ? sql<SqlBool>`${col(side, 'set')} not in ${list}` : sql<SqlBool>`${col(side, 'set')} in ${list}`;
  }

  /** One endpoint condition; a workload, IP or range term names the matching endpoints (a small table) first. */
  function term(org: number, setsOf: ReadonlyMap<number, readonly number[]>, side: 'src' | 'dst', t: FlowEndpointTerm, negated: boolean): Expression<SqlBool> {
    if ('labelId' in t || 'anyLabel' in t) return inSets(side, setsMatching(setsOf, [t]) ?? new Set(), negated);
    const which = 'workload' in t ? sql<SqlBool>`flow_endpoints.workload = ${t.workload}` : 'ip' in t ? sql<SqlBool>`flow_endpoints.ip = ${t.ip}` : inRanges(t.ipRanges);
    const endpoints = sql`(select flow_endpoints.id from flow_endpoints where flow_endpoints.org_id = ${org} and ${which})`;
    return negated ? sql<SqlBool>`${col(side, 'ep')} not in ${endpoints}` : sql<SqlBool>`${col(side, 'ep')} in ${endpoints}`;
  }

  const isLabelTerm = (t: FlowEndpointTerm): boolean => 'labelId' in t || 'anyLabel' in t;

  /**
   * A side's includes (OR of ANDs; undefined: any endpoint) and excludes. When the includes
   * are one AND group with label terms: `sets`, the label sets it allows, and `rest`, its
   * other terms (the side can then be read one label set at a time: `postgresGroups`).
   */
  function sideConditions(
    org: number,
    setsOf: ReadonlyMap<number, readonly number[]>,
    side: 'src' | 'dst',
    f: FlowSideFilter | undefined,
  ): { include?: Expression<SqlBool>; exclude: Expression<SqlBool>[]; sets?: ReadonlySet<number>; rest?: Expression<SqlBool>[] } {
    if (!f) return { exclude: [] };
    const exclude = f.exclude.map((x) => term(org, setsOf, side, x, true));
    if (f.include.length === 0) return { exclude };
    const alternatives = f.include.map((all) => {
      const sets = setsMatching(setsOf, all);
      const rest = all.filter((x) => !isLabelTerm(x)).map((x) => term(org, setsOf, side, x, false));
      const parts = [...(sets === undefined ? [] : [inSets(side, sets, false)]), ...rest];
      return { sets, rest, expr: parts.length === 0 ? sql<SqlBool>`1 = 1` : sql<SqlBool>`(${sql.join(parts, sql` and `)})` };
    });
    const only = alternatives.length === 1 ? alternatives[0] : undefined;
    const drives = only?.sets !== undefined && only.sets.size > 0 ? { sets: only.sets, rest: only.rest } : {};
    return { include: anyOf(alternatives.map((a) => a.expr)), exclude, ...drives };
  }

  /**
   * Every condition of a query but org, with label terms resolved to label sets; undefined
   * when nothing can match. `driver`: the one side whose includes are label sets (and
   * possibly other terms, ANDed), its sets, and `rest`: every condition but its `…_set IN (…)`.
   */
  async function conditions(org: number, q: FlowQuery): Promise<{ where: Expression<SqlBool>[]; driver?: { side: 'src' | 'dst'; sets: number[]; rest: Expression<SqlBool>[] } } | undefined> {
    if (q.limit <= 0 || (q.decisions !== undefined && q.decisions.length === 0)) return undefined;
    const labelIds = new Set<number>();
    for (const f of [q.src, q.dst]) {
      for (const x of [...(f?.include.flat() ?? []), ...(f?.exclude ?? [])]) {
        if ('labelId' in x) labelIds.add(x.labelId);
        else if ('anyLabel' in x) for (const l of x.anyLabel) labelIds.add(l);
      }
    }
    const setsOf = new Map<number, number[]>();
    for (const part of chunks([...labelIds], 500)) {
      const rows = await db.selectFrom('flow_label_set_labels').select(['label_id', 'set_id']).where('org_id', '=', org).where('label_id', 'in', part).execute();
      for (const r of rows) setsOf.set(r.label_id, [...(setsOf.get(r.label_id) ?? []), r.set_id]);
    }
    const src = sideConditions(org, setsOf, 'src', q.src);
    const dst = sideConditions(org, setsOf, 'dst', q.dst);
    const common: Expression<SqlBool>[] = [...src.exclude, ...dst.exclude];
    const include = q.services?.include ?? [];
    if (include.length > 0) common.push(anyOf(include.map(service)));
    for (const s of q.services?.exclude ?? []) common.push(sql<SqlBool>`not ${service(s)}`);
    if (q.decisions !== undefined) common.push(sql<SqlBool>`flow_summaries.policy_decision in (${sql.join(q.decisions.map(decisionCode))})`);
    if (q.since !== undefined) {
      // A summary is filed under the day it was last seen: earlier days cannot match.
      common.push(sql<SqlBool>`flow_summaries.day >= ${Math.floor(q.since / DAY_MS)}`);
      common.push(sql<SqlBool>`flow_summaries.last_seen >= ${q.since}`);
    }
    if (q.until !== undefined) common.push(sql<SqlBool>`flow_summaries.first_seen <= ${q.until}`);
    if (q.sidesOp === 'or' && src.include && dst.include) return { where: [...common, anyOf([src.include, dst.include])] };
    const where = [...common, ...[src.include, dst.include].filter((x) => x !== undefined)];
    // Both sides with label includes: their intersection is small, any plan is quick.
    const [side, by, other] = src.sets !== undefined && dst.sets === undefined ? (['src', src, dst] as const) : dst.sets !== undefined && src.sets === undefined ? (['dst', dst, src] as const) : [];
    if (side === undefined || by.sets === undefined) return { where };
    const rest = [...common, ...(by.rest ?? []), ...(other.include === undefined ? [] : [other.include])];
    return { where, driver: { side, sets: [...by.sets].sort((a, b) => a - b), rest } };
  }

  /** A service term; a flow without a port (stored -1) matches no port or range. */
  function service(s: FlowServiceTerm): Expression<SqlBool> {
    const parts: Expression<SqlBool>[] = [];
    if (s.proto !== undefined) parts.push(sql<SqlBool>`flow_summaries.proto = ${s.proto}`);
    if (s.port !== undefined) parts.push(s.toPort !== undefined ? sql<SqlBool>`flow_summaries.port between ${s.port} and ${s.toPort}` : sql<SqlBool>`flow_summaries.port = ${s.port}`);
    return parts.length === 0 ? sql<SqlBool>`1 = 1` : sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
  }

  /** The IP and workload of endpoint ids. */
  async function endpoints(ids: Iterable<number>): Promise<Map<number, { ip: string; workload: string | null }>> {
    const out = new Map<number, { ip: string; workload: string | null }>();
    // PostgreSQL: one array parameter (one round trip for 200,000 ids); SQLite: bound lists.
    const parts = hooks.dialect === 'postgres' ? [[...new Set(ids)]] : chunks([...new Set(ids)], 1000);
    for (const part of parts) {
      if (part.length === 0) continue;
      const which = hooks.dialect === 'postgres' ? sql<SqlBool>`flow_endpoints.id = any(${part}::bigint[])` : sql<SqlBool>`flow_endpoints.id in (${sql.join(part)})`;
      const rows = await db.selectFrom('flow_endpoints').select(['id', 'ip', 'workload']).where(which).execute();
      for (const r of rows) out.set(Number(r.id), { ip: r.ip, workload: r.workload === '' ? null : r.workload });
    }
    return out;
  }

  /** The aggregated flows of a query, grouped (unordered, unlimited). */
  function grouped(org: number, where: readonly Expression<SqlBool>[]) {
    let b = db
      .selectFrom('flow_summaries')
      .select(GROUP_COLUMNS)
      .select([
        sql<number>`max(flow_summaries.draft_policy_decision)`.as('draft_policy_decision'),
        sql<number>`max(flow_summaries.state)`.as('state'),
        sql<Millis>`min(flow_summaries.first_seen)`.as('first_seen'),
        sql<Millis>`max(flow_summaries.last_seen)`.as('last_seen'),
        sql<Millis>`sum(flow_summaries.connections)`.as('connections'),
        sql<Millis | null>`sum(flow_summaries.bytes_in)`.as('bytes_in'),
        sql<Millis | null>`sum(flow_summaries.bytes_out)`.as('bytes_out'),
        sql<Millis>`sum(flow_summaries.reports)`.as('reports'),
      ])
      .where('flow_summaries.org_id', '=', org);
    for (const w of where) b = b.where(w);
    return b.groupBy(GROUP_COLUMNS);
  }

  /**
   * SQLite: newest first, ties in key order. A label filter reads its rows in key order, the
   * grouping streams; up to 100,000 rows answered as arrays (no object per row).
   *
   * A large result is read newest days first: keeping the newest 100,000 of half a million
   * groups, the sort took a third of the query. A group's newest day holds its last seen, so
   * the groups seen since a day are newer than all others: one covering index scan counts
   * the matching summaries and their days, and the sort only takes the groups seen in the
   * newest days that should hold the answer (1.5 times the limit, were summaries spread
   * evenly over the days); should they fall short, the older groups fill in after them.
   */
  async function sqliteGroups(org: number, where: readonly Expression<SqlBool>[], limit: number): Promise<GroupedSummary[]> {
    const mark = hooks.arrayRowsMark;
    if (mark === undefined) throw new Error('a SQLite store answers grouped flows as arrays (arrayRowsMark)');
    const run = async (having: Expression<SqlBool> | undefined, n: number): Promise<GroupedSummary[]> => {
      const g = grouped(org, where);
      let ordered = (having === undefined ? g : g.having(having)).orderBy(sql`max(flow_summaries.last_seen)`, 'desc');
      for (const c of GROUP_COLUMNS) ordered = ordered.orderBy(c);
      const compiled = ordered.limit(n).compile();
      return (await db.executeQuery<GroupedSummary>(CompiledQuery.raw(mark + compiled.sql, [...compiled.parameters]))).rows;
    };
    if (limit < WINDOW_MIN_LIMIT) return run(undefined, limit);
    let counted = db
      .selectFrom('flow_summaries')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('flow_summaries.day').as('lo'), eb.fn.max('flow_summaries.day').as('hi')])
      .where('flow_summaries.org_id', '=', org);
    for (const w of where) counted = counted.where(w);
    const { n, lo, hi } = (await counted.executeTakeFirst()) ?? { n: 0, lo: null, hi: null };
    if (lo === null || hi === null || n <= limit * 1.5) return run(undefined, limit);
    const edge = (hi + 1 - Math.ceil(((hi - lo + 1) * limit * 1.5) / n)) * DAY_MS;
    const newest = await run(sql<SqlBool>`max(flow_summaries.last_seen) >= ${edge}`, limit);
    if (newest.length === limit) return newest;
    return [...newest, ...(await run(sql<SqlBool>`max(flow_summaries.last_seen) < ${edge}`, limit - newest.length))];
  }

  /**
   * PostgreSQL, in the same order. Two things SQLite does not need:
   * - A label filter is a `…_set = ANY(…)` index condition, whose rows PostgreSQL (before 17)
   *   does not know to be in key order: it hashed half a million groups (0.5 s, 250 MB).
   *   Grouped one label set at a time (a lateral join over the sets), each group is read
   *   from the index in order and streams.
   * - Each row comes back as one text of comma-separated numbers: node-postgres parses a
   *   field at a time, and 100,000 rows of 16 fields took longer than the query.
   */
  async function postgresGroups(org: number, c: NonNullable<Awaited<ReturnType<typeof conditions>>>, limit: number): Promise<GroupedSummary[]> {
    const from =
      c.driver === undefined
        ? sql`(${grouped(org, c.where)}) as g`
        : sql`unnest(${sql.raw(`array[${c.driver.sets.join(',')}]`)}::int[]) as s(v) cross join lateral (${grouped(org, [...c.driver.rest, sql<SqlBool>`${col(c.driver.side, 'set')} = s.v`])}) as g`;
    const g = (name: string): RawBuilder<unknown> => sql.ref(`g.${name}`);
    const fields = [...GROUP_COLUMNS, ...SUMMARY_VALUES].map((f) => sql`coalesce(${g(f)}::text, '')`);
    // Half a million groups sorted in memory rather than in temp files (the default 4 MB
    // work_mem spilled 50 MB to disk); for this transaction only.
    await sql`set local work_mem = '128MB'`.execute(db);
    const r = await sql<{ r: string }>`select concat_ws(',', ${sql.join(fields)}) as r from ${from}
      order by ${g('last_seen')} desc, ${sql.join(GROUP_COLUMNS.map(g))} limit ${limit}`.execute(db);
    return r.rows.map((x) => x.r.split(','));
  }

  return {
    async recordFlowBatch(row) {
      const r = await db
        .insertInto('flow_batches')
        .values(row)
        .onConflict((oc) => oc.columns(['org_id', 'batch_id']).doNothing())
        .returning('batch_id')
        .executeTakeFirst();
      return r !== undefined;
    },

    async labelSetIds(org, sets) {
      const keys = sets.map(setKey);
      const distinct = [...new Set(keys)];
      const found = new Map<string, number>();
      const lookup = async (want: string[]): Promise<void> => {
        for (const part of chunks(want, 500)) {
          const rows = await db.selectFrom('flow_label_sets').select(['id', 'label_ids']).where('org_id', '=', org).where('label_ids', 'in', part).execute();
          for (const r of rows) found.set(r.label_ids, r.id);
        }
      };
      await lookup(distinct);
      // In key order, so concurrent transactions interning the same sets never deadlock.
      const missing = distinct.filter((k) => !found.has(k)).sort();
      for (const key of missing) {
        const id = await nextId(org, 'flow_label_sets');
        // Another PCE process may intern the same set at once: the unique key keeps one.
        const inserted = await db
          .insertInto('flow_label_sets')
          .values({ org_id: org, id, label_ids: key })
          .onConflict((oc) => oc.columns(['org_id', 'label_ids']).doNothing())
          .returning('id')
          .executeTakeFirst();
        if (inserted && key !== '') {
          await db
            .insertInto('flow_label_set_labels')
            .values(key.split(',').map((l) => ({ org_id: org, label_id: Number(l), set_id: id })))
            .execute();
        }
      }
      if (missing.length > 0) await lookup(missing);
      return keys.map((k) => {
        const id = found.get(k);
        if (id === undefined) throw new Error(`label set ${k} was not interned`);
        return id;
      });
    },

    async labelSets(org, ids) {
      const out = new Map<number, number[]>();
      for (const part of chunks([...new Set(ids)], 500)) {
        const rows = await db.selectFrom('flow_label_sets').select(['id', 'label_ids']).where('org_id', '=', org).where('id', 'in', part).execute();
        for (const r of rows) out.set(r.id, r.label_ids === '' ? [] : r.label_ids.split(',').map(Number));
      }
      return out;
    },

    async flowEndpointIds(org, eps, day) {
      const keys = eps.map((e) => endpointKey(e.ip, e.workload ?? ''));
      // In key order: concurrent PostgreSQL transactions interning or touching the same
      // endpoints then wait for each other in one order, never deadlock.
      const wanted = [...new Map(eps.map((e, i) => [keys[i] ?? '', e]))].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, e]) => e);
      const max = hooks.dialect === 'postgres' ? 'greatest' : 'max';
      for (const part of chunks(wanted, 500)) {
        // Another PCE process may intern the same endpoint at once: the unique key keeps one.
        await db
          .insertInto('flow_endpoints')
          .values(part.map((e) => ({ org_id: org, ip: e.ip, ipk: ipKeyOfText(e.ip), workload: e.workload ?? '', last_day: day })))
          .onConflict((oc) => oc.columns(['org_id', 'ip', 'workload']).doUpdateSet({ last_day: sql<number>`${sql.raw(max)}(flow_endpoints.last_day, excluded.last_day)` }))
          .execute();
      }
      const found = new Map<string, number>();
      for (const part of chunks([...new Set(wanted.map((e) => e.ip))], 500)) {
        const rows = await db.selectFrom('flow_endpoints').select(['id', 'ip', 'workload']).where('org_id', '=', org).where('ip', 'in', part).execute();
        for (const r of rows) found.set(endpointKey(r.ip, r.workload), Number(r.id));
      }
      return keys.map((k) => {
        const id = found.get(k);
        if (id === undefined) throw new Error(`flow endpoint ${k} was not interned`);
        return id;
      });
    },

    async addFlows(rows) {
      const merged = mergedSummaries(rows, hooks.dialect === 'postgres');
      if (hooks.dialect === 'postgres') {
        for (const part of chunks(merged, PG_ROWS)) {
          const columns: unknown[][] = COLUMNS.map((_, c) => part.map((v) => v[c]));
          await db.executeQuery(CompiledQuery.raw(PG_UPSERT, columns));
        }
        return;
      }
      if (!hooks.runEach) throw new Error('a SQLite store upserts flow summaries through runEach');
      hooks.runEach(SQLITE_UPSERT_ONE, merged);
    },

    async queryFlowSummaries(org, q) {
      const c = await conditions(org, q);
      if (c === undefined) return [];
      const limit = Math.floor(q.limit);
      const rows = hooks.dialect === 'postgres' ? await postgresGroups(org, c, limit) : await sqliteGroups(org, c.where, limit);
      const eps = await endpoints(rows.flatMap((r) => [Number(r[G_SRC_EP]), Number(r[G_DST_EP])]));
      const none = { ip: '', workload: null };
      return rows.map((r): FlowSummaryRow => {
        const src = eps.get(Number(r[G_SRC_EP])) ?? none;
        const dst = eps.get(Number(r[G_DST_EP])) ?? none;
        const srcSet = Number(r[G_SRC_SET]);
        const dstSet = Number(r[G_DST_SET]);
        const port = Number(r[G_PORT]);
        return {
          src_ip: src.ip,
          dst_ip: dst.ip,
          src_workload: src.workload,
          dst_workload: dst.workload,
          src_set: srcSet === 0 ? null : srcSet,
          dst_set: dstSet === 0 ? null : dstSet,
          proto: Number(r[G_PROTO]),
          port: port < 0 ? null : port,
          direction: DIRECTIONS[Number(r[G_DIRECTION])] ?? 'inbound',
          first_seen: Number(r[G_FIRST]),
          last_seen: Number(r[G_LAST]),
          connections: Number(r[G_CONNECTIONS]),
          bytes_in: numOrNull(r[G_BYTES_IN] ?? null),
          bytes_out: numOrNull(r[G_BYTES_OUT] ?? null),
          state: stateOf(Number(r[G_STATE])),
          policy_decision: decisionOf(Number(r[G_DECISION])),
          draft_policy_decision: decisionOf(Number(r[G_DRAFT])),
          flows: Number(r[G_REPORTS]),
        };
      });
    },

    async countFlows(org) {
      return countOf(await db.selectFrom('flow_summaries').select((eb) => eb.fn.countAll<string | number>().as('n')).where('org_id', '=', org).executeTakeFirst());
    },

    async deleteFlowsBefore(org, cutoff, limit) {
      // At most `limit` rows (the physical row id picks them: SQLite's rowid, PostgreSQL's ctid).
      const rowId = sql.raw(hooks.dialect === 'postgres' ? 'ctid' : 'rowid');
      const r = await sql`
        delete from flow_summaries where ${rowId} in (
          select ${rowId} from flow_summaries where org_id = ${org} and day <= ${Math.floor(cutoff / DAY_MS)} and last_seen < ${cutoff} limit ${Math.floor(limit)})`.execute(db);
      await db.deleteFrom('flow_batches').where('org_id', '=', org).where('received_at', '<', cutoff).execute();
      return Number(r.numAffectedRows ?? 0);
    },

    async deleteFlowEndpointsBefore(org, day, limit) {
      const r = await db
        .deleteFrom('flow_endpoints')
        .where('id', 'in', (eb) => eb.selectFrom('flow_endpoints').select('id').where('org_id', '=', org).where('last_day', '<', day).limit(Math.floor(limit)))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },

    async draftStamp(org) {
      const stamp = async (table: 'policy_draft' | 'workloads' | 'labels'): Promise<string> => {
        const r = await db
          .selectFrom(table)
          .select((eb) => [eb.fn.countAll<string | number>().as('n'), eb.fn.max('updated_at').as('at')])
          .where('org_id', '=', org)
          .executeTakeFirst();
        return `${String(r?.n ?? 0)}@${String(r?.at ?? '')}`;
      };
      return [await stamp('policy_draft'), await stamp('workloads'), await stamp('labels')].join('|');
    },

    async insertFlowQuery(row) {
      await db.insertInto('flow_queries').values(row).execute();
    },
    async updateFlowQuery(org, id, patch) {
      const set = Object.fromEntries(QUERY_PATCH_FIELDS.filter((k) => patch[k] !== undefined).map((k) => [k, patch[k]])) as typeof patch;
      if (Object.keys(set).length === 0) return;
      await db.updateTable('flow_queries').set(set).where('org_id', '=', org).where('id', '=', id).execute();
    },
    async getFlowQuery(org, id) {
      const r = await db.selectFrom('flow_queries').selectAll().where('org_id', '=', org).where('id', '=', id).executeTakeFirst();
      return r === undefined ? undefined : (r as FlowQueryRow);
    },
    async listFlowQueries(org) {
      const rows = await db.selectFrom('flow_queries').selectAll().where('org_id', '=', org).orderBy('created_at', 'desc').orderBy('id').execute();
      return rows as FlowQueryRow[];
    },
  } satisfies Partial<StoreTx>;
}

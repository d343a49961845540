/**
 * Traffic flows (migrations/002-flows.ts): batched ingest, label-filtered queries, retention,
 * label-set interning, batch idempotency, async traffic queries.
 *
 * Ingest is the hot path: rows are written by a prepared statement text built once per chunk
 * size (SQLite: a multi-row VALUES; PostgreSQL: one `INSERT … SELECT FROM unnest($1, …)` with
 * one array per column, so a whole chunk is 21 bound values and one planned statement),
 * bypassing the query builder, whose cost per value dominates at 50,000 rows a second.
 */
import { CompiledQuery, sql, type Expression, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import { parseAddress, type ParsedAddress } from '@palisade/core/compute/address-ranges.ts';
import type { DialectHooks } from './dialect-hooks.ts';
import { chunks, countOf } from './kysely-sql.ts';
import { orgQueries } from './kysely-org-queries.ts';
import type { Database } from './schema.ts';
import type { FlowDecision, FlowDirection, FlowEndpointTerm, FlowIpRanges, FlowQuery, FlowQueryRow, FlowRow, FlowServiceTerm, FlowSideFilter, FlowState, FlowSummaryRow, NewFlowRow, StoreTx } from './store.ts';

const DECISIONS: readonly FlowDecision[] = ['allowed', 'potentially_blocked', 'blocked', 'unknown'];
const DIRECTIONS: readonly FlowDirection[] = ['inbound', 'outbound'];
const decisionCode = (d: FlowDecision): number => DECISIONS.indexOf(d);
const decisionOf = (n: number): FlowDecision => DECISIONS[n] ?? 'unknown';
const stateOf = (n: number): FlowState => (n === 1 ? 'potentially_blocked' : n === 2 ? 'blocked' : 'allowed');

const COLUMNS = [
  'org_id',
  'src_ip',
  'dst_ip',
  'src_workload',
  'dst_workload',
  'src_set',
  'dst_set',
  'proto',
  'port',
  'direction',
  'first_seen',
  'last_seen',
  'connections',
  'bytes_in',
  'bytes_out',
  'reporter_workload',
  'state',
  'policy_decision',
  'draft_policy_decision',
  'src_ipk',
  'dst_ipk',
] as const;
const PG_TYPES = ['int', 'text', 'text', 'text', 'text', 'int', 'int', 'int', 'int', 'int', 'bigint', 'bigint', 'int', 'bigint', 'bigint', 'text', 'int', 'int', 'int', 'bytea', 'bytea'];

/**
 * An address as a byte string that sorts like the address within its family (migration
 * 004): the family (4 or 6) then the address, big-endian. IP list and CIDR filters become
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

/** Memoized per call site (a batch repeats its addresses); null for text that is not an address (validated before). */
function ipKeys(): (ip: string) => Buffer | null {
  const memo = new Map<string, Buffer | null>();
  return (ip) => {
    let k = memo.get(ip);
    if (k === undefined) {
      const a = parseAddress(ip);
      k = a ? ipKeyOf(a) : null;
      memo.set(ip, k);
    }
    return k;
  };
}

function values(r: NewFlowRow, key: (ip: string) => Buffer | null): unknown[] {
  return [
    r.org_id,
    r.src_ip,
    r.dst_ip,
    r.src_workload,
    r.dst_workload,
    r.src_set,
    r.dst_set,
    r.proto,
    r.port,
    DIRECTIONS.indexOf(r.direction),
    r.first_seen,
    r.last_seen,
    r.connections,
    r.bytes_in,
    r.bytes_out,
    r.reporter_workload,
    decisionCode(r.state),
    decisionCode(r.policy_decision),
    decisionCode(r.draft_policy_decision),
    key(r.src_ip),
    key(r.dst_ip),
  ];
}

/** Rows per SQLite statement: 21 × 1,500 bound values, under its 32,766 limit. */
const SQLITE_ROWS = 1500;
/** Rows per PostgreSQL statement (arrays: no bound-value limit; bounded for memory). */
const PG_ROWS = 5000;

const sqliteInsertTexts = new Map<number, string>();
function sqliteInsert(rows: number): string {
  let text = sqliteInsertTexts.get(rows);
  if (text === undefined) {
    const one = `(${COLUMNS.map(() => '?').join(',')})`;
    text = `insert into flows (${COLUMNS.join(',')}) values ${Array.from({ length: rows }, () => one).join(',')}`;
    sqliteInsertTexts.set(rows, text);
  }
  return text;
}
const PG_INSERT = `insert into flows (${COLUMNS.join(',')}) select * from unnest(${PG_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`;

interface StoredFlow {
  id: number | string;
  org_id: number;
  src_ip: string;
  dst_ip: string;
  src_workload: string | null;
  dst_workload: string | null;
  src_set: number | null;
  dst_set: number | null;
  proto: number;
  port: number | null;
  direction: number;
  first_seen: number | string;
  last_seen: number | string;
  connections: number;
  bytes_in: number | string | null;
  bytes_out: number | string | null;
  reporter_workload: string | null;
  state: number;
  policy_decision: number;
  draft_policy_decision: number;
}

const numOrNull = (v: number | string | null): number | null => (v === null ? null : Number(v));

type Decoded = Omit<NewFlowRow, 'org_id' | 'reporter_workload'>;

/** The columns a stored flow and an aggregate share, from their stored codes. */
function decoded(r: Omit<StoredFlow, 'id' | 'org_id' | 'reporter_workload' | 'connections'> & { connections: number | string }): Decoded {
  return {
    src_ip: r.src_ip,
    dst_ip: r.dst_ip,
    src_workload: r.src_workload,
    dst_workload: r.dst_workload,
    src_set: r.src_set,
    dst_set: r.dst_set,
    proto: r.proto,
    port: r.port,
    direction: DIRECTIONS[r.direction] ?? 'inbound',
    first_seen: Number(r.first_seen),
    last_seen: Number(r.last_seen),
    connections: Number(r.connections),
    bytes_in: numOrNull(r.bytes_in),
    bytes_out: numOrNull(r.bytes_out),
    state: stateOf(r.state),
    policy_decision: decisionOf(r.policy_decision),
    draft_policy_decision: decisionOf(r.draft_policy_decision),
  };
}

const fromStored = (r: StoredFlow): FlowRow => ({ id: Number(r.id), org_id: r.org_id, ...decoded(r), reporter_workload: r.reporter_workload });

/** Every column but the address keys (internal to filtering). */
const STORED_COLUMNS = ['id', ...COLUMNS.filter((c) => c !== 'src_ipk' && c !== 'dst_ipk')] as const;
/** What an aggregated flow is per (Explorer's rows): the ends, the service, the direction, the decision. */
const GROUP_COLUMNS = ['src_ip', 'dst_ip', 'src_workload', 'dst_workload', 'src_set', 'dst_set', 'proto', 'port', 'direction', 'policy_decision'] as const;
type Millis = number | string;

const setKey = (labelIds: readonly number[]): string => [...new Set(labelIds)].sort((a, b) => a - b).join(',');

const QUERY_PATCH_FIELDS = ['status', 'updated_at', 'flows_count', 'datafile_id', 'message'] as const;

export function flowQueries(db: Kysely<Database>, hooks: DialectHooks) {
  const { nextId } = orgQueries(db, hooks);

  /** Balanced OR: SQLite refuses expressions nested deeper than 1,000 (a long `a or b or …` is that deep). */
  function anyOf(parts: readonly Expression<SqlBool>[]): Expression<SqlBool> {
    if (parts.length === 0) return sql<SqlBool>`1 = 0`;
    if (parts.length === 1) return parts[0] ?? sql<SqlBool>`1 = 0`;
    const mid = parts.length >> 1;
    return sql<SqlBool>`(${anyOf(parts.slice(0, mid))} or ${anyOf(parts.slice(mid))})`;
  }

  /** A key as an SQL literal (generated bytes, never user text). */
  const keyLit = (k: Buffer): RawBuilder<unknown> => sql.raw(hooks.dialect === 'postgres' ? `'\\x${k.toString('hex')}'::bytea` : `x'${k.toString('hex')}'`);

  function inRanges(side: 'src' | 'dst', r: FlowIpRanges): Expression<SqlBool> {
    const col = sql.ref(`flows.${side}_ipk`);
    const parts: Expression<SqlBool>[] = [];
    const add = (from: ParsedAddress, to: ParsedAddress): void => void parts.push(sql<SqlBool>`${col} between ${keyLit(ipKeyOf(from))} and ${keyLit(ipKeyOf(to))}`);
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
    // selective the filter is and takes the (org_id, *_set, last_seen) index.
    const col = sql.ref(`flows.${side}_set`);
    if (ids.size === 0) return negated ? sql<SqlBool>`1 = 1` : sql<SqlBool>`1 = 0`;
    const list = sql`(${sql.join([...ids].sort((a, b) => a - b).map((i) => sql.lit(i)))})`;
    return negated ? sql<SqlBool>`(${col} is null or ${col} not in ${list})` : sql<SqlBool>`${col} in ${list}`;
  }

  /** One endpoint condition; `negated` is null-safe (a flow without a workload is "not" any label or workload). */
  function term(setsOf: ReadonlyMap<number, readonly number[]>, side: 'src' | 'dst', t: FlowEndpointTerm, negated: boolean): Expression<SqlBool> {
    if ('labelId' in t || 'anyLabel' in t) return inSets(side, setsMatching(setsOf, [t]) ?? new Set(), negated);
    if ('workload' in t) {
      const col = sql.ref(`flows.${side}_workload`);
      return negated ? sql<SqlBool>`(${col} is null or ${col} <> ${t.workload})` : sql<SqlBool>`${col} = ${t.workload}`;
    }
    if ('ipRanges' in t) return negated ? sql<SqlBool>`not ${inRanges(side, t.ipRanges)}` : inRanges(side, t.ipRanges);
    const col = sql.ref(`flows.${side}_ip`);
    return negated ? sql<SqlBool>`${col} <> ${t.ip}` : sql<SqlBool>`${col} = ${t.ip}`;
  }

  const isLabelTerm = (t: FlowEndpointTerm): boolean => 'labelId' in t || 'anyLabel' in t;

  /** A side's includes (OR of ANDs; undefined: any endpoint) and excludes. */
  function sideConditions(setsOf: ReadonlyMap<number, readonly number[]>, side: 'src' | 'dst', f: FlowSideFilter | undefined): { include?: Expression<SqlBool>; exclude: Expression<SqlBool>[] } {
    if (!f) return { exclude: [] };
    const exclude = f.exclude.map((x) => term(setsOf, side, x, true));
    if (f.include.length === 0) return { exclude };
    const alternatives = f.include.map((all) => {
      const sets = setsMatching(setsOf, all);
      const parts = [...(sets === undefined ? [] : [inSets(side, sets, false)]), ...all.filter((x) => !isLabelTerm(x)).map((x) => term(setsOf, side, x, false))];
      return parts.length === 0 ? sql<SqlBool>`1 = 1` : sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
    });
    return { include: anyOf(alternatives), exclude };
  }

  /** Every condition of a query but org and time, with label terms resolved to label sets; undefined when nothing can match. */
  async function conditions(org: number, q: FlowQuery): Promise<Expression<SqlBool>[] | undefined> {
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
    const src = sideConditions(setsOf, 'src', q.src);
    const dst = sideConditions(setsOf, 'dst', q.dst);
    const where: Expression<SqlBool>[] = [...src.exclude, ...dst.exclude];
    if (q.sidesOp === 'or' && src.include && dst.include) where.push(anyOf([src.include, dst.include]));
    else for (const x of [src.include, dst.include]) if (x) where.push(x);
    const include = q.services?.include ?? [];
    if (include.length > 0) where.push(anyOf(include.map(service)));
    for (const s of q.services?.exclude ?? []) where.push(sql<SqlBool>`not ${service(s)}`);
    if (q.decisions !== undefined) where.push(sql<SqlBool>`flows.policy_decision in (${sql.join(q.decisions.map(decisionCode))})`);
    if (q.since !== undefined) where.push(sql<SqlBool>`flows.last_seen >= ${q.since}`);
    if (q.until !== undefined) where.push(sql<SqlBool>`flows.first_seen <= ${q.until}`);
    return where;
  }

  function service(s: FlowServiceTerm): Expression<SqlBool> {
    const parts: Expression<SqlBool>[] = [];
    if (s.proto !== undefined) parts.push(sql<SqlBool>`flows.proto = ${s.proto}`);
    // `port is not null and …`: false, not null, for ICMP (so `not` of it is true), and still
    // a plain comparison on the indexed column.
    if (s.port !== undefined) {
      parts.push(s.toPort !== undefined ? sql<SqlBool>`(flows.port is not null and flows.port between ${s.port} and ${s.toPort})` : sql<SqlBool>`(flows.port is not null and flows.port = ${s.port})`);
    }
    return parts.length === 0 ? sql<SqlBool>`1 = 1` : sql<SqlBool>`(${sql.join(parts, sql` and `)})`;
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
      const missing = distinct.filter((k) => !found.has(k));
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

    async insertFlows(rows) {
      const key = ipKeys();
      if (hooks.dialect === 'postgres') {
        for (const part of chunks(rows, PG_ROWS)) {
          const columns: unknown[][] = COLUMNS.map(() => new Array<unknown>(part.length));
          part.forEach((r, i) => {
            const v = values(r, key);
            for (let c = 0; c < v.length; c++) (columns[c] as unknown[])[i] = v[c];
          });
          await db.executeQuery(CompiledQuery.raw(PG_INSERT, columns));
        }
        return;
      }
      for (const part of chunks(rows, SQLITE_ROWS)) {
        const params: unknown[] = [];
        for (const r of part) params.push(...values(r, key));
        await db.executeQuery(CompiledQuery.raw(sqliteInsert(part.length), params));
      }
    },

    async queryFlows(org, q) {
      const where = await conditions(org, q);
      if (where === undefined) return [];
      let base = db.selectFrom('flows').select(STORED_COLUMNS).where('org_id', '=', org);
      for (const w of where) base = base.where(w);
      const rows = await base.orderBy('last_seen', 'desc').orderBy('id', 'desc').limit(Math.floor(q.limit)).execute();
      return rows.map(fromStored);
    },

    async queryFlowSummaries(org, q) {
      const where = await conditions(org, q);
      if (where === undefined) return [];
      let base = db
        .selectFrom('flows')
        .select(GROUP_COLUMNS)
        .select([
          sql<number>`max(flows.draft_policy_decision)`.as('draft_policy_decision'),
          sql<number>`max(flows.state)`.as('state'),
          sql<Millis>`min(flows.first_seen)`.as('first_seen'),
          sql<Millis>`max(flows.last_seen)`.as('last_seen'),
          sql<Millis>`sum(flows.connections)`.as('connections'),
          sql<Millis | null>`sum(flows.bytes_in)`.as('bytes_in'),
          sql<Millis | null>`sum(flows.bytes_out)`.as('bytes_out'),
          sql<Millis>`count(*)`.as('flows'),
        ])
        .where('org_id', '=', org);
      for (const w of where) base = base.where(w);
      const rows = await base
        .groupBy(GROUP_COLUMNS)
        .orderBy(sql`max(flows.last_seen)`, 'desc')
        .orderBy('src_ip')
        .orderBy('dst_ip')
        .orderBy('proto')
        .orderBy(sql`coalesce(flows.port, -1)`)
        .orderBy('direction')
        .orderBy('policy_decision')
        .limit(Math.floor(q.limit))
        .execute();
      return rows.map((r): FlowSummaryRow => ({ ...decoded(r), flows: Number(r.flows) }));
    },

    async countFlows(org) {
      return countOf(await db.selectFrom('flows').select((eb) => eb.fn.countAll<string | number>().as('n')).where('org_id', '=', org).executeTakeFirst());
    },

    async deleteFlowsBefore(org, cutoff) {
      const r = await db.deleteFrom('flows').where('org_id', '=', org).where('last_seen', '<', cutoff).executeTakeFirst();
      await db.deleteFrom('flow_batches').where('org_id', '=', org).where('received_at', '<', cutoff).execute();
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

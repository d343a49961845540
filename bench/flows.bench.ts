/**
 * Issue 6 figures.
 * 1. Ingest throughput, flow summaries a second, through the service layer the agent route
 *    calls (`FlowIngest.ingest`: attribution, active + draft decisions, one transaction per
 *    batch; the route adds JSON parsing and validation), with FLOWS_BENCH_IN_FLIGHT (default
 *    4) batches of different VENs in progress at once, as a fleet sends them into SQLite and PostgreSQL (targets
 *    ≥ 50,000/s SQLite, ≥ 30,000/s PostgreSQL). Each figure is given by wall time and by CPU
 *    time (this process, plus the PostgreSQL server's processes): on a loaded machine the
 *    wall figure says how busy the machine was, the CPU figure what the code costs.
 * 2. Label-filtered queries over 10 million stored flows (daily flow summaries, the rows the
 *    PCE stores), p50/p95 (target p95 ≤ 2 s): the aggregated query an async traffic query
 *    runs (`Store.queryFlowSummaries`, Explorer's rows). The 10M rows are generated, not
 *    ingested: SQLite gets them through one prepared INSERT in big transactions (each day's
 *    rows in key order), PostgreSQL through set-based INSERT … SELECT over generate_series
 *    (unless FLOWS_BENCH_PG_10M=0); secondary indexes are built afterwards, as migration 005
 *    defines them. 2,000 workloads talk at random over 15 ports and 30 days (so nearly every
 *    row is its own group: the worst case for grouping).
 * Org: 80 labels, 2,000 managed workloads (4 labels each, modes mixed), 100 rules, provisioned.
 * Env: FLOWS_BENCH_ROWS (default 10,000,000), FLOWS_BENCH_INGEST (default 300,000),
 * FLOWS_BENCH_ONLY (ingest,sqlite10m,pg10m), FLOWS_BENCH_SQLITE_FILE (keep the 10M SQLite
 * file there and reuse it on the next run), FLOWS_BENCH_PG_URL (the 10M PostgreSQL flows in
 * that database, loaded by the first run and reused by the next ones, instead of a throwaway
 * server), FLOWS_BENCH_RUNS (query runs, default 10).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg as osLoadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pino from 'pino';
import pg from 'pg';
import { startPce, type RunningPce } from '@palisade/pce/main.ts';
import { openSqliteStore } from '@palisade/pce/store/sqlite/sqlite-store.ts';
import { openPostgresStore } from '@palisade/pce/store/postgres/postgres-store.ts';
import type { FlowQuery, Store } from '@palisade/pce/store/store.ts';
import type { FlowBatch } from '@palisade/pce/flows/flow-schemas.ts';
import { startPostgres } from '../test/support/postgres.ts';
import { rng } from './synthetic-org.ts';
import { stealMeter } from './cpu-steal.ts';
import { DST_INDEX, postgresSummaryIndexes } from '@palisade/pce/store/migrations/005-flow-summaries.ts';

const WORKLOADS = 2000;
const ROWS = Number(process.env['FLOWS_BENCH_ROWS'] ?? 10_000_000);
const INGEST = Number(process.env['FLOWS_BENCH_INGEST'] ?? 300_000);
const BATCH = 5000;
const IN_FLIGHT = Number(process.env['FLOWS_BENCH_IN_FLIGHT'] ?? 4);
const RUNS = Number(process.env['FLOWS_BENCH_RUNS'] ?? 10);
const PORTS = [22, 53, 80, 123, 389, 443, 1433, 3306, 5432, 6379, 8080, 8443, 9090, 9200, 27017];
const LABEL_KEYS = [['role', 20], ['app', 50], ['env', 4], ['loc', 6]] as const;

const ipOf = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const loadavg = (): string => osLoadavg().map((l) => l.toFixed(2)).join(' ');

/** Label ids 1..80 by key; workload i carries role i%20, app i%50, env i%4, loc i%6. */
function labelsOf(i: number): number[] {
  return [1 + (i % 20), 21 + (i % 50), 71 + (i % 4), 75 + (i % 6)];
}

async function seed(p: RunningPce): Promise<string[]> {
  const { store, env } = p.pce;
  const now = env.now().toISOString();
  const ids: string[] = [];
  await store.transaction(async (tx) => {
    for (const [key, count] of LABEL_KEYS) {
      for (let i = 0; i < count; i++) {
        const id = await tx.nextId(1, 'labels');
        await tx.insertLabel({ org_id: 1, id, key, value: `${key}-${i}`, created_at: now, updated_at: now });
      }
    }
    const modes = ['full', 'full', 'visibility_only', 'selective'];
    for (let i = 0; i < WORKLOADS; i++) {
      const id = env.uuid();
      ids.push(id);
      const w = {
        name: `host-${i}`, hostname: `host-${i}.example.test`, description: '', public_ip: null,
        interfaces: [{ name: 'eth0', address: ipOf(i), cidr_block: 16 }],
        os_type: 'linux', os_version: '', enforcement_mode: modes[i % 4], visibility_level: 'flow_summary', ven_id: `ven-${i}`, created_at: now, updated_at: now,
      };
      await tx.insertWorkload({ org_id: 1, id, data: JSON.stringify(w), label_ids: labelsOf(i), created_at: now, updated_at: now });
    }
  });
  // 10 rule sets × 10 rules: role → role on a port, scoped by app.
  const key = JSON.parse(JSON.stringify(p.adminKey)) as { key_id: string; secret: string };
  const auth = 'Basic ' + Buffer.from(`${key.key_id}:${key.secret}`).toString('base64');
  for (let s = 0; s < 10; s++) {
    const rules = Array.from({ length: 10 }, (_, r) => ({
      providers: [{ label: { href: `/orgs/1/labels/${1 + ((s * 10 + r) % 20)}` } }],
      consumers: [{ label: { href: `/orgs/1/labels/${1 + ((s * 10 + r + 7) % 20)}` } }],
      ingress_services: [{ proto: 6, port: PORTS[(s + r) % PORTS.length] }],
    }));
    const res = await fetch(`${p.url}/api/v2/orgs/1/sec_policy/draft/rule_sets`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: `rs-${s}`, scopes: [], rules }) });
    if (res.status !== 201) throw new Error(`rule set: ${res.status} ${await res.text()}`);
  }
  const prov = await fetch(`${p.url}/api/v2/orgs/1/sec_policy`, { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ update_description: 'bench' }) });
  if (prov.status !== 201) throw new Error(`provision: ${prov.status}`);
  p.pce.compute.invalidate(1);
  return ids;
}

type Tuple = readonly [src: string, dst: string, port: number];

function randomTuple(r: () => number): Tuple {
  const src = r() < 0.1 ? `192.0.2.${Math.floor(r() * 250)}` : ipOf(Math.floor(r() * WORKLOADS));
  return [src, ipOf(Math.floor(r() * WORKLOADS)), PORTS[Math.floor(r() * PORTS.length)] ?? 443];
}

/** `pool`: summaries of a fixed set of connection tuples (hosts keep talking to the same peers); none: every tuple new. */
function batchOf(r: () => number, n: number, id: string, t0: number, pool?: readonly Tuple[]): FlowBatch {
  const flows: FlowBatch['flows'] = [];
  for (let i = 0; i < n; i++) {
    const [src, dst, port] = pool ? (pool[Math.floor(r() * pool.length)] ?? randomTuple(r)) : randomTuple(r);
    const last = t0 + Math.floor(r() * 600_000);
    flows.push({ src_ip: src, dst_ip: dst, proto: 6, dst_port: port, direction: 'inbound', first_seen: new Date(last - 60_000).toISOString(), last_seen: new Date(last).toISOString(), connections: 1 + Math.floor(r() * 20), state: r() < 0.1 ? 'blocked' : 'allowed' });
  }
  return { batch_id: id, dropped: 0, flows };
}

const TICK_S = 0.01;

/** CPU seconds of the PostgreSQL server listening on `port` (postmaster, its live children, and the children it reaped). */
function pgServerCpu(port: string): number {
  const stat = (pid: string): string[] | undefined => {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return text.slice(text.lastIndexOf(')') + 2).split(' ');
    } catch {
      return undefined;
    }
  };
  const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  const master = pids.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(`-p ${port} `);
    } catch {
      return false;
    }
  });
  if (master === undefined) return NaN;
  // Fields after the command: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
  const own = stat(master);
  let ticks = own ? Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]) : 0;
  for (const pid of pids) {
    const st = stat(pid);
    if (st && st[1] === master) ticks += Number(st[11]) + Number(st[12]);
  }
  return ticks * TICK_S;
}

const cpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

async function ingestBench(label: string, db: string | undefined): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-flows-bench-'));
  const p = await startPce({ dataDir: dir, listen: '127.0.0.1:0', tls: 'off', rateLimitPerMinute: 0, logger: pino({ level: 'silent' }), ...(db ? { db } : {}) });
  try {
    const workloads = await seed(p);
    const r = rng(7);
    // Flows of a ten-minute window inside one UTC day (yesterday 22:00), whatever the time:
    // a window across midnight makes two daily summaries of each recurring tuple.
    const t0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 3_600_000;
    // Warm up: engines (active and draft) built, statements prepared.
    await p.pce.flows.ingest({ org: 1, workloadId: workloads[0] ?? '' }, batchOf(r, 1000, 'warm', t0));
    const pool = Array.from({ length: 20_000 }, () => randomTuple(r));
    for (const [name, tuples] of [['every tuple new (worst case)', undefined], ['20,000 recurring tuples', pool]] as const) {
      const batches = Array.from({ length: Math.ceil(INGEST / BATCH) }, (_, i) => batchOf(r, BATCH, `bench-${name}-${i}`, t0, tuples));
      const before = await p.pce.store.read((tx) => tx.countFlows(1));
      const pgPort = db === undefined ? undefined : new URL(db).port;
      const cpu0 = cpuSeconds() + (pgPort ? pgServerCpu(pgPort) : 0);
      const stolen = stealMeter();
      const started = performance.now();
      // Batches of different VENs arrive at once: IN_FLIGHT of them are being ingested at any time.
      let next = 0;
      const sender = async (): Promise<void> => {
        for (let i = next++; i < batches.length; i = next++) await p.pce.flows.ingest({ org: 1, workloadId: workloads[i % WORKLOADS] ?? '' }, batches[i] as FlowBatch);
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, sender));
      const s = (performance.now() - started) / 1000;
      const cpu = cpuSeconds() + (pgPort ? pgServerCpu(pgPort) : 0) - cpu0;
      const stored = (await p.pce.store.read((tx) => tx.countFlows(1))) - before;
      console.log(
        `${label}: ingest ${fmt(INGEST)} flow summaries, ${name}, batches of ${fmt(BATCH)} (${IN_FLIGHT} at once) through FlowIngest: ${s.toFixed(2)} s = ${fmt(INGEST / s)} flows/s by wall time; ` +
          `${cpu.toFixed(2)} CPU s${pgPort ? ' (PCE + PostgreSQL server)' : ''} = ${fmt(INGEST / cpu)} flows per CPU second (stored ${fmt(stored)}) (target ≥ ${label === 'SQLite' ? '50,000' : '30,000'}/s; load ${loadavg()}; CPU stolen by the host ${stolen()})`,
      );
    }
  } finally {
    await p.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Label sets of the 2,000 workloads, interned through the store (as ingest does). */
async function internSets(store: Store): Promise<number[]> {
  return store.transaction((tx) => tx.labelSetIds(1, Array.from({ length: WORKLOADS }, (_, i) => labelsOf(i))));
}

async function newOrg(store: Store): Promise<void> {
  await store.transaction((tx) => tx.insertOrg({ name: 'bench', created_at: new Date().toISOString(), psk: 'a'.repeat(64), psk_previous: null, psk_generation: 1, psk_rotation_started_at: null }));
}

const QUERIES: readonly { name: string; q: FlowQuery }[] = [
  { name: 'src role=role-3, newest 1,000', q: { src: { include: [[{ labelId: 4 }]], exclude: [] }, limit: 1000 } },
  { name: 'dst role=role-7, newest 1,000 (a destination label: its own index)', q: { dst: { include: [[{ labelId: 8 }]], exclude: [] }, limit: 1000 } },
  { name: 'src role=role-3, newest 100,000 (Illumio max)', q: { src: { include: [[{ labelId: 4 }]], exclude: [] }, limit: 100_000 } },
  { name: 'src role-3 AND env-3 → dst role-7, tcp/5432, blocked|potentially_blocked', q: { src: { include: [[{ labelId: 4 }, { labelId: 74 }]], exclude: [] }, dst: { include: [[{ labelId: 8 }]], exclude: [] }, services: { include: [{ proto: 6, port: 5432 }], exclude: [] }, decisions: ['blocked', 'potentially_blocked'], limit: 100_000 } },
  { name: 'dst app=app-9, last 24 h of 30 days, newest 10,000', q: { dst: { include: [[{ labelId: 30 }]], exclude: [] }, since: Date.parse('2026-01-30T00:00:00Z'), limit: 10_000 } },
  { name: 'src in 10.0.1.0/24 (an IP list), dst role-7, last 7 days', q: { src: { include: [[{ ipRanges: { v4: [0x0a000100, 0x0a0001ff], v6: [] } }]], exclude: [] }, dst: { include: [[{ labelId: 8 }]], exclude: [] }, since: Date.parse('2026-01-24T00:00:00Z'), limit: 100_000 } },
];

async function queryBench(label: string, store: Store): Promise<void> {
  for (const { name, q } of QUERIES) {
    const times: number[] = [];
    let n = 0;
    for (let i = 0; i < RUNS; i++) {
      const s = performance.now();
      n = (await store.read((tx) => tx.queryFlowSummaries(1, q))).length;
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    console.log(`${label}: aggregated query (what a traffic query runs) over ${fmt(ROWS)} stored flows, ${name}: ${fmt(n)} rows, p50 ${fmt(pct(times, 50))} ms, p95 ${fmt(pct(times, 95))} ms (${RUNS} runs; target p95 ≤ 2,000 ms; load ${loadavg()})`);
  }
}

const T_START = Date.parse('2026-01-01T00:00:00Z');
const DAYS = 30;
const DAY = 86_400_000;

const DAY_INDEX = 'create index flow_summaries_day on flow_summaries (org_id, day)';
const SECONDARY_INDEXES = [`create index flow_summaries_dst on flow_summaries (${DST_INDEX.join(', ')})`, DAY_INDEX];

/** The endpoints of the 2,000 workloads (ids in workload order), interned through the store. */
async function internEndpoints(store: Store): Promise<number[]> {
  const today = Math.floor(Date.now() / 86_400_000);
  return store.transaction((tx) => tx.flowEndpointIds(1, Array.from({ length: WORKLOADS }, (_, i) => ({ ip: ipOf(i), workload: `w-${i}` })), today));
}

async function sqlite10M(): Promise<void> {
  const keep = process.env['FLOWS_BENCH_SQLITE_FILE'];
  const dir = keep === undefined ? mkdtempSync(join(tmpdir(), 'palisade-flows-10m-')) : undefined;
  const path = keep ?? join(dir ?? '', 'flows.db');
  try {
    if (keep === undefined || !existsSync(keep)) await sqliteLoad(path);
    else console.log(`SQLite: reusing the flows in ${keep}`);
    const store = await openSqliteStore(path);
    try {
      await queryBench('SQLite', store);
    } finally {
      await store.close();
    }
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

async function sqliteLoad(path: string): Promise<void> {
  const store = await openSqliteStore(path);
  await newOrg(store);
  const sets = await internSets(store);
  const eps = await internEndpoints(store);
  await store.close();
  const started = performance.now();
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -1048576');
  for (const ix of ['flow_summaries_dst', 'flow_summaries_day']) db.exec(`drop index ${ix}`);
  const ins = db.prepare(
    'insert into flow_summaries (org_id,src_set,day,dst_set,src_ep,dst_ep,proto,port,direction,policy_decision,draft_policy_decision,state,first_seen,last_seen,connections,bytes_in,bytes_out,reports) values (1,?,?,?,?,?,6,?,0,?,?,?,?,?,?,null,null,1) on conflict do nothing',
  );
  const r = rng(11);
  const perDay = Math.ceil(ROWS / DAYS);
  const day = db.transaction((d: number, n: number) => {
    const rows = Array.from({ length: n }, (_, i) => {
      const s = Math.floor(r() * WORKLOADS);
      const t = Math.floor(r() * WORKLOADS);
      const last = T_START + d * DAY + Math.floor((i / n) * DAY);
      const dec = Math.floor(r() * 4);
      return [sets[s] ?? 0, d + T_START / DAY, sets[t] ?? 0, eps[s] ?? 0, eps[t] ?? 0, PORTS[Math.floor(r() * PORTS.length)] ?? 443, dec, dec, dec === 3 ? 0 : dec, last - 60_000, last, 1 + Math.floor(r() * 20)] as const;
    });
    // Rows go in day after day, as ingest adds them; within a day in key order (org, src_set,
    // src_ep, dst_ep, …), which makes loading faster.
    rows.sort((a, b) => a[0] - b[0] || a[3] - b[3] || a[4] - b[4]);
    for (const row of rows) ins.run(...row);
  });
  for (let d = 0; d < DAYS; d++) day(d, Math.min(perDay, ROWS - d * perDay));
  const loaded = performance.now();
  for (const ix of SECONDARY_INDEXES) db.exec(ix);
  db.exec('analyze');
  db.pragma('wal_checkpoint(TRUNCATE)');
  const n = (db.prepare('select count(*) as n from flow_summaries').get() as { n: number }).n;
  db.close();
  console.log(`SQLite: generated ${fmt(n)} flow summaries in ${((loaded - started) / 1000).toFixed(1)} s, secondary indexes + analyze in ${((performance.now() - loaded) / 1000).toFixed(1)} s (load ${loadavg()})`);
}

async function postgres10M(url: string): Promise<void> {
  const store = await openPostgresStore(url);
  try {
    // A database of FLOWS_BENCH_PG_URL already loaded by an earlier run is reused.
    if ((await store.read((tx) => tx.listOrgs())).length > 0) {
      console.log(`PostgreSQL: reusing ${fmt(await store.read((tx) => tx.countFlows(1)))} flow summaries at ${url}`);
      await queryBench('PostgreSQL', store);
      return;
    }
    await newOrg(store);
    const sets = await internSets(store);
    const eps = await internEndpoints(store);
    const client = new pg.Client({ connectionString: url });
    client.on('error', (err) => console.error(`PostgreSQL: the loading connection failed: ${err.message}`));
    await client.connect();
    const started = performance.now();
    for (const ix of ['flow_summaries_dst', 'flow_summaries_day']) await client.query(`drop index ${ix}`);
    await client.query('create temp table wl (i int primary key, set_id int, ep bigint)');
    await client.query('insert into wl select u.i - 1, u.s, e.ep from unnest($1::int[]) with ordinality as u(s, i) join unnest($2::bigint[]) with ordinality as e(ep, j) on e.j = u.i', [sets, eps]);
    const ports = `array[${PORTS.join(',')}]`;
    const step = 1_000_000;
    // random() per row after setseed: every run generates the same rows; as in the SQLite
    // data, 2,000 workloads talk at random over 15 ports (nearly every row its own group).
    await client.query('select setseed(0.11)');
    for (let from = 0; from < ROWS; from += step) {
      await client.query(`
        insert into flow_summaries (org_id,src_set,day,dst_set,src_ep,dst_ep,proto,port,direction,policy_decision,draft_policy_decision,state,first_seen,last_seen,connections,reports)
        select 1, ss.set_id, g.last / ${DAY}, ds.set_id, ss.ep, ds.ep, 6, g.port, 0, g.dec, g.dec, case when g.dec = 3 then 0 else g.dec end, g.last - 60000, g.last, g.conns, 1
        from (select floor(random() * ${WORKLOADS})::int as s, floor(random() * ${WORKLOADS})::int as d, (${ports})[1 + floor(random() * ${PORTS.length})::int] as port,
                     floor(random() * 4)::int as dec, 1 + floor(random() * 20)::int as conns, ${T_START}::bigint + (n::bigint * ${DAYS * DAY} / ${ROWS}) as last
              from generate_series(${from}, ${Math.min(ROWS, from + step) - 1}) as n) g
        join wl ss on ss.i = g.s join wl ds on ds.i = g.d
        on conflict do nothing`);
    }
    const loaded = performance.now();
    // The key (kept while loading: it drops the rare duplicate) rebuilt, and the destination
    // index, as migration 005 makes them on PostgreSQL.
    await client.query('alter table flow_summaries drop constraint flow_summaries_key');
    for (const ix of [...postgresSummaryIndexes(), DAY_INDEX]) await client.query(ix);
    await client.query('vacuum analyze flow_summaries');
    await client.end();
    console.log(`PostgreSQL: generated ${fmt(await store.read((tx) => tx.countFlows(1)))} flow summaries (set-based INSERT … SELECT) in ${((loaded - started) / 1000).toFixed(1)} s, secondary indexes + vacuum analyze in ${((performance.now() - loaded) / 1000).toFixed(1)} s (load ${loadavg()})`);
    await queryBench('PostgreSQL', store);
  } finally {
    await store.close();
  }
}

const only = process.env['FLOWS_BENCH_ONLY'] ?? 'ingest,sqlite10m,pg10m';
const withPg = process.env['FLOWS_BENCH_PG'] !== '0';
if (only.includes('ingest')) {
  await ingestBench('SQLite', undefined);
  if (withPg) {
    const server = await startPostgres();
    try {
      await ingestBench('PostgreSQL', server.url);
    } finally {
      await server.stop();
    }
  }
}
if (only.includes('sqlite10m')) await sqlite10M();
const pgUrl = process.env['FLOWS_BENCH_PG_URL'];
if (only.includes('pg10m') && withPg && process.env['FLOWS_BENCH_PG_10M'] !== '0') {
  if (pgUrl !== undefined) await postgres10M(pgUrl);
  else {
    // A server of its own: the 10M table is not shared with the ingest run.
    const server = await startPostgres();
    try {
      await postgres10M(server.url);
    } finally {
      await server.stop();
    }
  }
}

/**
 * The Store contract for traffic flows (issue 6): every test against SQLite (a temp file) and
 * PostgreSQL (a throwaway cluster), for real. A fresh database per test.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { FlowEndpointTerm, FlowQuery, FlowQueryRow, NewFlowRow, Store, StoreTx } from '../src/store/store.ts';
import { tmpdir } from 'node:os';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from '../src/store/migrations/migrator.ts';
import { openStore } from '../src/store/open-store.ts';
import type { Database } from '../src/store/schema.ts';
import { flowReport, newOrg, postgresBackend, sqliteBackend, T0 } from './store-contract-support.ts';

const MS0 = Date.parse(T0);
const DAY = 86_400_000;
const DAY0 = Math.floor(MS0 / DAY);

/** A flow report as a test writes it: endpoints by IP and workload (interned when added). */
type TestFlow = Omit<NewFlowRow, 'src_ep' | 'dst_ep'> & { src_ip: string; dst_ip: string; src_workload: string | null; dst_workload: string | null };

function flow(org: number, over: Partial<TestFlow> = {}): TestFlow {
  return { ...flowReport(org), src_ip: '10.0.0.1', dst_ip: '10.0.0.2', src_workload: null, dst_workload: null, ...over };
}

/** Interns the flows' endpoints, then adds them (as ingest does). */
async function addFlows(t: StoreTx, flows: readonly TestFlow[]): Promise<void> {
  const org = flows[0]?.org_id ?? 0;
  const ends = flows.flatMap((f) => [{ ip: f.src_ip, workload: f.src_workload }, { ip: f.dst_ip, workload: f.dst_workload }]);
  const ids = await t.flowEndpointIds(org, ends, DAY0);
  await t.addFlows(flows.map(({ src_ip: _s, dst_ip: _d, src_workload: _sw, dst_workload: _dw, ...rest }, i) => ({ ...rest, src_ep: ids[2 * i] ?? -1, dst_ep: ids[2 * i + 1] ?? -1 })));
}

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe(`Store flows contract: ${backend.name}`, () => {
    let store: Store;
    let again: () => Promise<Store>;
    const tx = <T>(fn: (t: StoreTx) => Promise<T>): Promise<T> => store.transaction(fn);
    const read = <T>(fn: (t: StoreTx) => Promise<T>): Promise<T> => store.read(fn);
    const add = (flows: readonly TestFlow[]): Promise<void> => tx((t) => addFlows(t, flows));
    /** `src>dst` of each aggregated row, newest first. */
    const q = async (org: number, query: FlowQuery): Promise<string[]> => (await read((t) => t.queryFlowSummaries(org, query))).map((f) => `${f.src_ip}>${f.dst_ip}`);

    before(() => backend.setup());
    after(() => backend.teardown());
    beforeEach(async () => void ({ store, again } = await backend.fresh()));
    afterEach(() => store.close());

    it('addFlows + queryFlowSummaries round-trip every column, bigints as numbers, in chunks larger than one statement', async () => {
      const org = await tx((t) => newOrg(t));
      const big = 5_000_000_000_123;
      const one = flow(org, { src_workload: 'w1', dst_workload: 'w2', src_set: 3, dst_set: 4, port: null, proto: 1, direction: 'outbound', bytes_in: big, bytes_out: 7, state: 'blocked', policy_decision: 'potentially_blocked', draft_policy_decision: 'unknown', connections: 9 });
      await add([one]);
      const [got] = await read((t) => t.queryFlowSummaries(org, { limit: 10 }));
      const { org_id: _org, ...expected } = one;
      assert.deepEqual(got, { ...expected, flows: 1 });
      // 12,345 distinct flows: several statements on both dialects.
      const many = Array.from({ length: 12_345 }, (_, i) => flow(org, { src_ip: `10.1.${i >> 8}.${i & 255}`, last_seen: MS0 + 2000 + i }));
      await add(many);
      assert.equal(await read((t) => t.countFlows(org)), 12_346);
      assert.deepEqual(await q(org, { limit: 3 }), ['10.1.48.56>10.0.0.2', '10.1.48.55>10.0.0.2', '10.1.48.54>10.0.0.2']);
    });

    it('addFlows merges the reports of one day and key into one stored summary, within a call and across calls; another day is another summary, merged again by the query', async () => {
      const org = await tx((t) => newOrg(t));
      await add([flow(org, { connections: 2, first_seen: MS0 + 10, last_seen: MS0 + 100, bytes_in: 10 }), flow(org, { connections: 3, first_seen: MS0, last_seen: MS0 + 50, state: 'potentially_blocked' })]);
      await add([flow(org, { connections: 4, first_seen: MS0 + 200, last_seen: MS0 + 300, bytes_in: 5, bytes_out: 1, draft_policy_decision: 'blocked' })]);
      assert.equal(await read((t) => t.countFlows(org)), 1);
      const [row] = await read((t) => t.queryFlowSummaries(org, { limit: 10 }));
      assert.deepEqual([row?.connections, row?.flows, row?.first_seen, row?.last_seen, row?.bytes_in, row?.bytes_out, row?.state, row?.draft_policy_decision], [9, 3, MS0, MS0 + 300, 15, 1, 'potentially_blocked', 'blocked']);
      await add([flow(org, { connections: 1, first_seen: MS0 + DAY, last_seen: MS0 + DAY + 5 })]);
      assert.equal(await read((t) => t.countFlows(org)), 2);
      const [both] = await read((t) => t.queryFlowSummaries(org, { limit: 10 }));
      assert.deepEqual([both?.connections, both?.flows, both?.first_seen, both?.last_seen], [10, 4, MS0, MS0 + DAY + 5]);
      // A time window picks summaries by when they were seen.
      assert.equal((await read((t) => t.queryFlowSummaries(org, { since: MS0 + DAY, limit: 10 })))[0]?.connections, 1);
      assert.equal((await read((t) => t.queryFlowSummaries(org, { until: MS0 + 1000, limit: 10 })))[0]?.connections, 9);
    });

    it('flowEndpointIds interns each (IP, workload) once; the same IP without a workload or with another is another endpoint', async () => {
      const org = await tx((t) => newOrg(t));
      const first = await tx((t) => t.flowEndpointIds(org, [{ ip: '10.0.0.1', workload: 'w1' }, { ip: '10.0.0.1', workload: null }, { ip: '10.0.0.1', workload: 'w1' }, { ip: '2001:db8::1', workload: 'w2' }], DAY0));
      assert.equal(first[0], first[2]);
      assert.equal(new Set(first).size, 3);
      const other = await again();
      try {
        assert.deepEqual(await other.transaction((t) => t.flowEndpointIds(org, [{ ip: '2001:db8::1', workload: 'w2' }, { ip: '10.0.0.1', workload: null }], DAY0)), [first[3], first[1]]);
      } finally {
        await other.close();
      }
    });

    it('deleteFlowEndpointsBefore: endpoints last used before a day, at most a limit a call, per org; using one again keeps it (its last day only rises)', async () => {
      const [org, other] = await tx(async (t) => [await newOrg(t, 'a'), await newOrg(t, 'b')]);
      const ep = (ip: string) => ({ ip, workload: null });
      const [old1, old2, kept] = await tx((t) => t.flowEndpointIds(org, [ep('10.0.0.1'), ep('10.0.0.2'), ep('10.0.0.3')], DAY0));
      await tx((t) => t.flowEndpointIds(other, [ep('10.0.0.1')], DAY0));
      // Used again later (kept), and once more with an older day, which does not lower it.
      assert.deepEqual(await tx((t) => t.flowEndpointIds(org, [ep('10.0.0.3')], DAY0 + 5)), [kept]);
      assert.deepEqual(await tx((t) => t.flowEndpointIds(org, [ep('10.0.0.3')], DAY0 + 1)), [kept]);
      assert.equal(await tx((t) => t.deleteFlowEndpointsBefore(org, DAY0, 10)), 0, 'nothing last used before DAY0');
      assert.equal(await tx((t) => t.deleteFlowEndpointsBefore(org, DAY0 + 3, 1)), 1);
      assert.equal(await tx((t) => t.deleteFlowEndpointsBefore(org, DAY0 + 3, 10)), 1);
      assert.equal(await tx((t) => t.deleteFlowEndpointsBefore(org, DAY0 + 3, 10)), 0);
      const again2 = await tx((t) => t.flowEndpointIds(org, [ep('10.0.0.1'), ep('10.0.0.3')], DAY0 + 3));
      assert.equal(again2[1], kept);
      assert.ok(again2[0] !== old1 && again2[0] !== old2, 'a deleted endpoint used again is interned anew');
      assert.equal(await tx((t) => t.deleteFlowEndpointsBefore(other, DAY0 + 1, 10)), 1, "the other org's own");
    });

    it('addFlowBatch records the batch and adds its flows in one go; a resent batch id adds nothing', async () => {
      const org = await tx((t) => newOrg(t));
      const [a, b] = await tx((t) => t.flowEndpointIds(org, [{ ip: '10.0.0.1', workload: null }, { ip: '10.0.0.2', workload: null }], DAY0));
      const { src_ip: _s, dst_ip: _d, src_workload: _sw, dst_workload: _dw, ...report } = flow(org, { connections: 5 });
      const row = { ...report, src_ep: a ?? -1, dst_ep: b ?? -1 };
      const batch = { org_id: org, batch_id: 'b-1', reporter_workload: 'w1', received_at: MS0, flows: 2, dropped: 0 };
      assert.equal(await store.addFlowBatch(batch, [row, row]), true);
      assert.equal(await store.addFlowBatch(batch, [row, row]), false);
      const rows = await read((t) => t.queryFlowSummaries(org, { limit: 10 }));
      assert.deepEqual(rows.map((r) => [r.src_ip, r.dst_ip, r.connections, r.flows]), [['10.0.0.1', '10.0.0.2', 10, 2]]);
    });

    it('concurrent addFlowBatch calls (written as one group on PostgreSQL): each batch recorded once, the reports of all add up', async () => {
      const org = await tx((t) => newOrg(t));
      const [a, b, c] = await tx((t) => t.flowEndpointIds(org, ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) => ({ ip, workload: null })), DAY0));
      const { src_ip: _s, dst_ip: _d, src_workload: _sw, dst_workload: _dw, ...report } = flow(org, { connections: 2 });
      const ab = { ...report, src_ep: a ?? -1, dst_ep: b ?? -1 };
      const ac = { ...report, src_ep: a ?? -1, dst_ep: c ?? -1, last_seen: MS0 + 5000 };
      const batch = (id: string) => ({ org_id: org, batch_id: id, reporter_workload: 'w1', received_at: MS0, flows: 2, dropped: 0 });
      const fresh = await Promise.all([store.addFlowBatch(batch('g-1'), [ab, ac]), store.addFlowBatch(batch('g-2'), [ab]), store.addFlowBatch(batch('g-1'), [ab, ac]), store.addFlowBatch(batch('g-3'), [ac, ab])]);
      assert.deepEqual(fresh, [true, true, false, true], 'g-1 sent twice is recorded once');
      const rows = await read((t) => t.queryFlowSummaries(org, { limit: 10 }));
      assert.deepEqual(
        rows.map((r) => [r.dst_ip, r.connections, r.flows, r.last_seen]).sort(),
        [
          ['10.0.0.2', 6, 3, MS0 + 1000],
          ['10.0.0.3', 4, 2, MS0 + 5000],
        ],
      );
    });

    it('recordFlowBatch: true the first time, false for a resent batch id (per org)', async () => {
      const [a, b] = await tx(async (t) => [await newOrg(t, 'a'), await newOrg(t, 'b')]);
      const batch = { batch_id: 'b-1', reporter_workload: 'w1', received_at: MS0, flows: 3, dropped: 0 };
      assert.equal(await tx((t) => t.recordFlowBatch({ org_id: a, ...batch })), true);
      assert.equal(await tx((t) => t.recordFlowBatch({ org_id: a, ...batch })), false);
      assert.equal(await tx((t) => t.recordFlowBatch({ org_id: b, ...batch })), true);
    });

    it('labelSetIds interns each distinct set once (order and duplicates do not matter); labelSets reads them back', async () => {
      const org = await tx((t) => newOrg(t));
      const first = await tx((t) => t.labelSetIds(org, [[3, 1], [1, 3, 3], [], [2]]));
      assert.equal(first[0], first[1]);
      assert.equal(new Set(first).size, 3);
      const second = await tx((t) => t.labelSetIds(org, [[2], [1, 3]]));
      assert.deepEqual(second, [first[3], first[0]]);
      const sets = await read((t) => t.labelSets(org, first));
      assert.deepEqual(sets.get(first[0] ?? -1), [1, 3]);
      assert.deepEqual(sets.get(first[2] ?? -1), []);
      // Another store on the same database (another PCE process) sees the same ids.
      const other = await again();
      try {
        assert.deepEqual(await other.transaction((t) => t.labelSetIds(org, [[1, 3]])), [first[0]]);
      } finally {
        await other.close();
      }
    });

    it('queryFlowSummaries: label, workload and IP terms (OR of ANDs), excludes (null-safe), services, decisions, time window, limit', async () => {
      const org = await tx((t) => newOrg(t));
      const [webProd, webDev, db] = await tx((t) => t.labelSetIds(org, [[1, 10], [1, 11], [2, 10]]));
      await add([
        flow(org, { src_ip: '10.0.0.1', src_workload: 'web-p', src_set: webProd ?? null, dst_ip: '10.0.0.9', dst_workload: 'db', dst_set: db ?? null, port: 5432, last_seen: MS0 + 1000 }),
        flow(org, { src_ip: '10.0.0.2', src_workload: 'web-d', src_set: webDev ?? null, dst_ip: '10.0.0.9', dst_workload: 'db', dst_set: db ?? null, port: 5432, policy_decision: 'blocked', last_seen: MS0 + 2000 }),
        flow(org, { src_ip: '192.0.2.7', dst_ip: '10.0.0.1', dst_workload: 'web-p', dst_set: webProd ?? null, port: 443, policy_decision: 'potentially_blocked', last_seen: MS0 + 3000 }),
        flow(org, { src_ip: '10.0.0.1', src_workload: 'web-p', src_set: webProd ?? null, dst_ip: '198.51.100.1', proto: 1, port: null, policy_decision: 'unknown', first_seen: MS0 + 3500, last_seen: MS0 + 4000 }),
      ]);
      const web = { labelId: 1 };
      assert.deepEqual(await q(org, { src: { include: [[web]], exclude: [] }, limit: 100 }), ['10.0.0.1>198.51.100.1', '10.0.0.2>10.0.0.9', '10.0.0.1>10.0.0.9']);
      assert.deepEqual(await q(org, { src: { include: [[web, { labelId: 10 }]], exclude: [] }, limit: 100 }), ['10.0.0.1>198.51.100.1', '10.0.0.1>10.0.0.9']);
      assert.deepEqual(await q(org, { src: { include: [[{ labelId: 11 }], [{ ip: '192.0.2.7' }]], exclude: [] }, limit: 100 }), ['192.0.2.7>10.0.0.1', '10.0.0.2>10.0.0.9']);
      assert.deepEqual(await q(org, { dst: { include: [[{ workload: 'db' }]], exclude: [{ labelId: 11 }] }, limit: 100 }), ['10.0.0.2>10.0.0.9', '10.0.0.1>10.0.0.9']);
      // Excluding a label keeps flows whose end has no workload (no label set).
      assert.deepEqual(await q(org, { src: { include: [], exclude: [web] }, limit: 100 }), ['192.0.2.7>10.0.0.1']);
      assert.deepEqual(await q(org, { dst: { include: [], exclude: [{ workload: 'db' }] }, limit: 100 }), ['10.0.0.1>198.51.100.1', '192.0.2.7>10.0.0.1']);
      assert.deepEqual(await q(org, { services: { include: [{ proto: 6, port: 5432 }], exclude: [] }, limit: 100 }), ['10.0.0.2>10.0.0.9', '10.0.0.1>10.0.0.9']);
      assert.deepEqual(await q(org, { services: { include: [{ port: 400, toPort: 500 }], exclude: [] }, limit: 100 }), ['192.0.2.7>10.0.0.1']);
      assert.deepEqual(await q(org, { services: { include: [], exclude: [{ proto: 6 }] }, limit: 100 }), ['10.0.0.1>198.51.100.1']);
      assert.deepEqual(await q(org, { decisions: ['blocked', 'potentially_blocked'], limit: 100 }), ['192.0.2.7>10.0.0.1', '10.0.0.2>10.0.0.9']);
      assert.deepEqual(await q(org, { decisions: [], limit: 100 }), []);
      assert.deepEqual(await q(org, { since: MS0 + 2500, until: MS0 + 3600, limit: 100 }), ['10.0.0.1>198.51.100.1', '192.0.2.7>10.0.0.1']);
      assert.deepEqual(await q(org, { limit: 2 }), ['10.0.0.1>198.51.100.1', '192.0.2.7>10.0.0.1']);
      assert.deepEqual(await q(org, { limit: 0 }), []);
    });

    it('queryFlowSummaries: an AND of labels is one intersection (an impossible one matches nothing), label groups (anyLabel), IP ranges per family, sides OR-ed', async () => {
      const org = await tx((t) => newOrg(t));
      const [webProd, webDev, db] = await tx((t) => t.labelSetIds(org, [[1, 10], [1, 11], [2, 10]]));
      await add([
        flow(org, { src_ip: '10.0.0.1', src_set: webProd ?? null, dst_ip: '10.0.1.9', dst_set: db ?? null, last_seen: MS0 + 1000 }),
        flow(org, { src_ip: '10.0.0.2', src_set: webDev ?? null, dst_ip: '2001:db8::9', last_seen: MS0 + 2000 }),
        flow(org, { src_ip: '2001:db8::1', dst_ip: '10.0.0.1', dst_set: webProd ?? null, last_seen: MS0 + 3000 }),
        flow(org, { src_ip: '192.0.2.7', dst_ip: '10.0.1.9', dst_set: db ?? null, last_seen: MS0 + 4000 }),
      ]);
      const src = (...all: FlowEndpointTerm[]): FlowQuery => ({ src: { include: [all], exclude: [] }, limit: 100 });
      assert.deepEqual(await q(org, src({ labelId: 1 }, { labelId: 11 })), ['10.0.0.2>2001:db8::9']);
      assert.deepEqual(await q(org, src({ labelId: 2 }, { labelId: 11 })), [], 'no set carries both');
      assert.deepEqual(await q(org, src({ anyLabel: [10, 11] }, { labelId: 1 })), ['10.0.0.2>2001:db8::9', '10.0.0.1>10.0.1.9']);
      assert.deepEqual(await q(org, src({ anyLabel: [] })), [], 'an empty label group matches nothing');
      const v4 = (from: string, to: string): number[] => [from, to].map((a) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0));
      assert.deepEqual(await q(org, src({ ipRanges: { v4: v4('10.0.0.0', '10.0.0.255'), v6: [] } })), ['10.0.0.2>2001:db8::9', '10.0.0.1>10.0.1.9']);
      // ::/0 is every IPv6 address, and no IPv4 one.
      assert.deepEqual(await q(org, src({ ipRanges: { v4: [], v6: [0n, (1n << 128n) - 1n] } })), ['2001:db8::1>10.0.0.1']);
      assert.deepEqual(await q(org, { dst: { include: [], exclude: [{ ipRanges: { v4: v4('10.0.0.0', '10.255.255.255'), v6: [] } }] }, limit: 100 }), ['10.0.0.2>2001:db8::9']);
      const many = Array.from({ length: 3000 }, (_, i) => v4(`172.16.${i >> 8}.${i & 255}`, `172.16.${i >> 8}.${i & 255}`)).flat();
      assert.deepEqual(await q(org, src({ ipRanges: { v4: [...many, ...v4('192.0.2.7', '192.0.2.7')], v6: [] } })), ['192.0.2.7>10.0.1.9'], 'thousands of ranges (balanced OR)');
      const either: FlowQuery = { src: { include: [[{ labelId: 11 }]], exclude: [] }, dst: { include: [[{ labelId: 2 }]], exclude: [] }, limit: 100 };
      assert.deepEqual(await q(org, either), []);
      assert.deepEqual(await q(org, { ...either, sidesOp: 'or' }), ['192.0.2.7>10.0.1.9', '10.0.0.2>2001:db8::9', '10.0.0.1>10.0.1.9']);
    });

    it('queryFlowSummaries: a query one side of which is selected by labels alone (read one label set at a time) keeps every other condition, and sums its groups', async () => {
      const org = await tx((t) => newOrg(t));
      const [webProd, webDev, db] = await tx((t) => t.labelSetIds(org, [[1, 10], [1, 11], [2, 10]]));
      await add([
        flow(org, { src_ip: '10.0.0.1', src_workload: 'web-p', src_set: webProd ?? null, dst_ip: '10.0.0.9', dst_workload: 'db', dst_set: db ?? null, port: 5432, connections: 2, bytes_in: 10, last_seen: MS0 + 1000 }),
        flow(org, { src_ip: '10.0.0.1', src_workload: 'web-p', src_set: webProd ?? null, dst_ip: '10.0.0.9', dst_workload: 'db', dst_set: db ?? null, port: 5432, connections: 3, last_seen: MS0 + DAY + 1000 }),
        flow(org, { src_ip: '10.0.0.2', src_workload: 'web-d', src_set: webDev ?? null, dst_ip: '10.0.0.9', dst_workload: 'db', dst_set: db ?? null, port: 5432, last_seen: MS0 + 2000 }),
        flow(org, { src_ip: '10.0.0.2', src_workload: 'web-d', src_set: webDev ?? null, dst_ip: '10.0.0.1', dst_workload: 'web-p', dst_set: webProd ?? null, port: 443, last_seen: MS0 + 3000 }),
        flow(org, { src_ip: '192.0.2.7', dst_ip: '10.0.0.1', dst_workload: 'web-p', dst_set: webProd ?? null, port: 443, policy_decision: 'blocked', last_seen: MS0 + 4000 }),
      ]);
      const web = { labelId: 1 };
      const srcWeb = (extra: Partial<FlowQuery>, ...and: FlowEndpointTerm[]): FlowQuery => ({ src: { include: [[web, ...and]], exclude: [] }, limit: 100, ...extra });
      assert.deepEqual(await q(org, srcWeb({})), ['10.0.0.1>10.0.0.9', '10.0.0.2>10.0.0.1', '10.0.0.2>10.0.0.9']);
      assert.deepEqual(await q(org, srcWeb({}, { ip: '10.0.0.2' })), ['10.0.0.2>10.0.0.1', '10.0.0.2>10.0.0.9'], 'a non-label term of the same AND group');
      assert.deepEqual(await q(org, srcWeb({ dst: { include: [[{ workload: 'db' }]], exclude: [] } })), ['10.0.0.1>10.0.0.9', '10.0.0.2>10.0.0.9'], "the other side's includes");
      assert.deepEqual(await q(org, srcWeb({ dst: { include: [], exclude: [{ labelId: 2 }] } })), ['10.0.0.2>10.0.0.1'], "the other side's excludes");
      assert.deepEqual(await q(org, { src: { include: [[web]], exclude: [{ labelId: 11 }] }, limit: 100 }), ['10.0.0.1>10.0.0.9'], "the side's own excludes");
      assert.deepEqual(await q(org, srcWeb({ services: { include: [{ port: 443 }], exclude: [] } })), ['10.0.0.2>10.0.0.1']);
      assert.deepEqual(await q(org, srcWeb({ since: MS0 + DAY })), ['10.0.0.1>10.0.0.9']);
      assert.deepEqual(await q(org, srcWeb({ limit: 1 })), ['10.0.0.1>10.0.0.9']);
      assert.deepEqual(await q(org, { dst: { include: [[{ labelId: 10 }]], exclude: [] }, decisions: ['blocked'], limit: 100 }), ['192.0.2.7>10.0.0.1'], 'a destination side drives');
      const [summed] = await read((t) => t.queryFlowSummaries(org, srcWeb({}, { workload: 'web-p' })));
      assert.deepEqual([summed?.connections, summed?.flows, summed?.bytes_in, summed?.bytes_out, summed?.first_seen, summed?.last_seen, summed?.src_workload, summed?.dst_set], [5, 2, 10, null, MS0, MS0 + DAY + 1000, 'web-p', db]);
    });

    it('queryFlowSummaries: a large limit (newest days first on SQLite) answers what a small one does, whether the newest days hold enough groups or older ones fill in', async () => {
      const org = await tx((t) => newOrg(t));
      // 11,000 groups seen on day 9 (8,000 of them blocked); 9,000 older groups seen on days 0 and 1.
      const recent = Array.from({ length: 11_000 }, (_, i) => flow(org, { src_ip: '10.1.0.1', port: i + 1, policy_decision: i < 8000 ? 'blocked' : 'allowed', first_seen: MS0 + 9 * DAY, last_seen: MS0 + 9 * DAY + i }));
      const older = Array.from({ length: 9000 }, (_, i) => [0, 1].map((d) => flow(org, { src_ip: '10.2.0.1', port: i + 1, connections: 2, last_seen: MS0 + d * DAY + (i % 500) }))).flat();
      for (let i = 0; i < recent.length + older.length; i += 5000) await add([...recent, ...older].slice(i, i + 5000));
      const rows = (query: FlowQuery) => read((t) => t.queryFlowSummaries(org, query));
      for (const query of [{ limit: 10_000 }, { decisions: ['allowed'], limit: 10_000 }] satisfies FlowQuery[]) {
        const large = await rows(query);
        const small = await rows({ ...query, limit: 9999 });
        assert.equal(large.length, 10_000);
        assert.deepEqual(large.slice(0, 9999), small);
        assert.ok(large.every((r, i) => i === 0 || (large[i - 1]?.last_seen ?? 0) >= r.last_seen), 'newest first');
      }
      const allowed = await rows({ decisions: ['allowed'], limit: 10_000 });
      assert.deepEqual([allowed.filter((r) => r.src_ip === '10.1.0.1').length, allowed[3000]?.src_ip, allowed[3000]?.last_seen, allowed[3000]?.connections], [3000, '10.2.0.1', MS0 + DAY + 499, 4], 'the 3,000 recent groups, then the older ones, summed over both days');
    });

    it('queryFlowSummaries: one row per (ends, service, direction, decision), connections and bytes summed, first/last seen over the group, worst state and draft decision; newest group first, limit counts groups', async () => {
      const org = await tx((t) => newOrg(t));
      await add([
        flow(org, { connections: 2, first_seen: MS0, last_seen: MS0 + 100, bytes_in: 10, bytes_out: 1 }),
        flow(org, { connections: 3, first_seen: MS0 + 500, last_seen: MS0 + 900, bytes_in: 5, state: 'potentially_blocked', draft_policy_decision: 'blocked' }),
        flow(org, { connections: 1, first_seen: MS0 + 50, last_seen: MS0 + 200, policy_decision: 'blocked' }),
        flow(org, { connections: 7, port: 22, first_seen: MS0 + 10, last_seen: MS0 + 20 }),
        flow(org, { connections: 4, direction: 'outbound', last_seen: MS0 + 300 }),
      ]);
      const rows = await read((t) => t.queryFlowSummaries(org, { services: { include: [{ port: 443 }], exclude: [] }, limit: 100 }));
      assert.deepEqual(
        rows.map((r) => [r.direction, r.policy_decision, r.connections, r.flows, r.first_seen - MS0, r.last_seen - MS0, r.bytes_in, r.bytes_out, r.state, r.draft_policy_decision]),
        [
          ['inbound', 'allowed', 5, 2, 0, 900, 15, 1, 'potentially_blocked', 'blocked'],
          ['outbound', 'allowed', 4, 1, 0, 300, null, null, 'allowed', 'allowed'],
          ['inbound', 'blocked', 1, 1, 50, 200, null, null, 'allowed', 'allowed'],
        ],
      );
      assert.deepEqual((await read((t) => t.queryFlowSummaries(org, { limit: 2 }))).map((r) => r.last_seen - MS0), [900, 300]);
      assert.deepEqual(await read((t) => t.queryFlowSummaries(org, { decisions: [], limit: 10 })), []);
    });

    it('flows are per org', async () => {
      const [a, b] = await tx(async (t) => [await newOrg(t, 'a'), await newOrg(t, 'b')]);
      await add([flow(a), flow(a, { port: 80 })]);
      await add([flow(b)]);
      assert.equal(await read((t) => t.countFlows(a)), 2);
      assert.equal((await read((t) => t.queryFlowSummaries(b, { limit: 10 }))).length, 1);
    });

    it('deleteFlowsBefore: retention by last_seen, at most a limit of summaries a call, and forgets old batch ids', async () => {
      const org = await tx((t) => newOrg(t));
      await add([flow(org, { port: 1, last_seen: MS0 }), flow(org, { port: 2, last_seen: MS0 + 10 }), flow(org, { port: 3, last_seen: MS0 + 20 })]);
      await tx((t) => t.recordFlowBatch({ org_id: org, batch_id: 'old', reporter_workload: null, received_at: MS0, flows: 1, dropped: 0 }));
      assert.equal(await tx((t) => t.deleteFlowsBefore(org, MS0 + 10, 100)), 1);
      assert.equal(await read((t) => t.countFlows(org)), 2);
      // At most `limit` a call.
      assert.equal(await tx((t) => t.deleteFlowsBefore(org, MS0 + 30, 1)), 1);
      assert.equal(await tx((t) => t.deleteFlowsBefore(org, MS0 + 30, 1)), 1);
      assert.equal(await tx((t) => t.deleteFlowsBefore(org, MS0 + 30, 1)), 0);
      assert.equal(await tx((t) => t.recordFlowBatch({ org_id: org, batch_id: 'old', reporter_workload: null, received_at: MS0 + 50, flows: 1, dropped: 0 })), true);
    });

    it('migration 005 folds the flows stored before it into daily summaries, endpoints interned, and drops the old table', async () => {
      const spec = await backend.unopened();
      const path = spec.startsWith('sqlite:') ? spec.slice('sqlite:'.length) : undefined;
      const db = new Kysely<Database>({ dialect: path !== undefined ? new SqliteDialect({ database: new SQLite(path) }) : new PostgresDialect({ pool: new pg.Pool({ connectionString: spec, max: 1 }) }) });
      try {
        await migrateToLatest(db, backend.name, undefined, '004-flow-explorer');
        const org = await db.insertInto('orgs').values({ name: 'old', created_at: T0, psk: 'a'.repeat(64), psk_previous: null, psk_generation: 1, psk_rotation_started_at: null }).returning('id').executeTakeFirstOrThrow();
        const old = (over: Record<string, unknown>) => ({
          org_id: org.id, src_ip: '10.0.0.1', dst_ip: '10.0.0.2', src_workload: 'w1', dst_workload: null, src_set: 3, dst_set: null, proto: 6, port: 443, direction: 0,
          first_seen: MS0, last_seen: MS0 + 10, connections: 2, bytes_in: null, bytes_out: null, reporter_workload: 'w1', state: 0, policy_decision: 0, draft_policy_decision: 0,
          src_ipk: Buffer.from([4, 10, 0, 0, 1]), dst_ipk: Buffer.from([4, 10, 0, 0, 2]), ...over,
        });
        await db.insertInto('flows').values([old({}), old({ connections: 3, last_seen: MS0 + 20, state: 1 }), old({ last_seen: MS0 + DAY }), old({ proto: 1, port: null })]).execute();
      } finally {
        await db.destroy();
      }
      const migrated = await openStore(spec, tmpdir());
      try {
        const org = (await migrated.read((t) => t.listOrgs()))[0]?.id ?? -1;
        assert.equal(await migrated.read((t) => t.countFlows(org)), 3, 'two reports of one day and key merged; another day; ICMP');
        const rows = await migrated.read((t) => t.queryFlowSummaries(org, { since: MS0, until: MS0 + 100, limit: 10 }));
        assert.deepEqual(
          rows.map((r) => [r.src_ip, r.src_workload, r.src_set, r.dst_ip, r.dst_workload, r.dst_set, r.proto, r.port, r.connections, r.flows, r.state]),
          [['10.0.0.1', 'w1', 3, '10.0.0.2', null, null, 6, 443, 7, 3, 'potentially_blocked'], ['10.0.0.1', 'w1', 3, '10.0.0.2', null, null, 1, null, 2, 1, 'allowed']],
        );
        const bySrcRange = await migrated.read((t) => t.queryFlowSummaries(org, { src: { include: [[{ ipRanges: { v4: [0x0a000001, 0x0a000001], v6: [] } }]], exclude: [] }, limit: 10 }));
        assert.equal(bySrcRange.length, 2, 'the address keys came along');
      } finally {
        await migrated.close();
      }
    });

    it('flow queries: insert, update only the given fields, get, list newest first', async () => {
      const org = await tx((t) => newOrg(t));
      const row = (id: string, created: string): FlowQueryRow => ({ org_id: org, id, query: '{}', status: 'queued', created_by: '{}', created_at: created, updated_at: created, flows_count: null, datafile_id: null, message: null });
      await tx(async (t) => {
        await t.insertFlowQuery(row('q1', T0));
        await t.insertFlowQuery(row('q2', '2026-01-02T00:00:00.000Z'));
      });
      await tx((t) => t.updateFlowQuery(org, 'q1', { status: 'completed', flows_count: 5, datafile_id: 'f1', updated_at: '2026-01-03T00:00:00.000Z', message: undefined }));
      assert.deepEqual(await read((t) => t.getFlowQuery(org, 'q1')), { ...row('q1', T0), status: 'completed', flows_count: 5, datafile_id: 'f1', updated_at: '2026-01-03T00:00:00.000Z' });
      assert.deepEqual((await read((t) => t.listFlowQueries(org))).map((r) => r.id), ['q2', 'q1']);
      assert.equal(await read((t) => t.getFlowQuery(org + 1, 'q1')), undefined);
    });
  });
}

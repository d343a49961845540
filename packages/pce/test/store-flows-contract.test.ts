/**
 * The Store contract for traffic flows (issue 6): every test against SQLite (a temp file) and
 * PostgreSQL (a throwaway cluster), for real. A fresh database per test.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import type { FlowEndpointTerm, FlowQuery, FlowQueryRow, NewFlowRow, Store, StoreTx } from '../src/store/store.ts';
import { newOrg, postgresBackend, sqliteBackend, T0 } from './store-contract-support.ts';

const MS0 = Date.parse(T0);

function flow(org: number, over: Partial<NewFlowRow> = {}): NewFlowRow {
  return {
    org_id: org,
    src_ip: '10.0.0.1',
    dst_ip: '10.0.0.2',
    src_workload: null,
    dst_workload: null,
    src_set: null,
    dst_set: null,
    proto: 6,
    port: 443,
    direction: 'inbound',
    first_seen: MS0,
    last_seen: MS0 + 1000,
    connections: 1,
    bytes_in: null,
    bytes_out: null,
    reporter_workload: null,
    state: 'allowed',
    policy_decision: 'allowed',
    draft_policy_decision: 'allowed',
    ...over,
  };
}

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe(`Store flows contract: ${backend.name}`, () => {
    let store: Store;
    let again: () => Promise<Store>;
    const tx = <T>(fn: (t: StoreTx) => Promise<T>): Promise<T> => store.transaction(fn);
    const read = <T>(fn: (t: StoreTx) => Promise<T>): Promise<T> => store.read(fn);

    before(() => backend.setup());
    after(() => backend.teardown());
    beforeEach(async () => void ({ store, again } = await backend.fresh()));
    afterEach(() => store.close());

    it('insertFlows round-trips every column, bigints as numbers, in chunks larger than one statement', async () => {
      const org = await tx((t) => newOrg(t));
      const big = 5_000_000_000_123;
      const one = flow(org, { src_workload: 'w1', dst_workload: 'w2', src_set: 3, dst_set: 4, port: null, proto: 1, direction: 'outbound', bytes_in: big, bytes_out: 7, reporter_workload: 'w1', state: 'blocked', policy_decision: 'potentially_blocked', draft_policy_decision: 'unknown', connections: 9 });
      await tx((t) => t.insertFlows([one]));
      const [got] = await read((t) => t.queryFlows(org, { limit: 10 }));
      assert.ok(got);
      const { id, ...rest } = got;
      assert.equal(typeof id, 'number');
      assert.deepEqual(rest, one);
      // 12,345 rows: several statements on both dialects.
      const many = Array.from({ length: 12_345 }, (_, i) => flow(org, { src_ip: `10.1.${i >> 8}.${i & 255}`, last_seen: MS0 + 2000 + i }));
      await tx((t) => t.insertFlows(many));
      assert.equal(await read((t) => t.countFlows(org)), 12_346);
      const newest = await read((t) => t.queryFlows(org, { limit: 3 }));
      assert.deepEqual(newest.map((f) => f.src_ip), ['10.1.48.56', '10.1.48.55', '10.1.48.54']);
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

    it('queryFlows: label, workload and IP terms (OR of ANDs), excludes (null-safe), services, decisions, time window, limit', async () => {
      const org = await tx((t) => newOrg(t));
      const [webProd, webDev, db] = await tx((t) => t.labelSetIds(org, [[1, 10], [1, 11], [2, 10]]));
      await tx((t) =>
        t.insertFlows([
          flow(org, { src_ip: '10.0.0.1', src_workload: 'web-p', src_set: webProd ?? null, dst_ip: '10.0.0.9', dst_workload: 'db', dst_set: db ?? null, port: 5432, last_seen: MS0 + 1000 }),
          flow(org, { src_ip: '10.0.0.2', src_workload: 'web-d', src_set: webDev ?? null, dst_ip: '10.0.0.9', dst_workload: 'db', dst_set: db ?? null, port: 5432, policy_decision: 'blocked', last_seen: MS0 + 2000 }),
          flow(org, { src_ip: '192.0.2.7', dst_ip: '10.0.0.1', dst_workload: 'web-p', dst_set: webProd ?? null, port: 443, policy_decision: 'potentially_blocked', last_seen: MS0 + 3000 }),
          flow(org, { src_ip: '10.0.0.1', src_workload: 'web-p', src_set: webProd ?? null, dst_ip: '198.51.100.1', proto: 1, port: null, policy_decision: 'unknown', first_seen: MS0 + 3500, last_seen: MS0 + 4000 }),
        ]),
      );
      const q = async (query: Parameters<StoreTx['queryFlows']>[1]): Promise<string[]> => (await read((t) => t.queryFlows(org, query))).map((f) => `${f.src_ip}>${f.dst_ip}`);
      const web = { labelId: 1 };
      assert.deepEqual(await q({ src: { include: [[web]], exclude: [] }, limit: 100 }), ['10.0.0.1>198.51.100.1', '10.0.0.2>10.0.0.9', '10.0.0.1>10.0.0.9']);
      assert.deepEqual(await q({ src: { include: [[web, { labelId: 10 }]], exclude: [] }, limit: 100 }), ['10.0.0.1>198.51.100.1', '10.0.0.1>10.0.0.9']);
      assert.deepEqual(await q({ src: { include: [[{ labelId: 11 }], [{ ip: '192.0.2.7' }]], exclude: [] }, limit: 100 }), ['192.0.2.7>10.0.0.1', '10.0.0.2>10.0.0.9']);
      assert.deepEqual(await q({ dst: { include: [[{ workload: 'db' }]], exclude: [{ labelId: 11 }] }, limit: 100 }), ['10.0.0.2>10.0.0.9', '10.0.0.1>10.0.0.9']);
      // Excluding a label keeps flows whose end has no workload (no label set).
      assert.deepEqual(await q({ src: { include: [], exclude: [web] }, limit: 100 }), ['192.0.2.7>10.0.0.1']);
      assert.deepEqual(await q({ dst: { include: [], exclude: [{ workload: 'db' }] }, limit: 100 }), ['10.0.0.1>198.51.100.1', '192.0.2.7>10.0.0.1']);
      assert.deepEqual(await q({ services: { include: [{ proto: 6, port: 5432 }], exclude: [] }, limit: 100 }), ['10.0.0.2>10.0.0.9', '10.0.0.1>10.0.0.9']);
      assert.deepEqual(await q({ services: { include: [{ port: 400, toPort: 500 }], exclude: [] }, limit: 100 }), ['192.0.2.7>10.0.0.1']);
      assert.deepEqual(await q({ services: { include: [], exclude: [{ proto: 6 }] }, limit: 100 }), ['10.0.0.1>198.51.100.1']);
      assert.deepEqual(await q({ decisions: ['blocked', 'potentially_blocked'], limit: 100 }), ['192.0.2.7>10.0.0.1', '10.0.0.2>10.0.0.9']);
      assert.deepEqual(await q({ decisions: [], limit: 100 }), []);
      assert.deepEqual(await q({ since: MS0 + 2500, until: MS0 + 3600, limit: 100 }), ['10.0.0.1>198.51.100.1', '192.0.2.7>10.0.0.1']);
      assert.deepEqual(await q({ limit: 2 }), ['10.0.0.1>198.51.100.1', '192.0.2.7>10.0.0.1']);
      assert.deepEqual(await q({ limit: 0 }), []);
    });

    it('queryFlows: an AND of labels is one intersection (an impossible one matches nothing), label groups (anyLabel), IP ranges per family, sides OR-ed', async () => {
      const org = await tx((t) => newOrg(t));
      const [webProd, webDev, db] = await tx((t) => t.labelSetIds(org, [[1, 10], [1, 11], [2, 10]]));
      await tx((t) =>
        t.insertFlows([
          flow(org, { src_ip: '10.0.0.1', src_set: webProd ?? null, dst_ip: '10.0.1.9', dst_set: db ?? null, last_seen: MS0 + 1000 }),
          flow(org, { src_ip: '10.0.0.2', src_set: webDev ?? null, dst_ip: '2001:db8::9', last_seen: MS0 + 2000 }),
          flow(org, { src_ip: '2001:db8::1', dst_ip: '10.0.0.1', dst_set: webProd ?? null, last_seen: MS0 + 3000 }),
          flow(org, { src_ip: '192.0.2.7', dst_ip: '10.0.1.9', dst_set: db ?? null, last_seen: MS0 + 4000 }),
        ]),
      );
      const q = async (query: Parameters<StoreTx['queryFlows']>[1]): Promise<string[]> => (await read((t) => t.queryFlows(org, query))).map((f) => `${f.src_ip}>${f.dst_ip}`);
      const src = (...all: FlowEndpointTerm[]): FlowQuery => ({ src: { include: [all], exclude: [] }, limit: 100 });
      assert.deepEqual(await q(src({ labelId: 1 }, { labelId: 11 })), ['10.0.0.2>2001:db8::9']);
      assert.deepEqual(await q(src({ labelId: 2 }, { labelId: 11 })), [], 'no set carries both');
      assert.deepEqual(await q(src({ anyLabel: [10, 11] }, { labelId: 1 })), ['10.0.0.2>2001:db8::9', '10.0.0.1>10.0.1.9']);
      assert.deepEqual(await q(src({ anyLabel: [] })), [], 'an empty label group matches nothing');
      const v4 = (from: string, to: string): number[] => [from, to].map((a) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0));
      assert.deepEqual(await q(src({ ipRanges: { v4: v4('10.0.0.0', '10.0.0.255'), v6: [] } })), ['10.0.0.2>2001:db8::9', '10.0.0.1>10.0.1.9']);
      // ::/0 is every IPv6 address, and no IPv4 one.
      assert.deepEqual(await q(src({ ipRanges: { v4: [], v6: [0n, (1n << 128n) - 1n] } })), ['2001:db8::1>10.0.0.1']);
      assert.deepEqual(await q({ dst: { include: [], exclude: [{ ipRanges: { v4: v4('10.0.0.0', '10.255.255.255'), v6: [] } }] }, limit: 100 }), ['10.0.0.2>2001:db8::9']);
      const many = Array.from({ length: 3000 }, (_, i) => v4(`172.16.${i >> 8}.${i & 255}`, `172.16.${i >> 8}.${i & 255}`)).flat();
      assert.deepEqual(await q(src({ ipRanges: { v4: [...many, ...v4('192.0.2.7', '192.0.2.7')], v6: [] } })), ['192.0.2.7>10.0.1.9'], 'thousands of ranges (balanced OR)');
      const either: FlowQuery = { src: { include: [[{ labelId: 11 }]], exclude: [] }, dst: { include: [[{ labelId: 2 }]], exclude: [] }, limit: 100 };
      assert.deepEqual(await q(either), []);
      assert.deepEqual(await q({ ...either, sidesOp: 'or' }), ['192.0.2.7>10.0.1.9', '10.0.0.2>2001:db8::9', '10.0.0.1>10.0.1.9']);
    });

    it('queryFlowSummaries: one row per (ends, service, direction, decision), connections and bytes summed, first/last seen over the group, worst state and draft decision; newest group first, limit counts groups', async () => {
      const org = await tx((t) => newOrg(t));
      await tx((t) =>
        t.insertFlows([
          flow(org, { connections: 2, first_seen: MS0, last_seen: MS0 + 100, bytes_in: 10, bytes_out: 1 }),
          flow(org, { connections: 3, first_seen: MS0 + 500, last_seen: MS0 + 900, bytes_in: 5, state: 'potentially_blocked', draft_policy_decision: 'blocked' }),
          flow(org, { connections: 1, first_seen: MS0 + 50, last_seen: MS0 + 200, policy_decision: 'blocked' }),
          flow(org, { connections: 7, port: 22, first_seen: MS0 + 10, last_seen: MS0 + 20 }),
          flow(org, { connections: 4, direction: 'outbound', last_seen: MS0 + 300 }),
        ]),
      );
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
      await tx((t) => t.insertFlows([flow(a), flow(a), flow(b)]));
      assert.equal(await read((t) => t.countFlows(a)), 2);
      assert.equal((await read((t) => t.queryFlows(b, { limit: 10 }))).length, 1);
    });

    it('deleteFlowsBefore: retention by last_seen, and forgets old batch ids', async () => {
      const org = await tx((t) => newOrg(t));
      await tx((t) => t.insertFlows([flow(org, { last_seen: MS0 }), flow(org, { last_seen: MS0 + 10 }), flow(org, { last_seen: MS0 + 20 })]));
      await tx((t) => t.recordFlowBatch({ org_id: org, batch_id: 'old', reporter_workload: null, received_at: MS0, flows: 1, dropped: 0 }));
      assert.equal(await tx((t) => t.deleteFlowsBefore(org, MS0 + 10)), 1);
      assert.equal(await read((t) => t.countFlows(org)), 2);
      assert.equal(await tx((t) => t.recordFlowBatch({ org_id: org, batch_id: 'old', reporter_workload: null, received_at: MS0 + 50, flows: 1, dropped: 0 })), true);
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

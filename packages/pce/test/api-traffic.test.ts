/**
 * Issue 6, PCE side: flows in through the agent endpoint (agents paired with a pairing key),
 * decided per enforcement mode against the active and the draft policy, and out through
 * Illumio's async traffic queries (JSON and CSV). Runs on SQLite and on PostgreSQL.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type TestPostgres } from '../../../test/support/postgres.ts';
import { purgeOldFlows } from '../src/flows/flow-retention.ts';
import { arr, errorTokens, hrefOf, label, obj, sleep, startTestPce, type TestPce } from './support/api-harness.ts';

interface Identity {
  agent_id: string;
  secret: string;
  workload: { href: string };
}

interface Flow {
  src: { ip: string; workload?: { href: string; hostname: string; labels: { href: string; key: string; value: string }[] } };
  dst: { ip: string; workload?: { href: string; hostname: string; labels: { href: string }[] } };
  service: { proto: number; port?: number };
  num_connections: number;
  policy_decision: string;
  draft_policy_decision: string;
  flow_direction: string;
  state: string;
  timestamp_range: { first_detected: string; last_detected: string };
  bytes?: { in: number | null; out: number | null };
}

const NOW = Date.now();
const iso = (minutesAgo: number): string => new Date(NOW - minutesAgo * 60_000).toISOString();

function flow(src: string, dst: string, proto: number, port: number | undefined, over: Record<string, unknown> = {}): Record<string, unknown> {
  return { src_ip: src, dst_ip: dst, proto, ...(port === undefined ? {} : { dst_port: port }), direction: 'inbound', first_seen: iso(10), last_seen: iso(5), connections: 3, state: 'allowed', ...over };
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`traffic flows (${dialect})`, () => {
    let t: TestPce;
    let pg: TestPostgres | undefined;
    let web = '';
    let db = '';
    let dbAgent: Identity;
    let web1: Identity;
    let web2: Identity;
    let batchN = 0;

    const agent = (path: string, id: Identity | null, body: unknown, raw?: string): Promise<Response> =>
      fetch(`${t.url}/api/v2/agent/${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(id ? { Authorization: 'Basic ' + Buffer.from(`${id.agent_id}:${id.secret}`).toString('base64') } : {}) },
        body: raw ?? JSON.stringify(body),
      });
    const send = async (id: Identity, flows: unknown[], batchId = `batch-${dialect}-${++batchN}`): Promise<Response> => agent('flows', id, { batch_id: batchId, flows });
    const flowCount = (): Promise<number> => t.running.pce.store.read((tx) => tx.countFlows(1));

    async function activate(profileHref: string, hostname: string, address: string): Promise<Identity> {
      const code = String(obj(await t.api('post', `/api/v2${profileHref}/pairing_key`, {}))['activation_code']);
      const r = await agent('activate', null, { activation_code: code, hostname, interfaces: [{ name: 'eth0', address, cidr_block: 24 }] });
      assert.equal(r.status, 201);
      return (await r.json()) as Identity;
    }

    async function query(body: Record<string, unknown>): Promise<{ status: Record<string, unknown>; href: string }> {
      const r = await t.api('post', '/orgs/1/traffic_flows/async_queries', { query_name: 'q', ...body });
      assert.equal(r.status, 202, r.text);
      const href = hrefOf(r);
      assert.match(href, /^\/orgs\/1\/traffic_flows\/async_queries\/[0-9a-f-]{36}$/);
      assert.equal(obj(r)['status'], 'queued');
      for (let i = 0; i < 200; i++) {
        const s = obj(await t.api('get', href));
        assert.ok(['queued', 'working', 'completed'].includes(String(s['status'])), JSON.stringify(s));
        if (s['status'] === 'completed') return { status: s, href };
        await sleep(25);
      }
      throw new Error('the query did not complete');
    }
    async function download(body: Record<string, unknown>): Promise<Flow[]> {
      const { status, href } = await query(body);
      assert.equal(status['result'], `${href}/download`);
      const flows = arr(await t.api('get', String(status['result']))) as unknown as Flow[];
      assert.equal(status['flows_count'], flows.length);
      return flows;
    }
    const key = (f: Flow): string => `${f.src.ip}>${f.dst.ip}:${f.service.proto}/${f.service.port ?? '-'}`;

    before(async () => {
      if (dialect === 'postgres') pg = await startPostgres();
      t = await startTestPce(pg ? { db: pg.url } : {});
      web = await label(t, 'role', 'web');
      db = await label(t, 'role', 'db');
      const profile = async (name: string, labelHref: string, mode: string, visibility = 'flow_summary'): Promise<string> =>
        hrefOf(await t.api('post', '/orgs/1/pairing_profiles', { name, labels: [{ href: labelHref }], enforcement_mode: mode, visibility_level: visibility }));
      const dbFull = await profile('db-full', db, 'full', 'enhanced_data_collection');
      const webFull = await profile('web-full', web, 'full');
      const webVis = await profile('web-vis', web, 'visibility_only');
      const rs = await t.api('post', '/orgs/1/sec_policy/draft/rule_sets', {
        name: 'app',
        scopes: [],
        rules: [{ providers: [{ label: { href: db } }], consumers: [{ label: { href: web } }], ingress_services: [{ proto: 6, port: 5432 }] }],
      });
      assert.equal(rs.status, 201, rs.text);
      assert.equal((await t.api('post', '/orgs/1/sec_policy', { update_description: 'app' })).status, 201);
      dbAgent = await activate(dbFull, 'db1', '10.9.0.20');
      web1 = await activate(webFull, 'web1', '10.9.0.10');
      web2 = await activate(webVis, 'web2', '10.9.0.11');
    });
    after(async () => {
      await t?.close();
      await pg?.stop();
    });

    it('ingest: 202 {accepted}; decisions per enforcement mode, host-blocked stays blocked, unknown IPs unknown, bytes at enhanced_data_collection', async () => {
      const r = await send(dbAgent, [
        flow('10.9.0.10', '10.9.0.20', 6, 5432, { bytes_in: 100, bytes_out: 2000 }),
        flow('10.9.0.10', '10.9.0.20', 6, 22, { state: 'blocked' }),
        flow('10.9.0.11', '10.9.0.20', 6, 5432),
        flow('10.9.0.10', '10.9.0.20', 1, undefined, { state: 'blocked' }),
      ]);
      assert.equal(r.status, 202);
      assert.deepEqual(await r.json(), { accepted: 4 });
      const fromWeb2 = await send(web2, [flow('203.0.113.5', '10.9.0.11', 6, 80), flow('10.9.0.11', '10.9.0.20', 6, 22, { direction: 'outbound' })]);
      assert.equal(fromWeb2.status, 202);
      assert.equal((await send(web1, [flow('203.0.113.5', '198.51.100.9', 17, 53, { bytes_in: 5 })])).status, 202);

      const flows = await download({});
      const by = new Map(flows.map((f) => [key(f), f]));
      const decision = (k: string): string | undefined => by.get(k)?.policy_decision;
      assert.equal(decision('10.9.0.10>10.9.0.20:6/5432'), 'allowed', 'full ↔ full, allowed by the rule');
      assert.equal(decision('10.9.0.10>10.9.0.20:6/22'), 'blocked', 'full, no rule');
      assert.equal(decision('10.9.0.11>10.9.0.20:6/5432'), 'allowed', 'visibility_only consumer, allowed by the rule');
      assert.equal(decision('10.9.0.10>10.9.0.20:1/-'), 'blocked');
      assert.equal(decision('203.0.113.5>10.9.0.11:6/80'), 'potentially_blocked', 'visibility_only would block it in full');
      assert.equal(decision('10.9.0.11>10.9.0.20:6/22'), 'blocked', 'the enforcing side (db1) is in full');
      assert.equal(decision('203.0.113.5>198.51.100.9:17/53'), 'unknown', 'neither end is a managed workload');

      const ok = by.get('10.9.0.10>10.9.0.20:6/5432');
      assert.ok(ok);
      assert.equal(ok.src.workload?.hostname, 'web1');
      assert.equal(ok.src.workload?.href, web1.workload.href);
      assert.deepEqual(ok.src.workload?.labels.map((l) => [l.href, l.key, l.value]), [[web, 'role', 'web']]);
      assert.deepEqual(ok.dst.workload?.labels.map((l) => l.href), [db]);
      assert.equal(ok.num_connections, 3);
      assert.equal(ok.flow_direction, 'inbound');
      assert.equal(ok.state, 'allowed');
      assert.deepEqual(ok.timestamp_range, { first_detected: iso(10), last_detected: iso(5) });
      assert.deepEqual(ok.bytes, { in: 100, out: 2000 }, 'db1 reports at enhanced_data_collection');
      assert.equal(by.get('203.0.113.5>198.51.100.9:17/53')?.bytes, undefined, 'web1 is at flow_summary: no bytes');
      assert.equal(by.get('203.0.113.5>198.51.100.9:17/53')?.src.workload, undefined);
      assert.deepEqual(by.get('10.9.0.10>10.9.0.20:1/-')?.service, { proto: 1 });
    });

    it('draft vs active: an unprovisioned draft rule changes draft_policy_decision, not policy_decision', async () => {
      const rs = arr(await t.api('get', '/orgs/1/sec_policy/draft/rule_sets'))[0];
      const rules = `${String(rs?.['href'])}/sec_rules`;
      const add = await t.api('post', rules, { providers: [{ label: { href: db } }], consumers: [{ label: { href: web } }], ingress_services: [{ proto: 6, port: 2222 }] });
      assert.equal(add.status, 201, add.text);
      assert.equal((await send(dbAgent, [flow('10.9.0.10', '10.9.0.20', 6, 2222, { state: 'blocked', last_seen: iso(1) })])).status, 202);
      const [f] = await download({ services: { include: [{ proto: 6, port: 2222 }] } });
      assert.equal(f?.policy_decision, 'blocked');
      assert.equal(f?.draft_policy_decision, 'allowed');
    });

    it('a resent batch_id is accepted again and stored once', async () => {
      const before = await flowCount();
      const flows = [flow('10.9.0.10', '10.9.0.20', 6, 15432), flow('10.9.0.10', '10.9.0.20', 6, 15433)];
      const first = await send(web1, flows, 'resent-1');
      assert.equal(first.status, 202);
      const again = await send(web1, flows, 'resent-1');
      assert.equal(again.status, 202);
      assert.deepEqual(await again.json(), { accepted: 2 });
      assert.equal(await flowCount(), before + 2);
      // Not merged twice into the day's summary either: the connections were counted once.
      const stored = await t.running.pce.store.read((tx) => tx.queryFlowSummaries(1, { services: { include: [{ proto: 6, port: 15432 }], exclude: [] }, limit: 10 }));
      assert.deepEqual(stored.map((r) => [r.connections, r.flows]), [[3, 1]]);
    });

    it('label-filtered query (sources/destinations include, exclude), decisions, max_results; list and 404', async () => {
      const webToDb = await download({ sources: { include: [[{ label: { href: web } }]] }, destinations: { include: [[{ label: { href: db } }]] } });
      assert.ok(webToDb.length >= 6);
      for (const f of webToDb) {
        assert.deepEqual(f.src.workload?.labels.map((l) => l.href), [web]);
        assert.deepEqual(f.dst.workload?.labels.map((l) => l.href), [db]);
      }
      const notWeb2 = await download({ sources: { include: [[{ label: { href: web } }]], exclude: [{ workload: { href: web2.workload.href } }] }, destinations: { include: [[{ ip_address: '10.9.0.20' }]] } });
      assert.ok(notWeb2.length > 0 && notWeb2.every((f) => f.src.ip === '10.9.0.10'));
      const blocked = await download({ policy_decisions: ['blocked'] });
      assert.ok(blocked.length > 0 && blocked.every((f) => f.policy_decision === 'blocked'));
      const one = await download({ max_results: 1 });
      assert.equal(one.length, 1);
      assert.equal(one[0]?.service.port, 2222, 'newest first');
      const none = await download({ start_date: iso(-60), end_date: iso(-120) });
      assert.deepEqual(none, []);
      const list = await t.api('get', '/orgs/1/traffic_flows/async_queries?max_results=2');
      assert.equal(arr(list).length, 2);
      assert.ok(Number(list.headers.get('x-total-count')) >= 5);
      assert.equal((await t.api('get', '/orgs/1/traffic_flows/async_queries/00000000-0000-0000-0000-000000000000')).status, 404);
    });

    it('Explorer: results aggregated per (src, dst, service, direction, decision) with summed connections and first/last seen', async () => {
      const tuple = (over: Record<string, unknown>) => flow('10.9.0.10', '10.9.0.20', 17, 514, over);
      assert.equal((await send(web1, [tuple({ connections: 2, first_seen: iso(30), last_seen: iso(20) }), tuple({ connections: 5, first_seen: iso(15), last_seen: iso(3) })])).status, 202);
      assert.equal((await send(web1, [tuple({ connections: 1, first_seen: iso(40), last_seen: iso(35) })])).status, 202);
      const rows = await download({ services: { include: [{ proto: 17, port: 514 }] } });
      assert.equal(rows.length, 1, JSON.stringify(rows));
      assert.equal(rows[0]?.num_connections, 8);
      assert.deepEqual(rows[0]?.timestamp_range, { first_detected: iso(40), last_detected: iso(3) });
      assert.equal(rows[0]?.policy_decision, 'blocked', 'web1 (full) has no rule for it');
    });

    it('Explorer: label groups (with sub-groups), IP lists (exclusions honoured), CIDRs, sources OR destinations', async () => {
      const webOnly = hrefOf(await t.api('post', '/orgs/1/sec_policy/draft/label_groups', { name: 'web-only', key: 'role', labels: [{ href: web }] }));
      const nested = hrefOf(await t.api('post', '/orgs/1/sec_policy/draft/label_groups', { name: 'nested', key: 'role', labels: [], sub_groups: [{ href: webOnly }] }));
      const fromGroup = await download({ sources: { include: [[{ label_group: { href: nested } }]] } });
      assert.ok(fromGroup.length > 0);
      assert.ok(fromGroup.every((f) => f.src.workload?.labels.some((l) => l.href === web)), 'only sources labelled web');
      const notWeb = await download({ sources: { include: [], exclude: [{ label_group: { href: webOnly } }] } });
      assert.ok(notWeb.length > 0 && notWeb.every((f) => !f.src.workload?.labels.some((l) => l.href === web)));

      const ipl = hrefOf(await t.api('post', '/orgs/1/sec_policy/draft/ip_lists', { name: 'web-net', ip_ranges: [{ from_ip: '10.9.0.0/24' }, { from_ip: '10.9.0.11', exclusion: true }] }));
      const fromList = await download({ sources: { include: [[{ ip_list: { href: ipl } }]] } });
      assert.ok(fromList.length > 0);
      assert.deepEqual([...new Set(fromList.map((f) => f.src.ip))], ['10.9.0.10'], '10.9.0.11 is excluded from the list');
      const cidr = await download({ sources: { include: [[{ ip_address: '10.9.0.8/30' }]] } });
      assert.deepEqual([...new Set(cidr.map((f) => f.src.ip))].sort(), ['10.9.0.10', '10.9.0.11']);

      const both = { sources: { include: [[{ ip_address: '203.0.113.5' }]] }, destinations: { include: [[{ ip_address: '10.9.0.20' }]] } };
      assert.deepEqual(await download(both), []);
      const either = await download({ ...both, sources_destinations_query_op: 'or' });
      assert.ok(either.some((f) => f.src.ip === '203.0.113.5') && either.some((f) => f.dst.ip === '10.9.0.20'));
      assert.ok(either.every((f) => f.src.ip === '203.0.113.5' || f.dst.ip === '10.9.0.20'));
    });

    it('CSV download with Accept: text/csv or ?format=csv', async () => {
      // A second report of a connection reported before (3 connections, no bytes).
      assert.equal((await send(web1, [flow('10.9.0.10', '10.9.0.20', 6, 5432)])).status, 202);
      const { status } = await query({ sources: { include: [[{ ip_address: '10.9.0.10' }]] }, services: { include: [{ proto: 6, port: 5432 }] } });
      const res = await fetch(`${t.url}/api/v2${String(status['result'])}`, { headers: { Authorization: `Basic ${Buffer.from(`${t.owner.key_id}:${t.owner.secret}`).toString('base64')}`, Accept: 'text/csv' } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/csv/);
      const lines = (await res.text()).trim().split('\r\n');
      assert.equal(lines[0]?.split(',')[0], 'src_ip');
      assert.ok(lines.length >= 2);
      // Two reports of this connection (3 connections each, one with bytes): one aggregated row.
      assert.match(lines[1] ?? '', /^10\.9\.0\.10,\/orgs\/1\/workloads\/[0-9a-f-]+,web1,role=web,10\.9\.0\.20,.*,db1,role=db,6,5432,6,allowed,allowed,inbound,allowed,[^,]+,[^,]+,100,2000$/);
      const viaQuery = await t.api('get', `${String(status['result'])}?format=csv`);
      assert.equal(viaQuery.text.trim().split('\r\n').length, lines.length);
    });

    it('bad input is 406 [{token,message}], never 5xx; bad agent credentials 401', async () => {
      const bad: unknown[] = [
        { sources: { include: [{ label: { href: web } }] } },
        { sources: { include: [[{ label: { href: '/orgs/1/labels/9999' } }]] } },
        { sources: { include: [[{ label: { href: '/orgs/1/labels/99999999999999999999' } }]] } },
        { sources: { include: [[{ ip_list: { href: '/orgs/1/sec_policy/99999999999999999999/ip_lists/1' } }]] } },
        { sources: { include: [[{ label_group: { href: '/orgs/1/sec_policy/3/label_groups/1' } }]] } },
        { sources: { include: [[{ label: { href: '/orgs/2/labels/1' } }]] } },
        { destinations: { include: [[{ workload: { href: web } }]] } },
        { sources: { include: [[{ ip_address: '10.0.0.300' }]] } },
        { sources: { include: [[{ ip_list: { href: '/orgs/1/sec_policy/draft/ip_lists/9999' } }]] } },
        { sources: { include: [[{ ip_list: { href: '/orgs/2/sec_policy/draft/ip_lists/1' } }]] } },
        { sources: { include: [[{ ip_list: { href: '/orgs/1/labels/1' } }]] } },
        { sources: { include: [[{ label_group: { href: '/orgs/1/sec_policy/draft/label_groups/9999' } }]] } },
        { sources: { include: [[{ label_group: { href: '/orgs/1/sec_policy/active/ip_lists/1' } }]] } },
        { destinations: { exclude: [{ ip_address: '10.0.0.1/8' }] } },
        { destinations: { exclude: [{ ip_address: 'fe80::1/129' }] } },
        { sources: { include: [[{ label: { href: web }, transmission: 'unicast' }]] } },
        { sources_destinations_query_op: 'xor' },
        { max_results: 200_000 },
        { max_results: -1 },
        { policy_decisions: ['maybe'] },
        { start_date: 'yesterday' },
        { start_date: iso(0), end_date: iso(60) },
        { services: { include: [{ proto: 6, port: 70000 }] } },
        { services: { include: [{ port: 10, to_port: 5 }] } },
      ];
      for (const body of bad) {
        const r = await t.api('post', '/orgs/1/traffic_flows/async_queries', body);
        assert.equal(r.status, 406, `${JSON.stringify(body)} → ${r.status} ${r.text}`);
        errorTokens(r);
      }
      assert.equal((await t.api('post', '/orgs/1/traffic_flows/async_queries', undefined, { raw: '{nope' })).status, 406);
      assert.equal((await t.api('get', '/orgs/1/traffic_flows/async_queries/x/download?format=xml')).status, 406);

      const before = await flowCount();
      const badFlows: unknown[] = [
        [flow('10.9.0.10', '10.9.0.20', 6, undefined)],
        [flow('10.9.0.999', '10.9.0.20', 6, 80)],
        [flow('10.9.0.10', '10.9.0.20', 6, 80, { direction: 'sideways' })],
        [flow('10.9.0.10', '10.9.0.20', 6, 80, { first_seen: iso(1), last_seen: iso(2) })],
        [flow('10.9.0.10', '10.9.0.20', 6, 80, { state: 'unknown' })],
        [flow('10.9.0.10', '10.9.0.20', 6, 80, { connections: 0 })],
        Array.from({ length: 10_001 }, () => flow('10.9.0.10', '10.9.0.20', 6, 80)),
      ];
      for (const flows of badFlows) {
        const r = await send(web1, flows as unknown[]);
        assert.equal(r.status, 406, JSON.stringify(flows).slice(0, 200));
      }
      assert.equal((await agent('flows', web1, undefined, '{not json')).status, 406);
      assert.equal((await agent('flows', web1, { batch_id: 'has space', flows: [] })).status, 406);
      assert.equal((await agent('flows', null, { batch_id: 'x', flows: [] })).status, 401);
      assert.equal((await agent('flows', { ...web1, secret: '0'.repeat(64) }, { batch_id: 'x', flows: [] })).status, 401);
      assert.equal(await flowCount(), before, 'a rejected batch stores nothing');
    });

    it('retention: flows last seen before the retention window are purged, in chunks', async () => {
      const old = { first_seen: iso(60 * 24 * 41), last_seen: iso(60 * 24 * 40) };
      assert.equal((await send(web1, [flow('10.9.0.10', '10.9.0.20', 6, 9998, old), flow('10.9.0.10', '10.9.0.20', 6, 9999, old)])).status, 202);
      const before = await flowCount();
      // One summary per transaction: both go.
      assert.equal((await purgeOldFlows(t.running.pce, 30, 1)).summaries, 2);
      assert.equal(await flowCount(), before - 2);
    });

    it('retention also deletes the endpoints no kept flow names; one deleted from under ingest is interned again when it comes back', async () => {
      const env = t.running.pce.env as { now: () => Date };
      const realNow = env.now;
      const later = NOW + 40 * 86_400_000;
      const at = (minutesAgo: number) => ({ first_seen: new Date(later - (minutesAgo + 5) * 60_000).toISOString(), last_seen: new Date(later - minutesAgo * 60_000).toISOString() });
      // Today: an address pair nobody else uses, which ingest now holds in its cache.
      assert.equal((await send(web1, [flow('10.9.0.10', '198.51.100.7', 6, 7001)])).status, 202);
      env.now = () => new Date(later);
      try {
        // 40 days on: another flow, then retention of 30 days.
        assert.equal((await send(web1, [flow('10.9.0.10', '198.51.100.8', 6, 7002, at(10))])).status, 202);
        const purged = await purgeOldFlows(t.running.pce, 30);
        assert.equal(await flowCount(), 1, 'only the flow of 40 days on is kept');
        assert.ok(purged.endpoints >= 1, `endpoints last used 40 days ago are deleted (${JSON.stringify(purged)})`);
        // The deleted address comes back: ingest interns it anew before a summary names it.
        assert.equal((await send(web1, [flow('10.9.0.10', '198.51.100.7', 6, 7001, at(5))])).status, 202);
        assert.deepEqual((await download({})).map(key).sort(), ['10.9.0.10>198.51.100.7:6/7001', '10.9.0.10>198.51.100.8:6/7002']);
      } finally {
        env.now = realNow;
      }
    });
  });
}

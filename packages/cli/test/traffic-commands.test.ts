/** `palisade traffic query` against a real PCE holding flows ingested through the service layer. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withPce, type TestPce } from './helpers.ts';
import { parsePort } from '../src/commands/traffic-commands.ts';

let t: TestPce;
const at = (min: number): string => new Date(Date.now() - min * 60_000).toISOString();

before(async () => {
  t = await withPce();
  for (const v of ['web', 'db']) assert.equal((await t.cli('labels', 'create', 'role', v)).code, 0);
  assert.equal((await t.cli('workloads', 'create', '--hostname', 'web1', '--ip', '198.51.100.10', '--label', 'role=web', '--enforcement-mode', 'full')).code, 0);
  assert.equal((await t.cli('workloads', 'create', '--hostname', 'db1', '--ip', '198.51.100.20', '--label', 'role=db', '--enforcement-mode', 'full')).code, 0);
  assert.equal((await t.cli('rulesets', 'create', 'app')).code, 0);
  assert.equal((await t.cli('rules', 'add', '--ruleset', 'app', '--providers', 'role=db', '--consumers', 'role=web', '--services', 'tcp/5432')).code, 0);
  assert.equal((await t.cli('provision', '--description', 'app')).code, 0);
  const { store, compute, flows } = t.pce.pce;
  await store.transaction(async (tx) => {
    for (const row of await tx.allWorkloads(1)) await tx.updateWorkload({ ...row, data: JSON.stringify({ ...(JSON.parse(row.data) as object), ven_id: `ven-${row.id}` }) });
  });
  compute.invalidate(1);
  const db1 = (await store.read((tx) => tx.allWorkloads(1))).find((w) => w.data.includes('"db1"'));
  const f = (src: string, port: number, minutesAgo: number) => ({ src_ip: src, dst_ip: '198.51.100.20', proto: 6, dst_port: port, direction: 'inbound' as const, first_seen: at(minutesAgo + 1), last_seen: at(minutesAgo), connections: 2, state: 'allowed' as const });
  await flows.ingest({ org: 1, workloadId: db1?.id ?? '' }, { batch_id: 'cli-1', dropped: 0, flows: [f('198.51.100.10', 5432, 30), f('198.51.100.10', 22, 20), f('203.0.113.9', 5432, 10)] });
});
after(async () => t.close());

test('traffic query: all flows newest first, as a table', async () => {
  const r = await t.cli('traffic', 'query');
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  assert.match(lines[0] ?? '', /^SOURCE\s+DESTINATION\s+SERVICE\s+CONNS\s+DECISION\s+DRAFT/);
  assert.match(lines[1] ?? '', /^203\.0\.113\.9\s+db1 \(198\.51\.100\.20\)\s+tcp\/5432\s+2\s+blocked/);
  assert.match(r.out, /web1 \(198\.51\.100\.10\)\s+db1 \(198\.51\.100\.20\)\s+tcp\/5432\s+2\s+allowed\s+allowed/);
  assert.match(r.out, /3 flows$/);
});

test('traffic query: by label, hostname, IP, port, decision, time; --json and --max', async () => {
  const byLabel = JSON.parse((await t.cli('traffic', 'query', '--src', 'role=web', '--dst', 'db1', '--json')).out) as { service: { port: number } }[];
  assert.deepEqual(byLabel.map((f) => f.service.port).sort(), [22, 5432]);
  const byPort = JSON.parse((await t.cli('traffic', 'query', '--port', 'tcp/5432', '--decision', 'allowed', '--json')).out) as { src: { ip: string } }[];
  assert.deepEqual(byPort.map((f) => f.src.ip), ['198.51.100.10']);
  const ored = JSON.parse((await t.cli('traffic', 'query', '--src', '203.0.113.9', '--src', 'web1', '--port', '5432', '--json')).out) as unknown[];
  assert.equal(ored.length, 2);
  const recent = JSON.parse((await t.cli('traffic', 'query', '--since', at(15), '--json')).out) as unknown[];
  assert.equal(recent.length, 1);
  const max = JSON.parse((await t.cli('traffic', 'query', '--max', '2', '--json')).out) as unknown[];
  assert.equal(max.length, 2);
});

test('traffic query: IP list and label group terms, CIDRs, --not-src/--not-dst, --either', async () => {
  const { store, env } = t.pce.pce;
  // Policy objects straight into the draft (the CLI's own ip-list/label-group commands are not what is tested here).
  const labels = await store.read((tx) => tx.listLabels(1, { limit: 100 }));
  const web = labels.rows.find((l) => l.value === 'web');
  const now = env.now().toISOString();
  await store.transaction(async (tx) => {
    await tx.putDraft({ org_id: 1, type: 'ip_lists', id: '900', data: JSON.stringify({ id: '900', name: 'tests-net', description: '', ip_ranges: [{ from_ip: '203.0.113.0/24', exclusion: false }], fqdns: [] }), change: 'create', updated_at: now, updated_by: null });
    await tx.putDraft({ org_id: 1, type: 'label_groups', id: '901', data: JSON.stringify({ id: '901', key: 'role', name: 'web-tier', description: '', labels: [{ href: `/orgs/1/labels/${web?.id ?? 0}` }], sub_groups: [] }), change: 'create', updated_at: now, updated_by: null });
  });
  const q = async (...args: string[]): Promise<string[]> => {
    const r = await t.cli('traffic', 'query', ...args, '--json');
    assert.equal(r.code, 0, r.err);
    return (JSON.parse(r.out) as { src: { ip: string }; service: { port: number } }[]).map((f) => `${f.src.ip}:${f.service.port}`).sort();
  };
  assert.deepEqual(await q('--src', 'ip_list:tests-net'), ['203.0.113.9:5432']);
  assert.deepEqual(await q('--src', 'label_group:web-tier'), ['198.51.100.10:22', '198.51.100.10:5432']);
  assert.deepEqual(await q('--src', '198.51.100.0/24', '--port', '5432'), ['198.51.100.10:5432']);
  assert.deepEqual(await q('--not-src', 'role=web'), ['203.0.113.9:5432']);
  assert.deepEqual(await q('--not-dst', 'db1'), []);
  assert.deepEqual(await q('--src', '203.0.113.9', '--dst', 'role=web'), []);
  assert.deepEqual(await q('--src', '203.0.113.9', '--dst', 'role=web', '--either'), ['203.0.113.9:5432']);
  const bad = await t.cli('traffic', 'query', '--src', 'ip_list:nope');
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /no ip list named "nope"/);
});

test('traffic query --csv FILE writes CSV', async () => {
  const r = await t.cli('traffic', 'query', '--dst', 'role=db', '--csv', 'flows.csv');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^3 flows written to flows\.csv$/);
  const csv = (await readFile(join(t.dir, 'flows.csv'), 'utf8')).trim().split('\r\n');
  assert.equal(csv.length, 4);
  assert.match(csv[0] ?? '', /^src_ip,src_workload,src_hostname,src_labels,dst_ip/);
});

test('bad input: a clear message and a non-zero exit', async () => {
  for (const [args, message] of [
    [['--port', 'tcp:443'], /PROTO\/PORT/],
    [['--decision', 'maybe'], /--decision "maybe"/],
    [['--since', 'yesterday'], /ISO 8601/],
    [['--max', '1000000'], /--max/],
    [['--src', 'role=nope'], /label_not_found/],
    [['--src', 'nohost'], /workload_not_found/],
  ] as const) {
    const r = await t.cli('traffic', 'query', ...args);
    assert.notEqual(r.code, 0);
    assert.match(r.err, message);
  }
  assert.deepEqual(parsePort('udp/53'), { proto: 17, port: 53 });
  assert.deepEqual(parsePort('icmp'), { proto: 1 });
  assert.deepEqual(parsePort('8080'), { port: 8080 });
});

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

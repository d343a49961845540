import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withPce, type TestPce } from './helpers.ts';

let t: TestPce;
before(async () => {
  t = await withPce('off');
});
after(async () => {
  await t.close();
});

test('labels create and list --json', async () => {
  const c = await t.cli('labels', 'create', 'role', 'web');
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /created label role=web \/orgs\/1\/labels\/\d+/);
  assert.equal((await t.cli('labels', 'create', 'env=prod')).code, 0);
  const l = await t.cli('labels', 'list', '--json');
  assert.equal(l.code, 0, l.err);
  const labels = JSON.parse(l.out) as { key: string; value: string; href: string }[];
  assert.ok(labels.some((x) => x.key === 'role' && x.value === 'web' && x.href.startsWith('/orgs/1/labels/')));
  const human = await t.cli('labels', 'list');
  assert.match(human.out.split('\n')[0] ?? '', /^HREF\s+KEY\s+VALUE$/);
});

test('an API error prints message and token and exits with its kind', async () => {
  const r = await t.cli('labels', 'create', 'role', 'web');
  assert.equal(r.code, 2);
  assert.match(r.err, /^error: .*already exists.* \[label_exists\]$/m);
  const nf = await t.cli('labels', 'delete', '999999');
  assert.equal(nf.code, 4, nf.err);
  assert.match(nf.err, /\[label_not_found\]/);
  const bad = await t.cli('labels', 'create', 'Role!', 'x');
  assert.equal(bad.code, 2);
  assert.match(bad.err, /^error: .+ \[[a-z_]+\]$/m);
});

test('unreachable PCE and missing credentials say how to fix them', async () => {
  const down = await t.raw(['labels', 'list', '--pce', 'http://127.0.0.1:1', '--api-key-file', 'data/admin-api-key.json']);
  assert.equal(down.code, 7);
  assert.match(down.err, /cannot reach the PCE .*is it running/);
  const nokey = await t.raw(['labels', 'list', '--pce', t.pce.url, '--api-key-file', 'nope.json']);
  assert.notEqual(nokey.code, 0);
  assert.match(nokey.err, /--api-key-file/);
  const wrong = await t.raw(['labels', 'list', '--pce', t.pce.url], { PALISADE_API_KEY_ID: 'nobody', PALISADE_API_KEY_SECRET: 'nothing' });
  assert.equal(wrong.code, 3, wrong.err);
});

test('workloads create, update, list, delete', async () => {
  const c = await t.cli('workloads', 'create', '--hostname', 'web1', '--ip', '10.0.0.1,10.0.0.2', '--label', 'role=web', '--label', 'env=prod', '--json');
  assert.equal(c.code, 0, c.err);
  const w = JSON.parse(c.out) as { href: string; interfaces: { address: string }[] };
  assert.deepEqual(w.interfaces.map((i) => i.address), ['10.0.0.1', '10.0.0.2']);
  const u = await t.cli('workloads', 'update', 'web1', '--enforcement-mode', 'full');
  assert.equal(u.code, 0, u.err);
  const l = await t.cli('workloads', 'list');
  assert.match(l.out, /web1\s+10\.0\.0\.1,10\.0\.0\.2\s+full\s+(role=web,env=prod|env=prod,role=web)/);
  assert.equal((await t.cli('workloads', 'create', '--hostname', 'tmp1')).code, 0);
  const d = await t.cli('workloads', 'delete', 'tmp1');
  assert.equal(d.code, 0, d.err);
  const missing = await t.cli('workloads', 'create', '--hostname', 'x', '--label', 'role=nope');
  assert.equal(missing.code, 4);
  assert.match(missing.err, /no label role=nope.*\[label_not_found\]/);
});

test('rule set with a SecureConnect rule, provision, pending, versions', async () => {
  assert.equal((await t.cli('labels', 'create', 'role=db')).code, 0);
  assert.equal((await t.cli('ip-lists', 'create', 'corp', '--ranges', '10.0.0.0/8,192.0.2.1-192.0.2.9')).code, 0);
  const svc = await t.cli('services', 'create', 'pg', '--ports', 'tcp/5432');
  assert.equal(svc.code, 0, svc.err);
  const rs = await t.cli('rulesets', 'create', 'db-prod', '--scope', 'env=prod', '--json');
  assert.equal(rs.code, 0, rs.err);
  const rsId = (JSON.parse(rs.out) as { href: string }).href.split('/').pop() ?? '';
  const add = await t.cli('rules', 'add', '--ruleset', rsId, '--providers', 'label:role=db', '--consumers', 'role=web', '--services', 'service:pg,tcp/443,udp/53-55,icmp', '--sec-connect', '--json');
  assert.equal(add.code, 0, add.err);
  const rule = JSON.parse(add.out) as { sec_connect: boolean; ingress_services: unknown[] };
  assert.equal(rule.sec_connect, true);
  assert.equal(rule.ingress_services.length, 4);
  const sc = await t.cli('rules', 'add', '--ruleset', rsId, '--providers', 'role=db', '--consumers', 'ip_list:corp', '--services', 'tcp/5432', '--sec-connect');
  assert.equal(sc.code, 2, 'SecureConnect with an IP list is refused');
  assert.match(sc.err, /\[sec_connect_ip_list_not_allowed\]/);
  assert.equal((await t.cli('rules', 'add', '--ruleset', rsId, '--providers', 'role=db', '--consumers', 'ip_list:corp', '--services', 'tcp/5432')).code, 0);
  const show = await t.cli('rulesets', 'show', 'db-prod');
  assert.equal(show.code, 0, show.err);
  assert.match(show.out, /label:role=db\s+label:role=web\s+service:\S+,tcp\/443,udp\/53-55,icmp\s+sec_connect/);
  const pending = await t.cli('pending');
  assert.match(pending.out, /rule_sets\s+\S+\s+db-prod/);
  const p1 = await t.cli('provision', '--description', 'db rules', '--only', `rule_sets/${rsId}`);
  assert.notEqual(p1.code, 0, 'a rule set that needs unprovisioned objects cannot go alone');
  const p = await t.cli('provision', '--description', 'db rules', '--json');
  assert.equal(p.code, 0, p.err);
  const v = JSON.parse(p.out) as { version: number };
  assert.ok(v.version >= 1);
  assert.match((await t.cli('pending')).out, /no pending changes/);
  const active = await t.cli('rulesets', 'list', '--pversion', 'active');
  assert.match(active.out, /db-prod/);
  const vs = await t.cli('versions', 'list');
  assert.match(vs.out, /db rules/);
  // a second version that deletes the rule, then diff
  const ruleId = (JSON.parse((await t.cli('rules', 'list', '--ruleset', 'db-prod', '--json')).out) as { href: string }[])[1]?.href.split('/').pop() ?? '';
  assert.equal((await t.cli('rules', 'delete', ruleId, '--ruleset', 'db-prod')).code, 0);
  assert.equal((await t.cli('provision', '--description', 'drop rule')).code, 0);
  const diff = await t.cli('versions', 'diff', String(v.version), String(v.version + 1), '--json');
  assert.equal(diff.code, 0, diff.err);
  assert.ok((JSON.parse(diff.out) as unknown[]).length >= 1);
  const badActor = await t.cli('rules', 'add', '--ruleset', rsId, '--providers', 'host:x', '--consumers', 'ams', '--services', 'tcp/1');
  assert.equal(badActor.code, 2);
  assert.match(badActor.err, /not an actor/);
});

test('revert drops pending changes', async () => {
  assert.equal((await t.cli('ip-lists', 'create', 'temp', '--ranges', '198.51.100.0/24')).code, 0);
  assert.match((await t.cli('pending')).out, /temp/);
  const r = await t.cli('revert');
  assert.equal(r.code, 0, r.err);
  assert.doesNotMatch((await t.cli('ip-lists', 'list')).out, /temp/);
});

test('api-keys create, list, delete', async () => {
  const c = await t.cli('api-keys', 'create', 'ci', '--role', 'read_only', '--json');
  assert.equal(c.code, 0, c.err);
  const k = JSON.parse(c.out) as { key_id: string; secret: string };
  assert.ok(k.secret);
  assert.match((await t.cli('api-keys', 'list')).out, new RegExp(k.key_id));
  // the read-only key cannot write: 403 → exit 3
  const ro = await t.raw(['labels', 'create', 'role=x', '--pce', t.pce.url], { PALISADE_API_KEY_ID: k.key_id, PALISADE_API_KEY_SECRET: k.secret });
  assert.equal(ro.code, 3, ro.err);
  assert.equal((await t.cli('api-keys', 'delete', k.key_id)).code, 0);
  assert.doesNotMatch((await t.cli('api-keys', 'list')).out, new RegExp(k.key_id));
});

test('labels CSV: export → import round trip, bad file imports nothing', async () => {
  await writeFile(join(t.dir, 'labels.csv'), 'key,value\r\napp,shop\r\n"loc","dc ""one"""\r\n');
  const ok = await t.cli('labels', 'import', 'labels.csv');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /imported 2 labels/);
  const ex = await t.cli('labels', 'export', '-o', 'out.csv');
  assert.equal(ex.code, 0, ex.err);
  assert.match(await readFile(join(t.dir, 'out.csv'), 'utf8'), /loc,"dc ""one"""/);
  await writeFile(join(t.dir, 'bad-labels.csv'), 'key,value\napp,new1\nBAD,x\napp,\napp,new1\napp,shop\n');
  const bad = await t.cli('labels', 'import', 'bad-labels.csv');
  assert.equal(bad.code, 2);
  for (const row of [3, 4, 5, 6]) assert.match(bad.err, new RegExp(`error: row ${row}: `));
  assert.match(bad.err, /nothing imported/);
  assert.doesNotMatch((await t.cli('labels', 'list')).out, /new1/);
});

test('workloads CSV: good file, bad file imports nothing, --partial, round trip', async () => {
  const good = ['hostname,name,ip_addresses,os_type,os_version,enforcement_mode,visibility_level,role,app,env,loc', 'app1,App One,10.1.0.1;10.1.0.2,linux,22.04,visibility_only,flow_summary,app,shop,prod,', '"app2","App, Two",10.1.0.3,,,,,app,shop,prod,dc9'].join('\r\n');
  await writeFile(join(t.dir, 'wl.csv'), good);
  const ok = await t.cli('workloads', 'import', 'wl.csv');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /imported 2 workloads/);
  assert.match(ok.err, /created 2 labels: role=app, loc=dc9/);

  const bad = [
    'hostname,name,ip_addresses,os_type,enforcement_mode,role',
    'ok1,,10.2.0.1,linux,full,app', // fine
    'bad1,,10.2.0.300,linux,full,app', // bad IP
    'bad2,,10.2.0.2,plan9,turbo,app', // bad os_type and mode
    ',,10.2.0.3,,,app', // no hostname or name
    'app1,,10.2.0.4,,,app', // exists on the PCE
    'ok2,,10.2.0.5,,,app',
    'ok2,,10.2.0.6,,,app', // duplicate within the file
    'ok3,,"10.2.0.7',
  ].join('\n');
  await writeFile(join(t.dir, 'bad.csv'), bad);
  const before = (await t.cli('workloads', 'list', '--json')).out;
  const r = await t.cli('workloads', 'import', 'bad.csv');
  assert.equal(r.code, 2);
  assert.match(r.err, /row 3: "10\.2\.0\.300" is not an IP address/);
  assert.match(r.err, /row 4: os_type "plan9".*enforcement_mode "turbo"/);
  assert.match(r.err, /row 5: hostname and name are both empty/);
  assert.match(r.err, /row 6: a workload with hostname app1 already exists/);
  assert.match(r.err, /row 8: hostname ok2 repeats row 7/);
  assert.match(r.err, /row 9: a quoted field is not closed/);
  assert.doesNotMatch(r.err, /row 2:|row 7:/);
  assert.equal((await t.cli('workloads', 'list', '--json')).out, before, 'nothing was written');

  const p = await t.cli('workloads', 'import', 'bad.csv', '--partial');
  assert.equal(p.code, 2, 'bad rows still fail the run');
  assert.match(p.out, /imported 2 workloads/);
  assert.match(p.err, /row 3: /);
  const after = await t.cli('workloads', 'list');
  assert.match(after.out, /ok1/);
  assert.match(after.out, /ok2/);

  await writeFile(join(t.dir, 'wl3.csv'), 'hostname,role\nz1,brand-new\n');
  const nl = await t.cli('workloads', 'import', 'wl3.csv', '--no-create-labels');
  assert.equal(nl.code, 2);
  assert.match(nl.err, /row 2: label role=brand-new does not exist/);

  // round trip: export, delete what was imported, import the export back
  const ex = await t.cli('workloads', 'export', '-o', 'export.csv');
  assert.equal(ex.code, 0, ex.err);
  const exported = await readFile(join(t.dir, 'export.csv'), 'utf8');
  assert.match(exported, /^hostname,name,ip_addresses,os_type,os_version,enforcement_mode,visibility_level,role,app,env,loc\r\n/);
  assert.match(exported, /app2,"App, Two",10\.1\.0\.3,/);
  const listed = JSON.parse((await t.cli('workloads', 'list', '--json')).out) as { href: string; hostname: string; name: string; interfaces: unknown; labels: { key: string; value: string }[]; enforcement_mode: string }[];
  for (const w of listed) assert.equal((await t.cli('workloads', 'delete', w.href)).code, 0);
  const back = await t.cli('workloads', 'import', 'export.csv');
  assert.equal(back.code, 0, back.err);
  const relisted = JSON.parse((await t.cli('workloads', 'list', '--json')).out) as typeof listed;
  const shape = (ws: typeof listed): unknown =>
    ws.map((w) => ({ hostname: w.hostname, name: w.name, interfaces: w.interfaces, mode: w.enforcement_mode, labels: w.labels.map((l) => `${l.key}=${l.value}`).sort() })).sort((a, b) => a.hostname.localeCompare(b.hostname));
  assert.deepEqual(shape(relisted), shape(listed));
});

/** `palisade policy check|show` against a real PCE. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { withPce, type TestPce } from './helpers.ts';
import { parseService } from '../src/commands/policy-commands.ts';

let t: TestPce;

before(async () => {
  t = await withPce();
  for (const v of ['web', 'db']) assert.equal((await t.cli('labels', 'create', 'role', v)).code, 0);
  assert.equal((await t.cli('workloads', 'create', '--hostname', 'web1', '--ip', '198.51.100.10', '--label', 'role=web', '--enforcement-mode', 'full')).code, 0);
  assert.equal((await t.cli('workloads', 'create', '--hostname', 'db1', '--ip', '198.51.100.20', '--label', 'role=db', '--enforcement-mode', 'full')).code, 0);
  assert.equal((await t.cli('rulesets', 'create', 'app')).code, 0);
  assert.equal((await t.cli('rules', 'add', '--ruleset', 'app', '--providers', 'role=db', '--consumers', 'role=web', '--services', 'tcp/5432')).code, 0);
  // Decisions need enforcing workloads: give both a VEN, as pairing would (issue 4).
  const store = t.pce.pce.store;
  await store.transaction(async (tx) => {
    for (const row of await tx.allWorkloads(1)) await tx.updateWorkload({ ...row, data: JSON.stringify({ ...(JSON.parse(row.data) as object), ven_id: `ven-${row.id}` }) });
  });
  t.pce.pce.compute.invalidate(1);
});
after(async () => t.close());

test('policy check: draft vs active, by hostname or IP, with the deciding rule', async () => {
  const draft = await t.cli('policy', 'check', '--src', 'web1', '--dst', '198.51.100.20', '--service', 'tcp/5432', '--draft');
  assert.equal(draft.code, 0, draft.err);
  assert.match(draft.out, /^allowed/);
  assert.match(draft.out, /allow \/orgs\/1\/sec_policy\/draft\/rule_sets\/\d+\/sec_rules\/\d+/);
  const before = await t.cli('policy', 'check', '--src', 'web1', '--dst', 'db1', '--service', 'tcp/5432');
  assert.match(before.out, /^blocked/, 'nothing is active before provisioning');
  assert.equal((await t.cli('provision', '--description', 'app')).code, 0);
  const active = await t.cli('policy', 'check', '--src', '198.51.100.10', '--dst', 'db1', '--service', 'tcp/5432', '--json');
  assert.equal(JSON.parse(active.out).decision, 'allowed');
  const other = await t.cli('policy', 'check', '--src', 'web1', '--dst', 'db1', '--service', 'tcp/22');
  assert.match(other.out, /^blocked/);
});

test('policy show: the computed plan in short, or as JSON', async () => {
  const r = await t.cli('policy', 'show', 'db1');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /mode full/);
  assert.match(r.out, /inbound 1, outbound 0/);
  const j = JSON.parse((await t.cli('policy', 'show', 'db1', '--json')).out) as { plan: { inbound: unknown[] } };
  assert.equal(j.plan.inbound.length, 1);
});

test('bad input: a clear message and a non-zero exit', async () => {
  const bad = await t.cli('policy', 'check', '--src', 'web1', '--dst', 'db1', '--service', 'tcp:443');
  assert.notEqual(bad.code, 0);
  assert.match(bad.err, /PROTO\[\/PORT\]/);
  const unknown = await t.cli('policy', 'check', '--src', 'nope', '--dst', 'db1', '--service', 'tcp/1');
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.err, /workload_not_found/);
  assert.deepEqual(parseService('icmp/8'), { proto: 'icmp', icmpType: '8' });
});

/** Issue 3 on the PCE: computed plans per workload, workloads_affected, policy check. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hrefOf, label, obj, startTestPce, type TestPce } from './support/api-harness.ts';

let t: TestPce;
let web = '';
let db = '';
let wWeb = '';
let wDb = '';

async function setManaged(href: string): Promise<void> {
  const id = href.split('/').pop() ?? '';
  await t.running.pce.store.transaction(async (tx) => {
    const row = await tx.getWorkload(1, id);
    assert.ok(row);
    await tx.updateWorkload({ ...row, data: JSON.stringify({ ...(JSON.parse(row.data) as object), ven_id: `ven-${id}` }) });
  });
  t.running.pce.compute.invalidate(1);
}

before(async () => {
  t = await startTestPce();
  web = await label(t, 'role', 'web');
  db = await label(t, 'role', 'db');
  wWeb = hrefOf(await t.api('post', '/orgs/1/workloads', { hostname: 'web1', interfaces: [{ name: 'eth0', address: '192.0.2.10' }], labels: [{ href: web }], enforcement_mode: 'full' }));
  wDb = hrefOf(await t.api('post', '/orgs/1/workloads', { hostname: 'db1', interfaces: [{ name: 'eth0', address: '192.0.2.20' }, { name: 'eth0', address: '2001:db8::20' }], labels: [{ href: db }], enforcement_mode: 'full' }));
  await setManaged(wWeb);
  await setManaged(wDb);
});
after(async () => t.close());

describe('computed policy on the PCE', () => {
  it('before any provision a workload has a plan with nothing allowed', async () => {
    const r = await t.api('get', `/api/v2${wDb}/policy`);
    assert.equal(r.status, 200);
    const body = obj(r);
    assert.equal(body['policy_version'], 0);
    const plan = body['plan'] as { inbound: unknown[]; enforcement_mode: string };
    assert.deepEqual(plan.inbound, []);
    assert.equal(plan.enforcement_mode, 'full');
  });

  it('a provisioned SecureConnect rule reaches both plans; workloads_affected counts them; policy check decides', async () => {
    const rs = await t.api('post', '/orgs/1/sec_policy/draft/rule_sets', {
      name: 'web-db',
      rules: [{ providers: [{ label: { href: db } }], consumers: [{ label: { href: web } }], ingress_services: [{ proto: 6, port: 5432 }], sec_connect: true }],
    });
    assert.equal(rs.status, 201);
    const prov = await t.api('post', '/orgs/1/sec_policy', { update_description: 'web→db' });
    assert.equal(prov.status, 201);
    assert.equal(obj(prov)['workloads_affected'], 2);

    const dbPlan = obj(await t.api('get', `/api/v2${wDb}/policy`))['plan'] as { inbound: { services: unknown[]; sec_connect: boolean }[]; secure_connect: { peers: { workload: string; ike_version: string }[] } };
    assert.equal(dbPlan.inbound.length, 1);
    assert.equal(dbPlan.inbound[0]?.sec_connect, true);
    assert.deepEqual(dbPlan.secure_connect.peers.map((p) => [p.workload, p.ike_version]), [[wWeb, 'ikev2']]);
    const webPlan = obj(await t.api('get', `/api/v2${wWeb}/policy`))['plan'] as { outbound: unknown[]; secure_connect: { peers: { workload: string }[] } };
    assert.equal(webPlan.outbound.length, 1);
    assert.deepEqual(webPlan.secure_connect.peers.map((p) => p.workload), [wDb]);

    const allowed = obj(await t.api('get', `/orgs/1/policy_check?src=${encodeURIComponent(wWeb)}&dst=192.0.2.20&proto=tcp&port=5432`));
    assert.equal(allowed['decision'], 'allowed');
    const blocked = obj(await t.api('get', `/orgs/1/policy_check?src=192.0.2.10&dst=${encodeURIComponent(wDb)}&proto=tcp&port=22`));
    assert.equal(blocked['decision'], 'blocked');
  });

  it('a workload change recomputes its peers: relabelling web drops it from db\'s SecureConnect peers', async () => {
    assert.equal((await t.api('put', `/api/v2${wWeb}`, { labels: [] })).status, 204);
    const dbPlan = obj(await t.api('get', `/api/v2${wDb}/policy`))['plan'] as { secure_connect: { peers: unknown[] } };
    assert.deepEqual(dbPlan.secure_connect.peers, []);
  });

  it('policy check against the draft sees unprovisioned rules', async () => {
    await t.api('post', '/orgs/1/sec_policy/draft/rule_sets', {
      name: 'ssh',
      rules: [{ providers: [{ label: { href: db } }], consumers: [{ actors: 'ams' }], ingress_services: [{ proto: 6, port: 22 }] }],
    });
    const q = `src=192.0.2.10&dst=${encodeURIComponent(wDb)}&proto=tcp&port=22`;
    assert.equal(obj(await t.api('get', `/orgs/1/policy_check?${q}`))['decision'], 'blocked');
    assert.equal(obj(await t.api('get', `/orgs/1/policy_check?${q}&policy=draft`))['decision'], 'allowed');
  });

  it('bad queries are 406, unknown workloads 404', async () => {
    assert.equal((await t.api('get', '/orgs/1/policy_check?src=x')).status, 406);
    assert.equal((await t.api('get', '/orgs/1/policy_check?src=192.0.2.1&dst=192.0.2.2&proto=bogus')).status, 406);
    assert.equal((await t.api('get', '/orgs/1/policy_check?src=192.0.2.1&dst=192.0.2.2&port=99999')).status, 406);
    assert.equal((await t.api('get', '/orgs/1/workloads/nope/policy')).status, 404);
  });
});

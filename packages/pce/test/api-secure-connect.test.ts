/** Issue 2: SecureConnect validation (DESIGN §4 items 4–5, 8) and the PSK's secrecy and rotation. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { arr, errorTokens, hrefOf, label, obj, startTestPce, type TestPce } from './support/api-harness.ts';

let t: TestPce;
const D = '/orgs/1/sec_policy/draft';
let anyIpList = '';
let web = '';
let db = '';
let managedWl = '';
let unmanagedWl = '';
let vs = '';

async function setVen(workloadHref: string, venId: string | null): Promise<void> {
  const id = workloadHref.split('/').pop() ?? '';
  await t.running.pce.store.transaction(async (tx) => {
    const row = await tx.getWorkload(1, id);
    if (!row) throw new Error(`no workload ${id}`);
    const data = JSON.parse(row.data) as Record<string, unknown>;
    await tx.updateWorkload({ ...row, data: JSON.stringify({ ...data, ven_id: venId }) });
  });
}

async function workload(hostname: string, labels: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const r = await t.api('post', '/orgs/1/workloads', { hostname, labels: labels.map((href) => ({ href })), interfaces: [{ name: 'eth0', address: `10.0.0.${Math.floor(Math.random() * 200) + 2}` }], ...extra });
  assert.equal(r.status, 201, r.text);
  return hrefOf(r);
}

function secRule(providers: unknown[], consumers: unknown[]): Record<string, unknown> {
  return { providers, consumers, ingress_services: [{ proto: 6, port: 5432 }], sec_connect: true };
}

before(async () => {
  t = await startTestPce();
  const lists = arr(await t.api('get', `${D}/ip_lists`));
  anyIpList = String(lists.find((l) => l['name'] === 'Any (0.0.0.0/0 and ::/0)')?.['href'] ?? '');
  assert.ok(anyIpList, 'the built-in Any IP list exists');
  web = await label(t, 'role', 'web');
  db = await label(t, 'role', 'db');
  managedWl = await workload('managed-1', [web], { enforcement_mode: 'full' });
  await setVen(managedWl, 'ven-1');
  unmanagedWl = await workload('unmanaged-1', []);
  vs = hrefOf(await t.api('post', `${D}/virtual_services`, { name: 'vs1', service_ports: [{ proto: 6, port: 80 }] }));
});

after(async () => {
  await t.close();
});

describe('SecureConnect actors rejected on write', () => {
  const cases: [string, () => Record<string, unknown>, string][] = [
    ['the built-in Any IP list', () => secRule([{ label: { href: web } }], [{ ip_list: { href: anyIpList } }]), 'sec_connect_ip_list_not_allowed'],
    ['an IP list as provider', () => secRule([{ ip_list: { href: anyIpList } }], [{ actors: 'ams' }]), 'sec_connect_ip_list_not_allowed'],
    ['a virtual service', () => secRule([{ virtual_service: { href: vs } }], [{ label: { href: web } }]), 'sec_connect_virtual_service_not_allowed'],
    ['an unmanaged workload named directly', () => secRule([{ workload: { href: managedWl } }], [{ workload: { href: unmanagedWl } }]), 'sec_connect_unmanaged_workload_not_allowed'],
  ];
  for (const [what, rule, token] of cases) {
    it(`${what} → 406 ${token} (inline, as a rule, and by update)`, async () => {
      const inline = await t.api('post', `${D}/rule_sets`, { name: `rs ${what}`, rules: [rule()] });
      assert.equal(inline.status, 406, inline.text);
      assert.ok(errorTokens(inline).includes(token), inline.text);
      const rs = hrefOf(await t.api('post', `${D}/rule_sets`, { name: `rs2 ${what}` }));
      const added = await t.api('post', `${rs}/sec_rules`, rule());
      assert.equal(added.status, 406, added.text);
      assert.ok(errorTokens(added).includes(token), added.text);
      const plain = await t.api('post', `${rs}/sec_rules`, { ...rule(), sec_connect: false });
      assert.equal(plain.status, 201, `the same rule without sec_connect is fine: ${plain.text}`);
      const upd = await t.api('put', hrefOf(plain), { sec_connect: true });
      assert.equal(upd.status, 406, upd.text);
      assert.ok(errorTokens(upd).includes(token), upd.text);
      assert.equal(obj(await t.api('get', hrefOf(plain)))['sec_connect'], false);
    });
  }

  it('valid combinations are accepted: workload↔workload (managed), ams↔ams, label↔label group', async () => {
    const other = await workload('managed-2', [db], { enforcement_mode: 'full' });
    await setVen(other, 'ven-2');
    const lg = hrefOf(await t.api('post', `${D}/label_groups`, { name: 'dbs', key: 'role', labels: [{ href: db }] }));
    const r = await t.api('post', `${D}/rule_sets`, {
      name: 'valid sc',
      rules: [secRule([{ workload: { href: managedWl } }], [{ workload: { href: other } }]), secRule([{ actors: 'ams' }], [{ actors: 'ams' }]), secRule([{ label: { href: web } }], [{ label_group: { href: lg } }])],
    });
    assert.equal(r.status, 201, r.text);
  });
});

describe('SecureConnect checks on provision', () => {
  it('a workload named directly that lost its VEN → provision 406 sec_connect_unmanaged_workload_not_allowed', async () => {
    await t.api('put', '/orgs/1/sec_policy/delete_pending', {});
    const w1 = await workload('prov-1', [], { enforcement_mode: 'full' });
    const w2 = await workload('prov-2', [], { enforcement_mode: 'full' });
    await setVen(w1, 'ven-p1');
    await setVen(w2, 'ven-p2');
    const rs = await t.api('post', `${D}/rule_sets`, { name: 'prov sc', rules: [secRule([{ workload: { href: w1 } }], [{ workload: { href: w2 } }])] });
    assert.equal(rs.status, 201, rs.text);
    await setVen(w2, null);
    const p = await t.api('post', '/orgs/1/sec_policy', { update_description: 'sc', change_subset: { rule_sets: [{ href: hrefOf(rs) }] } });
    assert.equal(p.status, 406, p.text);
    assert.ok(errorTokens(p).includes('sec_connect_unmanaged_workload_not_allowed'), p.text);
    await setVen(w2, 'ven-p2');
    const ok = await t.api('post', '/orgs/1/sec_policy', { update_description: 'sc', change_subset: { rule_sets: [{ href: hrefOf(rs) }] } });
    assert.equal(ok.status, 201, ok.text);
  });
});

describe('SecureConnect warnings', () => {
  for (const [what, extra, venId] of [
    ['idle', { enforcement_mode: 'idle' }, 'ven-idle'],
    ['unmanaged', { enforcement_mode: 'full' }, null],
    ['AIX', { enforcement_mode: 'full', os_type: 'aix' }, 'ven-aix'],
    ['Solaris', { enforcement_mode: 'full', os_type: 'solaris' }, 'ven-sol'],
  ] as const) {
    it(`a label rule pairing a capable workload with an ${what} one is accepted with a warning naming the pair`, async () => {
      const app = await label(t, 'app', `warn-${what}`);
      const peerName = `peer-${what.toLowerCase()}`;
      const peer = await workload(peerName, [app], extra);
      if (venId !== null) await setVen(peer, venId);
      const r = await t.api('post', `${D}/rule_sets`, { name: `warn ${what}`, rules: [secRule([{ label: { href: web } }], [{ label: { href: app } }])] });
      assert.equal(r.status, 201, r.text);
      const warnings = obj(r)['warnings'] as { token: string; message: string }[];
      assert.ok(Array.isArray(warnings) && warnings.length > 0, `no warnings: ${r.text}`);
      const text = JSON.stringify(warnings);
      assert.ok(text.includes('managed-1') && text.includes(peerName), `the warning names the pair: ${text}`);
      const rule = (obj(r)['rules'] as { href: string }[])[0]?.href ?? '';
      const again = obj(await t.api('get', rule));
      assert.ok(JSON.stringify(again['warnings']).includes(peerName), 'the rule answers its warnings when read');
      // Provisioning carries the warning too, with the href of the rule it is about.
      const prov = await t.api('post', '/orgs/1/sec_policy', { update_description: `warn ${what}` });
      assert.equal(prov.status, 201, prov.text);
      const provWarnings = obj(prov)['warnings'] as { message: string; href?: string }[];
      const about = provWarnings.find((w) => w.message.includes(peerName));
      assert.ok(about, prov.text);
      assert.equal(about.href?.replace(/\/sec_policy\/(draft|active|\d+)\//, '/sec_policy/X/'), rule.replace(/\/sec_policy\/(draft|active|\d+)\//, '/sec_policy/X/'));
    });
  }
});

describe('firewall settings and the PSK', () => {
  it('certificate authentication without a CA identity → 406; with one → 204', async () => {
    const bad = await t.api('put', `${D}/firewall_settings`, { ike_authentication_type: 'certificate' });
    assert.equal(bad.status, 406, bad.text);
    assert.ok(errorTokens(bad).includes('ike_ca_identity_required'), bad.text);
    const badDn = await t.api('put', `${D}/firewall_settings`, { ike_authentication_type: 'certificate', ike_ca_identity: 'not a dn' });
    assert.equal(badDn.status, 406);
    const ok = await t.api('put', `${D}/firewall_settings`, { ike_authentication_type: 'certificate', ike_ca_identity: 'CN=Palisade CA, O=Example' });
    assert.equal(ok.status, 204, ok.text);
    const fs = obj(await t.api('get', `${D}/firewall_settings`));
    assert.equal(fs['ike_authentication_type'], 'certificate');
    assert.equal(fs['href'], `${D}/firewall_settings`);
    const back = await t.api('put', `${D}/firewall_settings`, { ike_authentication_type: 'psk', ike_ca_identity: null });
    assert.equal(back.status, 204, back.text);
  });

  it('PSK rotation keeps the old key until complete', async () => {
    const org0 = await t.running.pce.store.read((tx) => tx.getOrg(1));
    assert.ok(org0);
    assert.match(org0.psk, /^[0-9a-f]{64}$/);
    const st = obj(await t.api('get', '/orgs/1/secure_connect/psk'));
    assert.equal(st['state'], 'steady');
    const start = await t.api('post', '/orgs/1/secure_connect/psk_rotation', {});
    assert.equal(start.status, 201, start.text);
    const org1 = await t.running.pce.store.read((tx) => tx.getOrg(1));
    assert.ok(org1);
    assert.notEqual(org1.psk, org0.psk);
    assert.match(org1.psk, /^[0-9a-f]{64}$/);
    assert.equal(org1.psk_previous, org0.psk, 'the old key is still accepted while rotating');
    assert.equal(org1.psk_generation, org0.psk_generation + 1);
    const twice = await t.api('post', '/orgs/1/secure_connect/psk_rotation', {});
    assert.equal(twice.status, 406);
    assert.equal(obj(await t.api('get', '/orgs/1/secure_connect/psk'))['state'], 'rotating');
    const done = await t.api('post', '/orgs/1/secure_connect/psk_rotation/complete', {});
    assert.equal(done.status, 200, done.text);
    const org2 = await t.running.pce.store.read((tx) => tx.getOrg(1));
    assert.ok(org2);
    assert.equal(org2.psk, org1.psk);
    assert.equal(org2.psk_previous, null);
    assert.equal((await t.api('post', '/orgs/1/secure_connect/psk_rotation/complete', {})).status, 406);
  });

  it('no API answer of the whole run ever contains a PSK (current or previous)', async () => {
    // Touch every GET route once more so the scan covers them all.
    for (const { spec } of t.running.pce.registry.routes) {
      if (spec.method !== 'get') continue;
      await t.api('get', spec.path.replace(':org', '1').replace(':pversion', 'draft').replace(':version', '1').replace(':user', '1').replace(/:[a-z_]+/g, '1'));
    }
    await t.api('get', '/api/v2/openapi.json');
    await t.api('get', '/metrics');
    await t.api('get', '/orgs/1/events?max_results=10000');
    const org = await t.running.pce.store.read((tx) => tx.getOrg(1));
    assert.ok(org);
    const secrets = [org.psk];
    const startedWith = (await t.running.pce.store.read((tx) => tx.listEvents(1, { limit: 1 }))).total;
    assert.ok(startedWith > 0);
    assert.ok(t.bodies.length > 50, `${t.bodies.length} answers scanned`);
    for (const s of secrets) {
      for (const b of t.bodies) assert.ok(!b.includes(s), `a response contains the PSK: ${b.slice(0, 200)}`);
    }
    // The rotation's previous keys were checked above only through the store; scan for any 64-hex run too.
    for (const b of t.bodies) {
      for (const m of b.match(/[0-9a-f]{64}/g) ?? []) assert.fail(`a response contains a 64-hex string (a key?): ${m.slice(0, 8)}… in ${b.slice(0, 200)}`);
    }
  });
});

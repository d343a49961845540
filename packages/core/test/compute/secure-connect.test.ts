/**
 * SecureConnect semantics of the computed plans (DESIGN §4), one test per requirement.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPolicy } from '../../src/compute/policy-check.ts';
import { ikeVersion } from '../../src/compute/ike-matrix.ts';
import type { WorkloadPlan } from '../../src/compute/types.ts';
import { OrgBuilder, ams, ipList, label, ruleHref, tcp, workload, type WorkloadSpec } from './org-builder.ts';

function peersOf(plan: WorkloadPlan | undefined): string[] {
  return (plan?.secure_connect.peers ?? []).map((p) => p.name);
}

/** web ↔ db with a SecureConnect rule on 5432; `extra` workloads join the db tier. */
function webDb(dbSpec: Partial<WorkloadSpec> = {}, webSpec: Partial<WorkloadSpec> = {}) {
  const o = new OrgBuilder();
  const web = o.label('role', 'web');
  const db = o.label('role', 'db');
  const w = o.workload({ name: 'web1', labels: [web], addresses: ['10.0.0.1', '2001:db8::1'], ...webSpec });
  const d = o.workload({ name: 'db1', labels: [db], addresses: ['10.0.0.2'], ...dbSpec });
  return { o, web, db, w, d };
}

describe('SecureConnect', () => {
  it('is host to host: the pair is a whole host on every port, not the rule service', () => {
    const { o, web, db, w, d } = webDb();
    o.ruleSet([], [{ providers: [label(db)], consumers: [label(web)], services: [tcp(5432)], sec_connect: true }]);
    const e = o.engine();
    const wp = e.plan(w.id);
    const dp = e.plan(d.id);
    // the peer entry names the host and all its addresses, no ports
    assert.deepEqual(wp?.secure_connect.peers.map((p) => ({ workload: p.workload, addresses: p.addresses })), [{ workload: d.href, addresses: ['10.0.0.2'] }]);
    assert.deepEqual(dp?.secure_connect.peers[0]?.addresses, ['10.0.0.1', '2001:db8::1']);
    assert.equal(Object.keys(dp?.secure_connect.peers[0] ?? {}).some((k) => k.includes('port') || k.includes('service')), false);
    // the allow entry itself stays the rule's service
    assert.deepEqual(dp?.inbound.map((x) => x.services), [[{ proto: 6, port: 5432 }]]);
    assert.equal(dp?.inbound[0]?.sec_connect, true);
  });

  it('is symmetric: both sides get the pair, whichever side the rule names as provider', () => {
    for (const reversed of [false, true]) {
      const { o, web, db, w, d } = webDb();
      const [providers, consumers] = reversed ? [[label(web)], [label(db)]] : [[label(db)], [label(web)]];
      o.ruleSet([], [{ providers, consumers, services: [tcp(5432)], sec_connect: true }]);
      const e = o.engine();
      assert.deepEqual(peersOf(e.plan(w.id)), ['db1']);
      assert.deepEqual(peersOf(e.plan(d.id)), ['web1']);
      // matching IKE and auth on both sides
      assert.equal(e.plan(w.id)?.secure_connect.peers[0]?.ike_version, e.plan(d.id)?.secure_connect.peers[0]?.ike_version);
    }
  });

  it('lists one entry per peer host even when several rules pair the same hosts', () => {
    const { o, web, db, w } = webDb();
    o.ruleSet([], [
      { providers: [label(db)], consumers: [label(web)], services: [tcp(5432)], sec_connect: true },
      { providers: [label(web)], consumers: [label(db)], services: [tcp(443)], sec_connect: true },
      { providers: [workload('wl-db1')], consumers: [workload('wl-web1')], services: [tcp(22)], sec_connect: true },
    ]);
    assert.deepEqual(peersOf(o.engine().plan(w.id)), ['db1']);
  });

  for (const [why, spec] of [
    ['idle', { enforcement_mode: 'idle' }],
    ['unmanaged', { managed: false }],
    ['AIX', { os_type: 'aix' }],
    ['Solaris', { os_type: 'solaris' }],
  ] as const) {
    it(`${why} workloads get no SAs; their capable peer still requires IPsec, with a warning naming the pair`, () => {
      const { o, web, db, w, d } = webDb(spec);
      o.ruleSet([], [{ providers: [label(db)], consumers: [label(web)], services: [tcp(5432)], sec_connect: true }]);
      const e = o.engine();
      const dp = e.plan(d.id);
      const wp = e.plan(w.id);
      assert.deepEqual(dp?.secure_connect.peers, [], 'the incapable side gets no SAs');
      // the capable side keeps the peer, marked not capable: IPsec required, no SA possible → blocked
      assert.deepEqual(wp?.secure_connect.peers.map((p) => [p.name, p.capable]), [['db1', false]]);
      const warn = wp?.diagnostics.find((x) => x.token === 'sec_connect_incapable_peers');
      assert.ok(warn, 'warning on the capable side');
      assert.match(warn.message, new RegExp(`db1 \\(${why}\\)`));
      assert.match(warn.message, /blocked/);
      assert.equal(warn.href, ruleHref('1', '1'));
      assert.ok(dp?.diagnostics.some((x) => x.token === 'sec_connect_incapable_peers' && x.message.includes('web1')), 'warning on the incapable side');
      // the policy-level warning names the pair
      const policy = e.diagnostics().find((x) => x.token === 'sec_connect_incapable_peers');
      assert.ok(policy?.message.includes(`web1 ↔ db1 (${why})`), policy?.message);
      assert.match(policy?.message ?? '', /^1 workload pair/);
      // fail closed: the traffic between them is blocked on every port, even one another rule allows
      o.ruleSet([], [{ providers: [label(db)], consumers: [label(web)], services: [tcp(22)] }]);
      const e2 = o.engine();
      for (const port of [5432, 22]) {
        const r = checkPolicy(e2, { src: w.id, dst: d.id, proto: 6, port });
        assert.equal(r.decision, 'blocked', `${why} port ${port}: ${r.reason}`);
        assert.match(r.reason, /SecureConnect/);
      }
    });
  }

  it('pairs of two workloads that both cannot do SecureConnect need no warning and get no SAs', () => {
    const { o, web, db, w, d } = webDb({ enforcement_mode: 'idle' }, { os_type: 'aix' });
    o.ruleSet([], [{ providers: [label(db)], consumers: [label(web)], services: [tcp(5432)], sec_connect: true }]);
    const e = o.engine();
    assert.deepEqual(peersOf(e.plan(w.id)), []);
    assert.deepEqual(peersOf(e.plan(d.id)), []);
    assert.equal(e.diagnostics().length, 0);
  });

  it('chooses the IKE version from the OS pair (Windows 2008 → IKEv1)', () => {
    const os = {
      linux: { os_type: 'linux', os_version: '22.04' },
      w2008: { os_type: 'windows', os_version: '2008' },
      w2008r2: { os_type: 'windows', os_version: '2008 R2' },
      w2012: { os_type: 'windows', os_version: '2012' },
      w2016: { os_type: 'windows', os_version: '2016' },
      w2022: { os_type: 'windows', os_version: '2022' },
    } as const;
    const cases: [keyof typeof os, keyof typeof os, string][] = [
      ['linux', 'linux', 'ikev2'],
      ['linux', 'w2008', 'ikev1'],
      ['w2008', 'linux', 'ikev1'],
      ['linux', 'w2008r2', 'ikev1'],
      ['w2008', 'w2016', 'ikev1'],
      ['w2008', 'w2008', 'ikev1'],
      ['w2012', 'linux', 'ikev2'],
      ['linux', 'w2022', 'ikev2'],
      ['w2012', 'w2016', 'ikev2'],
      ['w2022', 'w2022', 'ikev2'],
    ];
    for (const [a, b, want] of cases) {
      assert.equal(ikeVersion(os[a], os[b]), want, `${a}–${b}`);
      const { o, web, db, w, d } = webDb(os[b], os[a]);
      o.ruleSet([], [{ providers: [label(db)], consumers: [label(web)], services: [tcp(5432)], sec_connect: true }]);
      const e = o.engine();
      assert.equal(e.plan(w.id)?.secure_connect.peers[0]?.ike_version, want, `${a}–${b} in the plan`);
      assert.equal(e.plan(d.id)?.secure_connect.peers[0]?.ike_version, want, `${b}–${a} in the plan`);
    }
    assert.equal(ikeVersion({ os_type: 'aix', os_version: '7.2' }, os.linux), null);
  });

  it('authenticates with the org PSK by default, or certificates with the CA identity', () => {
    const { o, web, db, w } = webDb();
    o.ruleSet([], [{ providers: [label(db)], consumers: [label(web)], services: [tcp(5432)], sec_connect: true }]);
    assert.deepEqual(o.engine().plan(w.id)?.secure_connect.peers[0]?.auth, { method: 'psk' });
    o.firewallSettings = { ike_authentication_type: 'certificate', ike_ca_identity: 'CN=Palisade CA, O=Example' };
    const e = o.engine();
    assert.deepEqual(e.plan(w.id)?.secure_connect.peers[0]?.auth, { method: 'certificate', ca_identity: 'CN=Palisade CA, O=Example' });
    // switching auth by a provision changes every plan with peers, and only those
    o.firewallSettings = { ike_authentication_type: 'psk', ike_ca_identity: null };
    const r = e.setPolicy(o.snapshot(2));
    assert.deepEqual(r.changed, ['wl-db1', 'wl-web1']);
  });

  it('reports certificate authentication without a CA identity as an error in the plans with peers', () => {
    const { o, web, db, w } = webDb();
    o.workload({ name: 'lonely', labels: [] });
    o.ruleSet([], [{ providers: [label(db)], consumers: [label(web)], services: [tcp(5432)], sec_connect: true }]);
    o.firewallSettings = { ike_authentication_type: 'certificate', ike_ca_identity: null };
    const e = o.engine();
    const err = e.plan(w.id)?.diagnostics.find((x) => x.token === 'sec_connect_ca_identity_missing');
    assert.equal(err?.severity, 'error');
    assert.equal(err?.href, '/orgs/1/sec_policy/active/firewall_settings');
    assert.deepEqual(e.plan('wl-lonely')?.diagnostics, []);
  });

  it('rejects IP lists, virtual services and directly named unmanaged workloads, failing closed', () => {
    const o = new OrgBuilder();
    const web = o.label('role', 'web');
    o.workload({ name: 'web1', labels: [web] });
    const u = o.workload({ name: 'unmanaged1', managed: false });
    const any = o.ipList('Any (0.0.0.0/0 and ::/0)', [{ from_ip: '0.0.0.0/0', exclusion: false }]);
    o.ruleSet([], [
      { providers: [label(web)], consumers: [ipList(any)], sec_connect: true },
      { providers: [label(web)], consumers: [workload(u.id)], sec_connect: true },
    ]);
    const e = o.engine();
    const errs = e.diagnostics().filter((x) => x.severity === 'error');
    assert.deepEqual(
      errs.map((x) => [x.token, x.href, x.path]),
      [
        ['sec_connect_ip_list_not_allowed', ruleHref('1', '1'), 'consumers[0]'],
        ['sec_connect_unmanaged_workload_not_allowed', ruleHref('1', '2'), 'consumers[0]'],
      ],
    );
    // the rules allow nothing in clear, and the members see why
    const plan = e.plan('wl-web1');
    assert.deepEqual(plan?.inbound, []);
    assert.equal(plan?.diagnostics.filter((x) => x.severity === 'error').length, 2);
    // pairing a VEN with the workload makes the rule valid: an incremental change
    const r = e.updateWorkload({ ...u, managed: true });
    assert.ok(r.changed.includes('wl-web1'));
    assert.equal(e.plan('wl-web1')?.inbound.length, 1);
    assert.deepEqual(peersOf(e.plan('wl-web1')), ['unmanaged1']);
  });

  it('accepts All workloads ↔ All workloads and pairs every capable host', () => {
    const o = new OrgBuilder();
    for (const n of ['a', 'b', 'c']) o.workload({ name: n });
    o.ruleSet([], [{ providers: [ams], consumers: [ams], services: [tcp(22)], sec_connect: true }]);
    const e = o.engine();
    assert.deepEqual(peersOf(e.plan('wl-a')), ['b', 'c']);
    assert.deepEqual(peersOf(e.plan('wl-b')), ['a', 'c']);
  });
});

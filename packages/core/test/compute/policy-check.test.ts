/**
 * Policy check decisions per enforcement mode (DESIGN §3), with the rules that decide them,
 * against the active and the draft policy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPolicy, checkPolicySnapshot } from '../../src/compute/policy-check.ts';
import type { EnforcementMode } from '../../src/model/common.ts';
import { OrgBuilder, ams, ipList, label, ruleHref, tcp } from './org-builder.ts';

function org(dbMode: EnforcementMode, webMode: EnforcementMode = 'visibility_only') {
  const o = new OrgBuilder();
  const web = o.label('role', 'web');
  const db = o.label('role', 'db');
  const dev = o.label('env', 'dev');
  o.workload({ name: 'web1', labels: [web], addresses: ['10.0.0.1'], enforcement_mode: webMode });
  o.workload({ name: 'devweb', labels: [web, dev], addresses: ['10.0.0.3'], enforcement_mode: webMode });
  o.workload({ name: 'db1', labels: [db], addresses: ['10.0.0.2'], enforcement_mode: dbMode });
  const corp = o.ipList('corp', [{ from_ip: '172.16.0.0/12', exclusion: false }, { from_ip: '172.16.9.0/24', exclusion: true }]);
  o.ruleSet(
    [],
    [
      { providers: [label(db)], consumers: [label(web)], services: [tcp(5432)] },
      { providers: [label(db)], consumers: [ipList(corp)], services: [tcp(22)] },
    ],
    [{ providers: [label(db)], consumers: [label(dev)], services: [tcp(5432)] }],
  );
  return o;
}

const ALLOW_DB = { href: ruleHref('1', '1'), kind: 'allow', sec_connect: false } as const;
const ALLOW_SSH = { href: ruleHref('1', '2'), kind: 'allow', sec_connect: false } as const;
const DENY_DEV = { href: ruleHref('1', '3', 'deny_rules'), kind: 'deny', sec_connect: false } as const;

describe('policy check', () => {
  it('full: allowed by a rule, blocked by default, deny wins over allow', () => {
    const e = org('full').engine();
    assert.deepEqual(checkPolicy(e, { src: 'wl-web1', dst: 'wl-db1', proto: 6, port: 5432 }), {
      decision: 'allowed',
      rules: [ALLOW_DB],
      reason: 'inbound on db1 (full): allowed by rule; outbound on web1 (visibility_only): allowed by rule',
    });
    const blocked = checkPolicy(e, { src: 'wl-web1', dst: 'wl-db1', proto: 6, port: 22 });
    assert.equal(blocked.decision, 'blocked');
    assert.deepEqual(blocked.rules, []);
    const denied = checkPolicy(e, { src: 'wl-devweb', dst: 'wl-db1', proto: 6, port: 5432 });
    assert.equal(denied.decision, 'blocked');
    assert.deepEqual(denied.rules, [DENY_DEV, ALLOW_DB]);
    assert.match(denied.reason, /deny rule/);
  });

  it('selective: only deny rules block; what full would block is potentially_blocked', () => {
    const e = org('selective').engine();
    assert.equal(checkPolicy(e, { src: 'wl-devweb', dst: 'wl-db1', proto: 6, port: 5432 }).decision, 'blocked');
    assert.equal(checkPolicy(e, { src: 'wl-web1', dst: 'wl-db1', proto: 6, port: 5432 }).decision, 'allowed');
    assert.equal(checkPolicy(e, { src: 'wl-web1', dst: 'wl-db1', proto: 6, port: 22 }).decision, 'potentially_blocked');
  });

  it('visibility_only and idle never block: potentially_blocked instead', () => {
    for (const mode of ['visibility_only', 'idle'] as const) {
      const e = org(mode).engine();
      assert.equal(checkPolicy(e, { src: 'wl-devweb', dst: 'wl-db1', proto: 6, port: 5432 }).decision, 'potentially_blocked', mode);
      assert.equal(checkPolicy(e, { src: 'wl-web1', dst: 'wl-db1', proto: 6, port: 22 }).decision, 'potentially_blocked', mode);
      assert.equal(checkPolicy(e, { src: 'wl-web1', dst: 'wl-db1', proto: 6, port: 5432 }).decision, 'allowed', mode);
    }
  });

  it('checks the source side too: a full-enforcement source blocks what it may not send', () => {
    const e = org('visibility_only', 'full').engine();
    const r = checkPolicy(e, { src: 'wl-web1', dst: 'wl-db1', proto: 6, port: 80 });
    assert.equal(r.decision, 'blocked');
    assert.match(r.reason, /outbound on web1 \(full\): no rule allows it/);
  });

  it('takes IP addresses on either side, IP lists with exclusions included', () => {
    const e = org('full').engine();
    assert.deepEqual(checkPolicy(e, { src: '172.16.1.1', dst: '10.0.0.2', proto: 6, port: 22 }).rules, [ALLOW_SSH]);
    assert.equal(checkPolicy(e, { src: '172.16.1.1', dst: '10.0.0.2', proto: 6, port: 22 }).decision, 'allowed');
    assert.equal(checkPolicy(e, { src: '172.16.9.1', dst: '10.0.0.2', proto: 6, port: 22 }).decision, 'blocked', 'excluded range');
    // an IP that is a workload's address is that workload
    assert.equal(checkPolicy(e, { src: '10.0.0.1', dst: '/orgs/1/workloads/wl-db1', proto: 6, port: 5432 }).decision, 'allowed');
  });

  it('answers unknown when nothing enforces: unknown IPs, unmanaged workloads', () => {
    const o = org('full');
    o.workload({ name: 'u1', managed: false, addresses: ['10.0.0.50'] });
    const e = o.engine();
    assert.equal(checkPolicy(e, { src: '198.51.100.1', dst: '203.0.113.1', proto: 6, port: 443 }).decision, 'unknown');
    assert.equal(checkPolicy(e, { src: '198.51.100.1', dst: 'wl-u1', proto: 6, port: 443 }).decision, 'unknown');
    assert.equal(checkPolicy(e, { src: 'no-such-workload', dst: 'wl-db1', proto: 6, port: 443 }).decision, 'unknown');
    // a known enforcing destination decides for an unknown source
    assert.equal(checkPolicy(e, { src: '198.51.100.1', dst: 'wl-db1', proto: 6, port: 5432 }).decision, 'blocked');
  });

  it('answers against the active or the draft policy', () => {
    const o = org('full');
    const active = o.engine(1);
    o.ruleSet([], [{ providers: [label('2')], consumers: [ams], services: [tcp(22)] }]);
    const draft = o.engine('draft');
    const q = { src: 'wl-web1', dst: 'wl-db1', proto: 6, port: 22 } as const;
    assert.equal(checkPolicy(active, q).decision, 'blocked');
    const d = checkPolicy(draft, q);
    assert.equal(d.decision, 'allowed');
    assert.deepEqual(d.rules.map((r) => r.href), ['/orgs/1/sec_policy/draft/rule_sets/2/sec_rules/4']);
    // the one-off form builds its own engine
    assert.equal(checkPolicySnapshot({ snapshot: o.snapshot('draft'), workloads: o.workloads, labels: o.labels }, q).decision, 'allowed');
  });

  it('matches port ranges and ICMP', () => {
    const o = new OrgBuilder();
    const web = o.label('role', 'web');
    o.workload({ name: 'web1', labels: [web], addresses: ['10.0.0.1'] });
    o.ruleSet([], [{ providers: [label(web)], consumers: [ams], services: [tcp(8000, 8099), { proto: 1, icmp_type: 8 }] }]);
    o.workload({ name: 'c', addresses: ['10.0.0.9'] });
    const e = o.engine();
    const q = (x: object) => checkPolicy(e, { src: 'wl-c', dst: 'wl-web1', proto: 6, ...x }).decision;
    assert.equal(q({ port: 8099 }), 'allowed');
    assert.equal(q({ port: 8100 }), 'blocked');
    assert.equal(q({ proto: 1, icmp_type: 8, icmp_code: 0 }), 'allowed');
    assert.equal(q({ proto: 1, icmp_type: 0 }), 'blocked');
  });
});

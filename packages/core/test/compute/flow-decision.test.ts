/**
 * The decision-only policy check flow ingest uses (`flowDecision`) answers what `checkPolicy`
 * decides, for every pair of addresses of small orgs covering each rule of policy-check.ts:
 * every enforcement mode on either side, deny over allow, IP lists with exclusions, unmanaged
 * and unknown endpoints, a workload talking to itself, port ranges, ICMP, SecureConnect
 * failing closed, active and draft.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAddress } from '../../src/compute/address-ranges.ts';
import type { PolicyEngine } from '../../src/compute/engine.ts';
import { flowDecision, workloadAtAddress } from '../../src/compute/flow-decision.ts';
import { checkPolicy } from '../../src/compute/policy-check.ts';
import type { EnforcementMode } from '../../src/model/common.ts';
import { OrgBuilder, ams, ipList, label, tcp } from './org-builder.ts';

const MODES: readonly EnforcementMode[] = ['full', 'selective', 'visibility_only', 'idle'];
const SERVICES = [
  { proto: 6, port: 5432 },
  { proto: 6, port: 22 },
  { proto: 6, port: 8050 },
  { proto: 6, port: 8100 },
  { proto: 17, port: 53 },
  { proto: 1, icmp_type: 8, icmp_code: 0 },
  { proto: 1, icmp_type: 0 },
] as const;
const ADDRESSES = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.50', '2001:db8::1', '172.16.1.1', '172.16.9.1', '198.51.100.1'];

function org(dbMode: EnforcementMode, webMode: EnforcementMode, secConnect: boolean): OrgBuilder {
  const o = new OrgBuilder();
  const web = o.label('role', 'web');
  const db = o.label('role', 'db');
  const dev = o.label('env', 'dev');
  o.workload({ name: 'web1', labels: [web], addresses: ['10.0.0.1', '2001:db8::1'], enforcement_mode: webMode });
  o.workload({ name: 'devweb', labels: [web, dev], addresses: ['10.0.0.3'], enforcement_mode: webMode });
  o.workload({ name: 'db1', labels: [db], addresses: ['10.0.0.2'], enforcement_mode: dbMode });
  o.workload({ name: 'aix', labels: [db], addresses: ['10.0.0.4'], os_type: 'aix', enforcement_mode: dbMode });
  o.workload({ name: 'u1', managed: false, addresses: ['10.0.0.50'] });
  const corp = o.ipList('corp', [{ from_ip: '172.16.0.0/12', exclusion: false }, { from_ip: '172.16.9.0/24', exclusion: true }]);
  o.ruleSet(
    [],
    [
      { providers: [label(db)], consumers: [label(web)], services: [tcp(5432)], sec_connect: secConnect },
      { providers: [label(db)], consumers: [ipList(corp)], services: [tcp(22)] },
      { providers: [label(web)], consumers: [ams], services: [tcp(8000, 8099), { proto: 1, icmp_type: 8 }] },
    ],
    [{ providers: [label(db)], consumers: [label(dev)], services: [tcp(5432)] }],
  );
  return o;
}

function assertSame(e: PolicyEngine, what: string): number {
  let n = 0;
  for (const s of ADDRESSES) {
    for (const d of ADDRESSES) {
      const sa = parseAddress(s);
      const da = parseAddress(d);
      assert.ok(sa && da);
      const src = { rec: workloadAtAddress(e, sa), address: sa };
      const dst = { rec: workloadAtAddress(e, da), address: da };
      for (const svc of SERVICES) {
        assert.equal(flowDecision(e, src, dst, svc), checkPolicy(e, { src: s, dst: d, ...svc }).decision, `${what}: ${s} → ${d} ${JSON.stringify(svc)}`);
        n++;
      }
    }
  }
  return n;
}

describe('flowDecision', () => {
  it('decides as checkPolicy for every mode pair, with and without SecureConnect, active and draft', () => {
    let checked = 0;
    for (const dbMode of MODES) {
      for (const webMode of MODES) {
        for (const sc of [false, true]) {
          const o = org(dbMode, webMode, sc);
          checked += assertSame(o.engine(), `db ${dbMode}, web ${webMode}, SecureConnect ${sc}`);
          o.ruleSet([], [{ providers: [ams], consumers: [ams], services: [tcp(22)] }]);
          checked += assertSame(o.engine('draft'), `draft: db ${dbMode}, web ${webMode}, SecureConnect ${sc}`);
        }
      }
    }
    // 16 mode pairs × 2 × 2 engines × 81 address pairs × 7 services.
    assert.ok(checked > 10_000);
  });

  it('covers every decision and the workload lookup takes the lowest href of a shared address', () => {
    const o = org('full', 'visibility_only', true);
    o.workload({ name: 'zz-shared', addresses: ['10.0.0.2'], enforcement_mode: 'idle' });
    const e = o.engine();
    const at = (ip: string) => {
      const a = parseAddress(ip);
      assert.ok(a);
      return { rec: workloadAtAddress(e, a), address: a };
    };
    assert.equal(at('10.0.0.2').rec?.w.name, 'db1');
    const seen = new Set([
      flowDecision(e, at('10.0.0.3'), at('10.0.0.2'), { proto: 6, port: 5432 }),
      flowDecision(e, at('198.51.100.1'), at('10.0.0.2'), { proto: 6, port: 22 }),
      flowDecision(e, at('10.0.0.50'), at('10.0.0.1'), { proto: 6, port: 22 }),
      flowDecision(e, at('198.51.100.1'), at('10.0.0.50'), { proto: 6, port: 22 }),
      flowDecision(e, at('10.0.0.2'), at('10.0.0.1'), { proto: 6, port: 8000 }),
    ]);
    assert.deepEqual([...seen].sort(), ['allowed', 'blocked', 'potentially_blocked', 'unknown']);
  });
});

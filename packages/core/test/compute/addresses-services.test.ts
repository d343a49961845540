/**
 * Address sets (IP lists with exclusions, IPv4 and IPv6, merging) and services (port
 * ranges, ICMP, all services), and deny rules in the plans.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ipListRanges, formatV4Ranges, formatV6Ranges } from '../../src/compute/address-ranges.ts';
import { normalizeServices, servicesMatch } from '../../src/compute/service-specs.ts';
import { OrgBuilder, ams, ipList, label, ruleHref, serviceRef, tcp, udp } from './org-builder.ts';

describe('address sets', () => {
  it('removes IP list exclusions, in both families, and merges what is adjacent', () => {
    const r = ipListRanges([
      { from_ip: '10.0.0.0/8', exclusion: false },
      { from_ip: '10.1.0.0/16', exclusion: true },
      { from_ip: '10.2.3.4', exclusion: true },
      { from_ip: '192.168.1.10', to_ip: '192.168.1.20', exclusion: false },
      { from_ip: '192.168.1.21', exclusion: false },
      { from_ip: '2001:db8::/32', exclusion: false },
      { from_ip: '2001:db8:1::/48', exclusion: true },
    ]);
    assert.deepEqual(formatV4Ranges(r.v4), ['10.0.0.0/16', '10.2.0.0-10.2.3.3', '10.2.3.5-10.255.255.255', '192.168.1.10-192.168.1.21']);
    assert.deepEqual(formatV6Ranges(r.v6), ['2001:db8::/48', '2001:db8:2::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff']);
  });

  it('puts IP lists (with exclusions and FQDNs) and workload addresses into one named set', () => {
    const o = new OrgBuilder();
    const web = o.label('role', 'web');
    o.workload({ name: 'web1', labels: [web], addresses: ['10.0.0.1'] });
    o.workload({ name: 'c1', addresses: ['192.0.2.7', '2001:db8::7', 'not-an-ip'] });
    const corp = o.ipList('corp', [{ from_ip: '192.0.2.0/24', exclusion: false }, { from_ip: '192.0.2.128/25', exclusion: true }], ['Partner.Example.com']);
    o.ruleSet([], [{ providers: [label(web)], consumers: [ipList(corp), { workload: { href: '/orgs/1/workloads/wl-c1' } }] }]);
    const e = o.engine();
    const p = e.plan('wl-web1');
    assert.deepEqual(p?.address_sets.map((s) => ({ ...s })), [
      { name: p?.inbound[0]?.peers, ipv4: ['192.0.2.0/25'], ipv6: ['2001:db8::7'], fqdns: ['partner.example.com'] },
    ]);
    // the bad address is reported on its own workload, with the path
    assert.deepEqual(
      e.plan('wl-c1')?.diagnostics.map((d) => [d.token, d.href, d.path]),
      [['invalid_address', '/orgs/1/workloads/wl-c1', 'addresses']],
    );
    assert.deepEqual(e.plan('wl-c1')?.workload.addresses, ['192.0.2.7', '2001:db8::7']);
  });

  it('keeps a set named after its definition when its members change', () => {
    const o = new OrgBuilder();
    const web = o.label('role', 'web');
    const db = o.label('role', 'db');
    o.workload({ name: 'db1', labels: [db], addresses: ['10.0.0.9'] });
    const w = o.workload({ name: 'web1', labels: [web], addresses: ['10.0.0.1'] });
    o.ruleSet([], [{ providers: [label(db)], consumers: [label(web)] }]);
    const e = o.engine();
    const before = e.plan('wl-db1');
    e.updateWorkload({ ...w, addresses: ['10.0.0.5', 'fd00::5'] });
    const after = e.plan('wl-db1');
    assert.equal(after?.address_sets[0]?.name, before?.address_sets[0]?.name);
    assert.deepEqual(after?.address_sets[0]?.ipv4, ['10.0.0.5']);
    assert.deepEqual(after?.address_sets[0]?.ipv6, ['fd00::5']);
    assert.notEqual(after?.hash, before?.hash);
  });
});

describe('services', () => {
  it('normalizes port ranges, ICMP and all services', () => {
    assert.deepEqual(normalizeServices([tcp(80), tcp(81, 90), tcp(85, 100), udp(53), tcp(443)]), [
      { proto: 6, port: 80, to_port: 100 },
      { proto: 6, port: 443 },
      { proto: 17, port: 53 },
    ]);
    assert.deepEqual(normalizeServices([{ proto: 1, icmp_type: 8 }, { proto: 1, icmp_type: 3, icmp_code: 4 }, { proto: 1, icmp_type: 3 }, { proto: 58, icmp_type: 128 }]), [
      { proto: 1, icmp_type: 3 },
      { proto: 1, icmp_type: 8 },
      { proto: 58, icmp_type: 128 },
    ]);
    assert.deepEqual(normalizeServices([{ proto: 1, icmp_type: 8 }, { proto: 1 }]), [{ proto: 1 }]);
    assert.deepEqual(normalizeServices([tcp(22), { proto: -1 }]), [{ proto: -1 }]);
    assert.deepEqual(normalizeServices([{ proto: 6, port: 0, to_port: 65535 }]), [{ proto: 6 }]);
    assert.deepEqual(normalizeServices([{ proto: 47 }, { proto: 47 }]), [{ proto: 47 }]);
  });

  it('matches packets against port ranges and ICMP type/code', () => {
    const specs = normalizeServices([tcp(8000, 8099), { proto: 1, icmp_type: 3, icmp_code: 4 }, { proto: 58, icmp_type: 128 }]);
    assert.equal(servicesMatch(specs, { proto: 6, port: 8050 }), true);
    assert.equal(servicesMatch(specs, { proto: 6, port: 8100 }), false);
    assert.equal(servicesMatch(specs, { proto: 17, port: 8050 }), false);
    assert.equal(servicesMatch(specs, { proto: 1, icmp_type: 3, icmp_code: 4 }), true);
    assert.equal(servicesMatch(specs, { proto: 1, icmp_type: 3, icmp_code: 1 }), false);
    assert.equal(servicesMatch(specs, { proto: 58, icmp_type: 128, icmp_code: 0 }), true);
  });

  it('puts services named by href and inline into the entries; an unknown service is an error', () => {
    const o = new OrgBuilder();
    const web = o.label('role', 'web');
    o.workload({ name: 'web1', labels: [web] });
    const https = o.service('https', [tcp(443), udp(443)]);
    const ping = o.service('ping', [{ proto: 1, icmp_type: 8 }]);
    o.ruleSet([], [{ providers: [label(web)], consumers: [ams], services: [serviceRef(https), serviceRef(ping), tcp(8443, 8444), serviceRef('404')] }]);
    const e = o.engine();
    assert.deepEqual(e.plan('wl-web1')?.inbound[0]?.services, [
      { proto: 1, icmp_type: 8 },
      { proto: 6, port: 443 },
      { proto: 6, port: 8443, to_port: 8444 },
      { proto: 17, port: 443 },
    ]);
    const d = e.diagnostics().find((x) => x.token === 'unknown_service');
    assert.deepEqual([d?.severity, d?.href, d?.path], ['error', ruleHref('1', '1'), 'ingress_services[3]']);
  });
});

describe('deny rules', () => {
  it('give deny entries to both sides, in rule order, separate from allow entries', () => {
    const o = new OrgBuilder();
    const db = o.label('role', 'db');
    const dev = o.label('env', 'dev');
    o.workload({ name: 'db1', labels: [db] });
    o.workload({ name: 'dev1', labels: [dev] });
    o.ruleSet([], [{ providers: [label(db)], consumers: [ams], services: [tcp(5432)] }], [{ providers: [label(db)], consumers: [label(dev)], services: [{ proto: -1 }] }]);
    const e = o.engine();
    const d = e.plan('wl-db1');
    assert.deepEqual(d?.deny_inbound.map((x) => [x.rule, x.services]), [[ruleHref('1', '2', 'deny_rules'), [{ proto: -1 }]]]);
    assert.equal(d?.inbound.length, 1);
    const v = e.plan('wl-dev1');
    assert.deepEqual(v?.deny_outbound.map((x) => x.rule), [ruleHref('1', '2', 'deny_rules')]);
    assert.equal(v?.outbound.length, 1, 'the allow rule still names db1 for dev1: deny wins at enforcement');
    assert.equal('sec_connect' in (d?.deny_inbound[0] ?? {}), false);
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiToPortRows, expandGroup, ipRangeText, labelFilter, portRowProblems, portRowsToApi, servicePortText, showingText, venStatus, workloadName } from '../src/inventory/inventory-text.ts';
import type { LabelGroup, Ven } from '../src/inventory/types.ts';

const L = (id: number, key: string, value: string) => ({ href: `/orgs/1/labels/${id}`, key, value });

describe('inventory text', () => {
  it('labelFilter: labels of one key OR, keys AND; nothing chosen → no filter', () => {
    const labels = [L(1, 'app', 'a'), L(2, 'app', 'b'), L(3, 'env', 'prod')];
    assert.equal(labelFilter([], labels), undefined);
    assert.deepEqual(JSON.parse(labelFilter(['/orgs/1/labels/1', '/orgs/1/labels/3', '/orgs/1/labels/2'], labels) ?? ''), [['/orgs/1/labels/1', '/orgs/1/labels/2'], ['/orgs/1/labels/3']]);
  });

  it('service ports and IP ranges as text', () => {
    assert.equal(servicePortText({ proto: 6, port: 443 }), 'TCP 443');
    assert.equal(servicePortText({ proto: 17, port: 5000, to_port: 5100 }), 'UDP 5000–5100');
    assert.equal(servicePortText({ proto: 1, icmp_type: 8, icmp_code: 0 }), 'ICMP type 8 code 0');
    assert.equal(servicePortText({ proto: 58 }), 'ICMPv6 (all types)');
    assert.equal(servicePortText({ proto: 6 }), 'TCP (all ports)');
    assert.equal(servicePortText({ proto: -1 }), 'All protocols');
    assert.equal(servicePortText({ proto: 47 }), 'protocol 47');
    assert.equal(ipRangeText({ from_ip: '10.0.0.0/8' }), '10.0.0.0/8');
    assert.equal(ipRangeText({ from_ip: '10.0.0.1', to_ip: '10.0.0.9', exclusion: true }), 'except 10.0.0.1–10.0.0.9');
  });

  it('port rows: round trip, empty fields absent, problems found before sending', () => {
    const ports = [{ proto: 6, port: 80, to_port: 90 }, { proto: 1, icmp_type: 8 }];
    assert.deepEqual(portRowsToApi(apiToPortRows(ports)), ports);
    assert.deepEqual(portRowProblems({ proto: '6', port: '8x', to_port: '', icmp_type: '', icmp_code: '' }), { port: 'must be a whole number' });
    assert.deepEqual(portRowProblems({ proto: '6', port: '70000', to_port: '', icmp_type: '', icmp_code: '' }), { port: 'must be at most 65535' });
    assert.match(portRowProblems({ proto: '1', port: '80', to_port: '', icmp_type: '', icmp_code: '' }).port ?? '', /TCP, UDP and SCTP only/);
    assert.match(portRowProblems({ proto: '6', port: '', to_port: '', icmp_type: '3', icmp_code: '' }).icmp_type ?? '', /ICMP/);
    assert.deepEqual(portRowProblems({ proto: '-1', port: '', to_port: '', icmp_type: '', icmp_code: '' }), {});
  });

  it('expandGroup: nested groups expand once, cycles are cut', () => {
    const g = (id: string, labels: number[], subs: string[]): LabelGroup => ({ href: `/g/${id}`, key: 'app', name: id, labels: labels.map((n) => ({ href: `/l/${n}` })), sub_groups: subs.map((s) => ({ href: `/g/${s}` })) });
    const groups = new Map([g('a', [1], ['b']), g('b', [2, 1], ['c']), g('c', [3], ['a'])].map((x) => [x.href, x]));
    const a = groups.get('/g/a');
    assert.ok(a);
    assert.deepEqual(expandGroup(a, groups).sort(), ['/l/1', '/l/2', '/l/3']);
  });

  it('venStatus, names and counts', () => {
    const ven = { href: '/orgs/1/vens/v1', online: false } as Ven;
    const vens = new Map([[ven.href, ven]]);
    assert.deepEqual(venStatus({ ven: null }, vens), { kind: 'unmanaged' });
    assert.deepEqual(venStatus({ ven: { href: '/orgs/1/vens/v1' } }, undefined), { kind: 'unknown' });
    assert.equal(venStatus({ ven: { href: '/orgs/1/vens/v1' } }, vens).kind, 'offline');
    assert.equal(workloadName({ name: null, hostname: 'h1', href: '/orgs/1/workloads/x' }), 'h1');
    assert.equal(workloadName({ name: null, hostname: null, href: '/orgs/1/workloads/x' }), 'x');
    assert.equal(showingText(50, 60, 'workloads'), 'Showing 50 of 60 workloads');
    assert.equal(showingText(3, 3, 'workloads'), 'Showing all 3 workloads');
    assert.equal(showingText(0, 0, 'workloads'), 'No workloads');
  });
});

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_FILTERS, EMPTY_SIDE, filtersFromQuery, filtersToQuery, isUnfiltered, parseServiceTerm, toQueryBody, type ExplorerFilters } from '../src/explorer/explorer-filters.ts';

const keys: Record<string, string> = { '/orgs/1/labels/1': 'app', '/orgs/1/labels/2': 'app', '/orgs/1/labels/3': 'env', '/orgs/1/labels/4': 'role' };
const keyOf = (h: string): string | undefined => keys[h];
const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('explorer filters in the URL', () => {
  it('round-trip through the query string, keeping only what differs from the defaults', () => {
    const f: ExplorerFilters = {
      ...DEFAULT_FILTERS,
      src: { ...EMPTY_SIDE, labels: ['/orgs/1/labels/1', '/orgs/1/labels/3'], labelGroups: ['/orgs/1/sec_policy/active/label_groups/7'], excludeIps: ['10.0.0.9'], excludeIpLists: ['/orgs/1/sec_policy/active/ip_lists/2'] },
      dst: { ...EMPTY_SIDE, workloads: ['/orgs/1/workloads/abc-1'], ipLists: ['/orgs/1/sec_policy/active/ip_lists/3'], ips: ['198.51.100.0/24'], excludeLabelGroups: ['/orgs/1/sec_policy/active/label_groups/8'] },
      services: ['443/tcp', '53/udp'],
      decisions: ['blocked', 'potentially_blocked'],
      range: 'custom',
      from: '2026-02-01T00:00',
      to: '2026-02-02T00:00',
      max: 5000,
      either: true,
    };
    const q = new URLSearchParams(filtersToQuery(f));
    assert.deepEqual(filtersFromQuery(q), f);
    assert.deepEqual(filtersToQuery(DEFAULT_FILTERS), {});
    assert.deepEqual(filtersFromQuery(new URLSearchParams('')), DEFAULT_FILTERS);
  });
  it('ignores what it does not understand (bad decisions, ranges, max)', () => {
    const f = filtersFromQuery(new URLSearchParams('dec=blocked,nope&range=forever&max=-3&src_l=,,'));
    assert.deepEqual(f.decisions, ['blocked']);
    assert.equal(f.range, DEFAULT_FILTERS.range);
    assert.equal(f.max, DEFAULT_FILTERS.max);
    assert.deepEqual(f.src.labels, []);
    assert.equal(filtersFromQuery(new URLSearchParams('max=999999')).max, 100_000);
  });
  it('isUnfiltered', () => {
    assert.equal(isUnfiltered(DEFAULT_FILTERS), true);
    assert.equal(isUnfiltered({ ...DEFAULT_FILTERS, decisions: ['blocked'] }), false);
  });
});

describe('service terms', () => {
  it('reads the usual spellings', () => {
    assert.deepEqual(parseServiceTerm('443/tcp'), { proto: 6, port: 443 });
    assert.deepEqual(parseServiceTerm('TCP/443'), { proto: 6, port: 443 });
    assert.deepEqual(parseServiceTerm('8000-8080/udp'), { proto: 17, port: 8000, to_port: 8080 });
    assert.deepEqual(parseServiceTerm(' 22 '), { port: 22 });
    assert.deepEqual(parseServiceTerm('icmp'), { proto: 1 });
    assert.deepEqual(parseServiceTerm('proto 47'), { proto: 47 });
    assert.deepEqual(parseServiceTerm('443/6'), { proto: 6, port: 443 });
  });
  it('says what is wrong otherwise', () => {
    for (const bad of ['70000', '443/tcpx', '9-1/tcp', 'a/b/c', '', 'proto 300']) assert.equal(typeof parseServiceTerm(bad), 'string', bad);
  });
});

describe('explorer filters → traffic query body', () => {
  it('labels of one key are alternatives, of different keys all apply; workloads and IPs are more alternatives', () => {
    const { body, errors } = toQueryBody({ ...DEFAULT_FILTERS, src: { ...EMPTY_SIDE, labels: ['/orgs/1/labels/1', '/orgs/1/labels/2', '/orgs/1/labels/3'], workloads: ['/orgs/1/workloads/w1'], ips: ['10.0.0.1'] } }, keyOf, NOW);
    assert.deepEqual(errors, {});
    assert.deepEqual(body['sources'], {
      include: [
        [{ label: { href: '/orgs/1/labels/1' } }, { label: { href: '/orgs/1/labels/3' } }],
        [{ label: { href: '/orgs/1/labels/2' } }, { label: { href: '/orgs/1/labels/3' } }],
        [{ workload: { href: '/orgs/1/workloads/w1' } }],
        [{ ip_address: '10.0.0.1' }],
      ],
      exclude: [],
    });
    assert.deepEqual(body['destinations'], { include: [], exclude: [] });
  });
  it('label groups and IP lists are alternatives of their own, and exclusions', () => {
    const lg = '/orgs/1/sec_policy/active/label_groups/7';
    const ipl = '/orgs/1/sec_policy/active/ip_lists/3';
    const { body, errors } = toQueryBody({ ...DEFAULT_FILTERS, src: { ...EMPTY_SIDE, labels: ['/orgs/1/labels/1'], labelGroups: [lg], ipLists: [ipl], excludeIpLists: [ipl], excludeLabelGroups: [lg] } }, keyOf, NOW);
    assert.deepEqual(errors, {});
    assert.deepEqual(body['sources'], {
      include: [[{ label: { href: '/orgs/1/labels/1' } }], [{ label_group: { href: lg } }], [{ ip_list: { href: ipl } }]],
      exclude: [{ label_group: { href: lg } }, { ip_list: { href: ipl } }],
    });
    assert.equal(isUnfiltered({ ...DEFAULT_FILTERS, dst: { ...EMPTY_SIDE, ipLists: [ipl] } }), false);
  });
  it('exclusions, services, decisions, max and the time range', () => {
    const { body, errors } = toQueryBody(
      { ...DEFAULT_FILTERS, dst: { ...EMPTY_SIDE, excludeLabels: ['/orgs/1/labels/4'], excludeWorkloads: ['/orgs/1/workloads/w2'], excludeIps: ['10.0.0.2'] }, services: ['443/tcp'], excludeServices: ['icmp'], decisions: ['blocked'], max: 50, range: '1h' },
      keyOf,
      NOW,
    );
    assert.deepEqual(errors, {});
    assert.deepEqual(body['destinations'], { include: [], exclude: [{ label: { href: '/orgs/1/labels/4' } }, { workload: { href: '/orgs/1/workloads/w2' } }, { ip_address: '10.0.0.2' }] });
    assert.deepEqual(body['services'], { include: [{ proto: 6, port: 443 }], exclude: [{ proto: 1 }] });
    assert.deepEqual(body['policy_decisions'], ['blocked']);
    assert.equal(body['max_results'], 50);
    assert.equal(body['start_date'], '2026-03-01T11:00:00.000Z');
    assert.equal(body['end_date'], undefined);
    assert.equal(toQueryBody({ ...DEFAULT_FILTERS, range: 'all' }, keyOf, NOW).body['start_date'], undefined);
    assert.equal(body['sources_destinations_query_op'], undefined, 'and (the default) is not sent');
    assert.equal(toQueryBody({ ...DEFAULT_FILTERS, either: true }, keyOf, NOW).body['sources_destinations_query_op'], 'or');
  });
  it('custom range and errors at the field at fault', () => {
    const ok = toQueryBody({ ...DEFAULT_FILTERS, range: 'custom', from: '2026-02-01T00:00:00Z', to: '2026-02-03T00:00:00Z' }, keyOf, NOW);
    assert.equal(ok.body['start_date'], '2026-02-01T00:00:00.000Z');
    assert.equal(ok.body['end_date'], '2026-02-03T00:00:00.000Z');
    const bad = toQueryBody({ ...DEFAULT_FILTERS, range: 'custom', from: '2026-02-04T00:00:00Z', to: '2026-02-03T00:00:00Z', services: ['https'] }, keyOf, NOW);
    assert.match(bad.errors['from'] ?? '', /after the end/);
    assert.match(bad.errors['services'] ?? '', /not a service/);
    const many = Array.from({ length: 101 }, (_, i) => `10.0.0.${i}`);
    assert.match(toQueryBody({ ...DEFAULT_FILTERS, src: { ...EMPTY_SIDE, ips: many } }, keyOf, NOW).errors['src.labels'] ?? '', /at most 100/);
  });
});

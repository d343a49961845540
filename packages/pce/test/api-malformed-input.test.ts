/**
 * Issue 2: no 5xx on malformed input on any route. Every registered route gets invalid JSON,
 * JSON of the wrong type, objects with wrong field types, unknown hrefs, another org's hrefs
 * and garbage ids in the path; each answer must be < 500 with a `[{token,message}]` body.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errorTokens, hrefOf, label, startTestPce, type ApiResponse, type TestPce } from './support/api-harness.ts';

let t: TestPce;
let org2Label = '';
let org2Workload = '';
let org2IpList = '';
const ids: Record<string, string> = {};

before(async () => {
  t = await startTestPce();
  const o2 = await t.newOrg('Org 2', 'owner2');
  const k2 = { key_id: o2.key_id, secret: o2.secret };
  org2Label = hrefOf(await t.api('post', `/orgs/${o2.org_id}/labels`, { key: 'role', value: 'db' }, { key: k2 }));
  org2Workload = hrefOf(await t.api('post', `/orgs/${o2.org_id}/workloads`, { hostname: 'o2-host' }, { key: k2 }));
  org2IpList = hrefOf(await t.api('post', `/orgs/${o2.org_id}/sec_policy/draft/ip_lists`, { name: 'o2 ips', ip_ranges: [{ from_ip: '10.2.0.0/16' }] }, { key: k2 }));
  // Real objects in org 1 so that path ids resolve and bodies are checked past the lookup.
  const lab = await label(t, 'role', 'web');
  ids['label'] = lab.split('/').pop() ?? '';
  ids['workload'] = hrefOf(await t.api('post', '/orgs/1/workloads', { hostname: 'h1', labels: [{ href: lab }] })).split('/').pop() ?? '';
  const rs = await t.api('post', '/orgs/1/sec_policy/draft/rule_sets', {
    name: 'rs',
    scopes: [],
    rules: [{ providers: [{ actors: 'ams' }], consumers: [{ actors: 'ams' }], ingress_services: [{ proto: 6, port: 80 }] }],
  });
  ids['rule_set'] = hrefOf(rs).split('/').pop() ?? '';
  const rules = (rs.body as { rules?: { href: string }[] }).rules ?? [];
  ids['rule'] = rules[0]?.href.split('/').pop() ?? '1';
  ids['pp'] = hrefOf(await t.api('post', '/orgs/1/pairing_profiles', { name: 'pp' })).split('/').pop() ?? '';
});

after(async () => {
  await t.close();
});

/** Fill a route's path with real ids (`good`) or with garbage. */
function fill(path: string, garbage: string | undefined): string {
  return path.replace(/:([A-Za-z_]+)/g, (_m, name: string) => {
    if (name === 'org') return '1';
    if (garbage !== undefined) return encodeURIComponent(garbage);
    if (name === 'pversion') return 'draft';
    if (name === 'version') return '1';
    if (name === 'user') return '1';
    if (name === 'key') return path.includes('label_dimensions') ? 'role' : 'nokey';
    if (name === 'rule') return ids['rule'] ?? '1';
    if (path.includes('/labels/')) return ids['label'] ?? '1';
    if (path.includes('/workloads/')) return ids['workload'] ?? '1';
    if (path.includes('/rule_sets/')) return ids['rule_set'] ?? '1';
    if (path.includes('/pairing_profiles/')) return ids['pp'] ?? '1';
    return '1';
  });
}

function assertNo5xx(r: ApiResponse, what: string): void {
  assert.ok(r.status < 500, `${what}: ${r.status} ${r.text.slice(0, 300)}`);
  if (r.status >= 400) {
    assert.doesNotThrow(() => errorTokens(r), `${what}: error shape (${r.headers.get('content-type') ?? ''}) ${r.text.slice(0, 300)}`);
  }
}

const WRONG_JSON: [string, string][] = [
  ['invalid JSON', '{"name": '],
  ['invalid JSON (garbage)', '\u0000\u0001not json at all'],
  ['array', '[1,2,3]'],
  ['number', '42'],
  ['string', '"a string"'],
  ['null', 'null'],
  ['true', 'true'],
];

/** An object whose every plausible field has the wrong type. */
const WRONG_FIELDS: Record<string, unknown>[] = [
  {
    name: 42, key: [], value: {}, hostname: 7, labels: 'x', interfaces: 'eth0', enforcement_mode: 5, visibility_level: [],
    providers: 'ams', consumers: {}, ingress_services: 1, scopes: 'x', rules: {}, deny_rules: 'x', enabled: 'yes', sec_connect: 'true',
    ip_ranges: 'x', fqdns: 1, service_ports: {}, update_description: 5, change_subset: [], ike_authentication_type: 7, ike_ca_identity: 1,
    role: 9, username: {}, description: [], display_name: 1, sub_groups: 'x', service_addresses: 5,
  },
  {
    name: 'n', key: 'role', value: 'v', hostname: 'h', labels: [{ href: 5 }], interfaces: [{ name: 1, address: 'nope' }],
    providers: [{ label: 'not-an-object' }], consumers: [{ actors: 'everyone' }], ingress_services: [{ proto: 'tcp', port: 'http' }],
    scopes: [[{ label: 12 }]], ip_ranges: [{ from_ip: 'not-an-ip' }], service_ports: [{ proto: 'x' }],
    change_subset: { rule_sets: 'all' }, labels_more: null,
  },
  { name: '\u0000'.repeat(5), hostname: 'x'.repeat(100_000), value: 'y'.repeat(100_000), description: 'z'.repeat(100_000) },
  { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } }, name: 'proto' },
];

function hrefBodies(foreign: string[]): Record<string, unknown>[] {
  return foreign.flatMap((href) => [
    { name: 'hb', key: 'role', value: 'hb', hostname: 'hb', labels: [{ href }] },
    { name: 'hb', scopes: [[{ label: { href } }]], rules: [{ providers: [{ label: { href } }], consumers: [{ workload: { href } }], ingress_services: [{ href }] }] },
    { providers: [{ label: { href } }], consumers: [{ ip_list: { href } }], ingress_services: [{ href }] },
    { name: 'hb', labels: [{ href }], sub_groups: [{ href }], key: 'role' },
    { update_description: 'x', change_subset: { rule_sets: [{ href }], ip_lists: [{ href }], label_groups: [{ href }] } },
  ]);
}

describe('no 5xx on malformed input, on every registered route', () => {
  it('has routes to test', () => {
    assert.ok(t.running.pce.registry.routes.length > 30, `only ${t.running.pce.registry.routes.length} routes registered`);
  });

  it('invalid JSON and JSON of the wrong type', async () => {
    for (const { spec } of t.running.pce.registry.routes) {
      if (spec.method === 'get' || spec.method === 'delete') continue;
      for (const [what, raw] of WRONG_JSON) {
        const r = await t.api(spec.method, fill(spec.path, undefined), undefined, { raw });
        assertNo5xx(r, `${spec.method.toUpperCase()} ${spec.path} with ${what}`);
        if (spec.body && what.startsWith('invalid JSON')) assert.ok(r.status >= 400, `${spec.method} ${spec.path} accepted ${what}: ${r.status}`);
      }
    }
  });

  it('objects with wrong field types', async () => {
    for (const { spec } of t.running.pce.registry.routes) {
      if (spec.method === 'get' || spec.method === 'delete') continue;
      for (const [i, body] of WRONG_FIELDS.entries()) {
        const r = await t.api(spec.method, fill(spec.path, undefined), undefined, { raw: JSON.stringify(body) });
        assertNo5xx(r, `${spec.method.toUpperCase()} ${spec.path} with wrong-typed body #${i}`);
      }
    }
  });

  it('unknown hrefs and hrefs of another org', async () => {
    const foreign = [
      org2Label, org2Workload, org2IpList,
      '/orgs/1/labels/999999', '/orgs/1/workloads/nope', '/orgs/1/sec_policy/draft/ip_lists/99999', '/orgs/1/sec_policy/draft/label_groups/zzz',
      '/orgs/1/sec_policy/active/services/424242', '/orgs/1/sec_policy/7/rule_sets/1', '/orgs/99/labels/1', '/api/v2/orgs/1/labels/1',
      'https://evil.example/orgs/1/labels/1', '', '/', '/orgs/1/labels/../../x', '/orgs/1/labels/1/extra',
    ];
    for (const { spec } of t.running.pce.registry.routes) {
      if (spec.method === 'get' || spec.method === 'delete') continue;
      for (const body of hrefBodies(foreign)) {
        const r = await t.api(spec.method, fill(spec.path, undefined), body);
        assertNo5xx(r, `${spec.method.toUpperCase()} ${spec.path} with ${JSON.stringify(body).slice(0, 120)}`);
      }
    }
    // Whatever was accepted (unknown fields are ignored), nothing in org 1 may now name org 2's objects.
    for (const path of ['/orgs/1/workloads', '/orgs/1/labels', '/orgs/1/sec_policy/draft/rule_sets', '/orgs/1/sec_policy/draft/label_groups', '/orgs/1/sec_policy/draft/ip_lists', '/orgs/1/sec_policy/pending']) {
      const r = await t.api('get', path);
      assert.equal(r.status, 200);
      assert.ok(!r.text.includes('/orgs/2/'), `${path} references org 2: ${r.text.slice(0, 500)}`);
    }
  });

  it('garbage ids in the path', async () => {
    const garbage = ['0', '-1', '99999999999999999999', 'abc', '1.5', '%00', 'ü', 'a'.repeat(300), "1' OR '1'='1", '..', 'null', ' '];
    for (const { spec } of t.running.pce.registry.routes) {
      if (!spec.path.includes(':') || spec.path === '/orgs/:org/settings/workloads') continue;
      for (const g of garbage) {
        const path = fill(spec.path, g).replace(/^\/orgs\/[^/]+/, '/orgs/1');
        const body = spec.method === 'post' || spec.method === 'put' ? {} : undefined;
        const r = await t.api(spec.method, path, body);
        assertNo5xx(r, `${spec.method.toUpperCase()} ${path}`);
      }
    }
  });

  it('garbage query strings on collections', async () => {
    const queries = ['max_results=-1', 'max_results=abc', 'max_results=1e9', 'labels=notjson', 'labels=[[1,"x"]]', 'labels=[[999999]]', 'labels={}', 'managed=maybe', 'timestamp[gte]=yesterday', 'compare_to=x', 'name=%00', 'key=' + 'k'.repeat(5000)];
    for (const { spec } of t.running.pce.registry.routes) {
      if (spec.method !== 'get') continue;
      for (const q of queries) {
        const r = await t.api('get', `${fill(spec.path, undefined)}?${q}`);
        assertNo5xx(r, `GET ${spec.path}?${q}`);
      }
    }
  });

  it('garbage Authorization headers answer 401, never 5xx', async () => {
    for (const h of ['Basic', 'Basic !!!', 'Basic ' + Buffer.from('nocolon').toString('base64'), 'Bearer x', 'Basic ' + Buffer.from(':').toString('base64'), 'Basic ' + 'A'.repeat(10_000)]) {
      const r = await t.api('get', '/orgs/1/labels', undefined, { key: null, headers: { Authorization: h } });
      assert.equal(r.status, 401, `${h.slice(0, 40)}: ${r.status} ${r.text}`);
      errorTokens(r);
    }
  });
});

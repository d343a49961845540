/** Issue 2: the Illumio conventions of DESIGN §6 on every route. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { arr, errorTokens, hrefOf, label, obj, sleep, startTestPce, type TestPce } from './support/api-harness.ts';

let t: TestPce;
let wl = '';

before(async () => {
  t = await startTestPce();
  for (const v of ['a', 'b', 'c', 'd', 'e']) await label(t, 'app', v);
  wl = hrefOf(await t.api('post', '/orgs/1/workloads', { hostname: 'conv-1' }));
  await t.api('post', '/orgs/1/sec_policy/draft/ip_lists', { name: 'nets', ip_ranges: [{ from_ip: '10.0.0.0/8' }] });
  await t.api('post', '/orgs/1/sec_policy/draft/rule_sets', { name: 'rs', rules: [{ providers: [{ actors: 'ams' }], consumers: [{ actors: 'ams' }], ingress_services: [{ proto: 6, port: 22 }] }] });
  await t.api('post', '/orgs/1/pairing_profiles', { name: 'pp' });
});

after(async () => {
  await t.close();
});

/** Collection routes with their path filled for org 1. */
function collections(): string[] {
  const out: string[] = [];
  for (const { spec } of t.running.pce.registry.routes) {
    if (!spec.collection || spec.method !== 'get') continue;
    out.push(spec.path.replace(':org', '1').replace(':pversion', 'draft').replace(':user', '1').replace(':id', '1'));
  }
  return out;
}

const ID_RE = /^[A-Za-z0-9-]+$/;

function checkHrefs(v: unknown, where: string): void {
  if (Array.isArray(v)) v.forEach((x) => checkHrefs(x, where));
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      if (k === 'href' && typeof x === 'string') {
        assert.ok(x.startsWith('/orgs/') || x.startsWith('/users/'), `${where}: href ${x} is not org-relative`);
        assert.ok(!x.includes('/api/v2') && !x.includes('://'), `${where}: href ${x} has a base or host`);
        for (const seg of x.split('/').slice(1)) assert.ok(ID_RE.test(seg) || /^[a-z_]+$/.test(seg), `${where}: href ${x} has a bad segment "${seg}"`);
      } else checkHrefs(x, where);
    }
  }
}

describe('collections', () => {
  it('every collection route answers a bare array with X-Total-Count; max_results honoured; max_results=0 answers [] with the count', async () => {
    const paths = collections();
    assert.ok(paths.length >= 10, `collections: ${paths.join(', ')}`);
    for (const p of paths) {
      const r = await t.api('get', p);
      assert.equal(r.status, 200, `${p}: ${r.text}`);
      assert.equal(r.headers.get('content-type'), 'application/json', p);
      const list = arr(r);
      const total = Number(r.headers.get('x-total-count'));
      assert.ok(r.headers.has('x-total-count') && Number.isInteger(total) && total >= list.length, `${p}: X-Total-Count ${String(r.headers.get('x-total-count'))}`);
      checkHrefs(list, p);
      const zero = await t.api('get', `${p}?max_results=0`);
      assert.equal(zero.status, 200, p);
      assert.deepEqual(zero.body, [], p);
      assert.equal(zero.headers.get('x-total-count'), String(total), `${p}?max_results=0`);
      if (total >= 2) {
        const one = await t.api('get', `${p}?max_results=1`);
        assert.equal(arr(one).length, 1, `${p}?max_results=1`);
        assert.equal(one.headers.get('x-total-count'), String(total), p);
      }
    }
  });

  it('labels: max_results limits the list, X-Total-Count counts all', async () => {
    const r = await t.api('get', '/orgs/1/labels?max_results=2');
    assert.equal(arr(r).length, 2);
    assert.ok(Number(r.headers.get('x-total-count')) >= 5);
    const bad = await t.api('get', '/orgs/1/labels?max_results=-3');
    assert.equal(bad.status, 406);
    errorTokens(bad);
  });

  it('Prefer: respond-async on every collection: 202, Location of a job, integer Retry-After, job done, datafile answers the array', async () => {
    for (const p of collections()) {
      const sync = await t.api('get', p);
      const r = await t.api('get', p, undefined, { headers: { Prefer: 'respond-async' } });
      assert.equal(r.status, 202, `${p}: ${r.text}`);
      const loc = r.headers.get('location') ?? '';
      assert.match(loc, /^\/orgs\/1\/jobs\/[A-Za-z0-9-]+$/, p);
      assert.match(r.headers.get('retry-after') ?? '', /^\d+$/, p);
      let job: Record<string, unknown> = {};
      for (let i = 0; i < 100; i++) {
        job = obj(await t.api('get', loc));
        if (job['status'] === 'done' || job['status'] === 'failed') break;
        await sleep(20);
      }
      assert.equal(job['status'], 'done', `${p}: ${JSON.stringify(job)}`);
      const result = job['result'] as { href?: string } | undefined;
      assert.match(result?.href ?? '', /^\/orgs\/1\/datafiles\/[A-Za-z0-9-]+$/, p);
      const file = await t.api('get', result?.href ?? '');
      assert.equal(file.status, 200, p);
      assert.deepEqual(arr(file), arr(sync), `${p}: the data file differs from the list`);
    }
  });
});

describe('objects, hrefs and statuses', () => {
  it('create answers 201 with the object; update and delete answer 204', async () => {
    const c = await t.api('post', '/orgs/1/labels', { key: 'env', value: 'prod' });
    assert.equal(c.status, 201);
    assert.equal(obj(c)['value'], 'prod');
    const href = hrefOf(c);
    assert.match(href, /^\/orgs\/1\/labels\/[A-Za-z0-9-]+$/);
    const u = await t.api('put', href, { value: 'production' });
    assert.equal(u.status, 204);
    assert.equal(u.text, '');
    assert.equal(obj(await t.api('get', href))['value'], 'production');
    const d = await t.api('delete', href);
    assert.equal(d.status, 204);
    assert.equal((await t.api('get', href)).status, 404);

    for (const [path, body] of [
      ['/orgs/1/sec_policy/draft/ip_lists', { name: 'l1', ip_ranges: [{ from_ip: '192.0.2.0/24' }] }],
      ['/orgs/1/sec_policy/draft/services', { name: 's1', service_ports: [{ proto: 6, port: 443 }] }],
      ['/orgs/1/sec_policy/draft/label_groups', { name: 'g1', key: 'app', labels: [] }],
      ['/orgs/1/workloads', { hostname: 'w-crud' }],
      ['/orgs/1/pairing_profiles', { name: 'pp2' }],
    ] as const) {
      const r = await t.api('post', path, body);
      assert.equal(r.status, 201, `${path}: ${r.text}`);
      const h = hrefOf(r);
      checkHrefs(r.body, path);
      assert.equal((await t.api('put', h, { description: 'changed' })).status, 204, `PUT ${h}`);
      assert.equal((await t.api('delete', h)).status, 204, `DELETE ${h}`);
    }
  });

  it('every href answered is org-relative with ids of [A-Za-z0-9-]', async () => {
    for (const p of collections()) checkHrefs((await t.api('get', p)).body, p);
    checkHrefs((await t.api('get', '/orgs/1/sec_policy/pending')).body, 'pending');
  });

  it('unknown request fields are ignored; whole objects are accepted where {href} would do', async () => {
    const lab = arr(await t.api('get', '/orgs/1/labels?max_results=1'))[0] ?? {};
    const w = await t.api('post', '/orgs/1/workloads', { hostname: 'whole', labels: [lab], some_future_field: { x: 1 }, created_by: { href: '/users/1' } });
    assert.equal(w.status, 201, w.text);
    assert.deepEqual((obj(w)['labels'] as { href: string }[]).map((l) => l.href), [lab['href']]);
    assert.ok(!('some_future_field' in obj(w)));
    const wl2 = obj(await t.api('get', hrefOf(w)));
    const put = await t.api('put', hrefOf(w), { ...wl2, description: 'round trip' });
    assert.equal(put.status, 204, put.text);
    const ipl = obj(await t.api('post', '/orgs/1/sec_policy/draft/ip_lists', { name: 'whole-ipl', ip_ranges: [{ from_ip: '198.51.100.0/24' }] }));
    const svc = obj(await t.api('post', '/orgs/1/sec_policy/draft/services', { name: 'whole-svc', service_ports: [{ proto: 17, port: 53 }] }));
    const rs = await t.api('post', '/orgs/1/sec_policy/draft/rule_sets', {
      name: 'whole-rs',
      href: '/orgs/1/sec_policy/draft/rule_sets/999',
      update_type: 'create',
      scopes: [[{ label: lab }]],
      rules: [{ providers: [{ label: lab }], consumers: [{ ip_list: ipl }], ingress_services: [svc], sec_connect: false, extra: true }],
    });
    assert.equal(rs.status, 201, rs.text);
    const rule = (obj(rs)['rules'] as Record<string, unknown>[])[0] ?? {};
    assert.deepEqual(rule['ingress_services'], [{ href: svc['href'] }]);
    assert.deepEqual(rule['consumers'], [{ ip_list: { href: ipl['href'] } }]);
  });

  it('every object answered by GET can be PUT back as is (clients round-trip whole objects)', async () => {
    const lab = String(arr(await t.api('get', '/orgs/1/labels?max_results=1'))[0]?.['href'] ?? '');
    const made = [
      lab,
      hrefOf(await t.api('post', '/orgs/1/workloads', { hostname: 'rt', labels: [{ href: lab }] })),
      hrefOf(await t.api('post', '/orgs/1/sec_policy/draft/ip_lists', { name: 'rt-ipl', ip_ranges: [{ from_ip: '203.0.113.0/24' }], fqdns: [{ fqdn: 'rt.example.com' }] })),
      hrefOf(await t.api('post', '/orgs/1/sec_policy/draft/services', { name: 'rt-svc', service_ports: [{ proto: 6, port: 1000, to_port: 1010 }] })),
      hrefOf(await t.api('post', '/orgs/1/sec_policy/draft/label_groups', { name: 'rt-lg', key: 'app', labels: [{ href: lab }] })),
      hrefOf(await t.api('post', '/orgs/1/sec_policy/draft/virtual_services', { name: 'rt-vs', service_ports: [{ proto: 6, port: 80 }] })),
      hrefOf(await t.api('post', '/orgs/1/pairing_profiles', { name: 'rt-pp' })),
      '/orgs/1/sec_policy/draft/firewall_settings',
    ];
    const rs = await t.api('post', '/orgs/1/sec_policy/draft/rule_sets', { name: 'rt-rs', scopes: [[{ label: { href: lab } }]], rules: [{ providers: [{ actors: 'ams' }], consumers: [{ label: { href: lab } }], ingress_services: [{ proto: 6, port: 9 }] }] });
    made.push(hrefOf(rs), String((obj(rs)['rules'] as { href: string }[])[0]?.href));
    for (const href of made) {
      const got = obj(await t.api('get', href));
      const put = await t.api('put', href, got);
      assert.equal(put.status, 204, `PUT back ${href}: ${put.text}`);
    }
  });

  it('errors are [{token,message}] with Content-Type exactly application/json: 401, 403, 404, 406', async () => {
    const cases = [
      await t.api('get', '/orgs/1/labels', undefined, { key: null }),
      await t.api('get', '/orgs/1/labels', undefined, { key: { key_id: 'nope', secret: 'nope' } }),
      await t.api('get', '/orgs/1/labels/424242'),
      await t.api('get', '/orgs/1/no_such_thing'),
      await t.api('post', '/orgs/1/labels', { key: 'role' }),
      await t.api('post', '/orgs/1/labels', undefined, { raw: '{bad' }),
    ];
    assert.deepEqual(cases.map((c) => c.status), [401, 401, 404, 404, 406, 406]);
    for (const c of cases) errorTokens(c);
  });

  it('GET /api/v2/health answers with and without Basic credentials', async () => {
    for (const key of [null, t.owner]) {
      const r = await t.api('get', '/api/v2/health', undefined, { key });
      assert.equal(r.status, 200, r.text);
      assert.ok(Array.isArray(r.body) || typeof r.body === 'object');
    }
    const bad = await t.api('get', '/api/v2/health', undefined, { key: { key_id: 'x', secret: 'y' } });
    assert.ok(bad.status === 200 || bad.status === 401, `${bad.status}`);
  });

  it('GET /api/v2/orgs/1/settings/workloads exists', async () => {
    const r = await t.api('get', '/orgs/1/settings/workloads');
    assert.equal(r.status, 200);
    assert.equal(obj(r)['href'], '/orgs/1/settings/workloads');
  });

  it('404 for unknown objects in every family', async () => {
    for (const p of ['/orgs/1/labels/99999', '/orgs/1/workloads/nope', '/orgs/1/sec_policy/draft/rule_sets/9999', '/orgs/1/sec_policy/draft/ip_lists/9999', '/orgs/1/pairing_profiles/999', '/orgs/1/events/99999999', '/orgs/1/jobs/nope', '/orgs/1/datafiles/nope', '/orgs/1/sec_policy/42']) {
      const r = await t.api('get', p);
      assert.equal(r.status, 404, `${p}: ${r.status} ${r.text}`);
      errorTokens(r);
    }
    assert.equal((await t.api('put', '/orgs/1/labels/99999', { value: 'x' })).status, 404);
    assert.equal((await t.api('delete', wl.replace(/[^/]+$/, 'missing'))).status, 404);
  });
});

describe('documents', () => {
  it('/api/v2/openapi.json lists every registered route and its request body schema', async () => {
    const doc = obj(await t.api('get', '/api/v2/openapi.json'));
    const paths = doc['paths'] as Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
    for (const { spec } of t.running.pce.registry.routes) {
      const p = `/api/v2${spec.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`;
      const op = paths[p]?.[spec.method];
      assert.ok(op, `openapi lacks ${spec.method} ${p}`);
      if (spec.body) assert.ok(op.requestBody?.content['application/json']?.schema, `openapi lacks the body schema of ${spec.method} ${p}`);
    }
    assert.ok(paths['/api/v2/health']);
  });

  it('/metrics answers Prometheus text', async () => {
    const r = await t.api('get', '/metrics', undefined, { key: null });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
    assert.match(r.text, /# TYPE palisade_http_requests_total counter/);
    assert.match(r.text, /palisade_http_requests_total\{[^}]*route="\/orgs\/:org\/labels"/);
  });
});

/** Issue 2: the main provisioning flow once against PostgreSQL (the throwaway server of test/support). */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startPostgres, type TestPostgres } from '../../../test/support/postgres.ts';
import { arr, errorTokens, hrefOf, label, obj, startTestPce, type TestPce } from './support/api-harness.ts';

let pg: TestPostgres | undefined;
let t: TestPce | undefined;

before(async () => {
  pg = await startPostgres();
  t = await startTestPce({ db: pg.url });
});

after(async () => {
  await t?.close();
  await pg?.stop();
});

describe('provisioning flow on PostgreSQL', () => {
  it('labels, workload, rule set, pending, provision, active, revert, diff, 409, async list', async () => {
    if (!t) throw new Error('no PCE');
    const p = t;
    const web = await label(p, 'role', 'web');
    const wl = hrefOf(await p.api('post', '/orgs/1/workloads', { hostname: 'pg-1', labels: [{ href: web }] }));
    const ipl = hrefOf(await p.api('post', '/orgs/1/sec_policy/draft/ip_lists', { name: 'pg', ip_ranges: [{ from_ip: '10.0.0.0/8' }] }));
    const rs = await p.api('post', '/orgs/1/sec_policy/draft/rule_sets', {
      name: 'pg-rs',
      scopes: [[{ label: { href: web } }]],
      rules: [{ providers: [{ label: { href: web } }], consumers: [{ ip_list: { href: ipl } }], ingress_services: [{ proto: 6, port: 443 }] }],
    });
    assert.equal(rs.status, 201, rs.text);
    const pending = obj(await p.api('get', '/orgs/1/sec_policy/pending'));
    assert.deepEqual(Object.keys(pending).sort(), ['ip_lists', 'rule_sets']);
    const partial = await p.api('post', '/orgs/1/sec_policy', { update_description: 'rs only', change_subset: { rule_sets: [{ href: hrefOf(rs) }] } });
    assert.equal(partial.status, 406, partial.text);
    assert.ok(partial.text.includes(ipl));
    const prov = await p.api('post', '/orgs/1/sec_policy', { update_description: 'pg v1' });
    assert.equal(prov.status, 201, prov.text);
    assert.equal(obj(prov)['version'], 1);
    assert.equal(obj(prov)['workloads_affected'], 1);
    assert.equal((await p.api('get', hrefOf(rs).replace('/draft/', '/active/'))).status, 200);
    assert.equal((await p.api('put', ipl, { description: 'x' })).status, 204);
    assert.equal((await p.api('put', '/orgs/1/sec_policy/delete_pending', {})).status, 204);
    assert.deepEqual(obj(await p.api('get', '/orgs/1/sec_policy/pending')), {});
    const del = await p.api('delete', web);
    assert.equal(del.status, 409, del.text);
    errorTokens(del);
    assert.equal((await p.api('put', wl, { labels: [] })).status, 204);
    assert.equal((await p.api('delete', ipl)).status, 409, 'the IP list is used by the rule set');
    const v2 = await p.api('post', '/orgs/1/sec_policy/draft/services', { name: 'pg-svc', service_ports: [{ proto: 6, port: 22 }] });
    assert.equal(v2.status, 201);
    assert.equal((await p.api('post', '/orgs/1/sec_policy', { update_description: 'pg v2' })).status, 201);
    const diff = arr(await p.api('get', '/orgs/1/sec_policy/2/modified_objects?compare_to=1'));
    assert.deepEqual(diff.map((d) => d['href']), [hrefOf(v2).replace('/draft/', '/2/')]);
    const list = await p.api('get', '/orgs/1/labels?max_results=0');
    assert.equal(list.headers.get('x-total-count'), '1');
    const job = await p.api('get', '/orgs/1/workloads', undefined, { headers: { Prefer: 'respond-async' } });
    assert.equal(job.status, 202);
    let status = '';
    let body: Record<string, unknown> = {};
    for (let i = 0; i < 100 && status !== 'done' && status !== 'failed'; i++) {
      body = obj(await p.api('get', job.headers.get('location') ?? ''));
      status = String(body['status']);
      if (status !== 'done') await new Promise((ok) => setTimeout(ok, 20));
    }
    assert.equal(status, 'done', JSON.stringify(body));
    const file = await p.api('get', String((body['result'] as { href: string }).href));
    assert.equal(arr(file).length, 1);
  });
});

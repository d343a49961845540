/** Issue 2: draft/active, pending, provisioning (all and change_subset), revert, versions, diff. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { arr, errorTokens, hrefOf, label, obj, startTestPce, type TestPce } from './support/api-harness.ts';

let t: TestPce;
const D = '/orgs/1/sec_policy/draft';
const A = '/orgs/1/sec_policy/active';

before(async () => {
  t = await startTestPce();
});

after(async () => {
  await t.close();
});

function pendingHrefs(body: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(body as Record<string, { href: string }[]>)) out[k] = v.map((x) => x.href).sort();
  return out;
}

async function ipList(name: string, cidr: string): Promise<string> {
  const r = await t.api('post', `${D}/ip_lists`, { name, ip_ranges: [{ from_ip: cidr }] });
  assert.equal(r.status, 201, r.text);
  return hrefOf(r);
}

describe('draft and active', () => {
  it('writes go to the draft; active unchanged until POST /sec_policy; pending keyed by type', async () => {
    const before1 = arr(await t.api('get', `${A}/ip_lists`)).length;
    const ipl = await ipList('lifecycle-1', '10.1.0.0/16');
    const svc = hrefOf(await t.api('post', `${D}/services`, { name: 'lc-svc', service_ports: [{ proto: 6, port: 8080 }] }));
    assert.equal(arr(await t.api('get', `${A}/ip_lists`)).length, before1);
    assert.equal((await t.api('get', ipl.replace('/draft/', '/active/'))).status, 404);
    const pending = await t.api('get', '/orgs/1/sec_policy/pending');
    assert.equal(pending.status, 200);
    assert.deepEqual(pendingHrefs(pending.body), { ip_lists: [ipl], services: [svc] });

    const p = await t.api('post', '/orgs/1/sec_policy', { update_description: 'first' });
    assert.equal(p.status, 201, p.text);
    const pb = obj(p);
    assert.equal(pb['href'], '/orgs/1/sec_policy/1');
    assert.equal(pb['version'], 1);
    assert.equal(pb['commit_message'], 'first');
    assert.equal(typeof pb['workloads_affected'], 'number');
    assert.deepEqual(obj(await t.api('get', '/orgs/1/sec_policy/pending')), {});

    const act = await t.api('get', ipl.replace('/draft/', '/active/'));
    assert.equal(act.status, 200);
    assert.equal(hrefOf(act), ipl.replace('/draft/', '/active/'), 'active href = draft href with draft → active');
    const v1 = await t.api('get', ipl.replace('/draft/', '/1/'));
    assert.equal(hrefOf(v1), ipl.replace('/draft/', '/1/'));

    // An update goes to the draft only.
    assert.equal((await t.api('put', ipl, { description: 'changed' })).status, 204);
    assert.equal(obj(await t.api('get', ipl))['description'], 'changed');
    assert.notEqual(obj(await t.api('get', ipl.replace('/draft/', '/active/')))['description'], 'changed');
    assert.deepEqual(pendingHrefs((await t.api('get', '/orgs/1/sec_policy/pending')).body), { ip_lists: [ipl] });
    const pend = (obj(await t.api('get', '/orgs/1/sec_policy/pending'))['ip_lists'] as Record<string, unknown>[])[0] ?? {};
    assert.equal(pend['change_type'], 'update');
  });

  it('a draft rule may reference active objects; hrefs are stored as draft hrefs', async () => {
    const ipl = await ipList('lc-active-ref', '10.77.0.0/16');
    assert.equal((await t.api('post', '/orgs/1/sec_policy', { update_description: 'ipl', change_subset: { ip_lists: [{ href: ipl }] } })).status, 201);
    const rs = await t.api('post', `${D}/rule_sets`, {
      name: 'lc-active-ref',
      rules: [{ providers: [{ actors: 'ams' }], consumers: [{ ip_list: { href: ipl.replace('/draft/', '/active/') } }], ingress_services: [{ proto: 6, port: 443 }] }],
    });
    assert.equal(rs.status, 201, rs.text);
    const rule = (obj(rs)['rules'] as Record<string, unknown>[])[0] ?? {};
    assert.deepEqual(rule['consumers'], [{ ip_list: { href: ipl } }]);
    assert.equal((await t.api('put', '/orgs/1/sec_policy/delete_pending', { change_subset: { rule_sets: [{ href: hrefOf(rs) }] } })).status, 204);
  });

  it('provisioning a change_subset provisions only that; the rest stays pending', async () => {
    const a = await ipList('lc-sub-a', '10.2.0.0/16');
    const b = await ipList('lc-sub-b', '10.3.0.0/16');
    const pendingBefore = pendingHrefs((await t.api('get', '/orgs/1/sec_policy/pending')).body);
    const p = await t.api('post', '/orgs/1/sec_policy', { update_description: 'only a', change_subset: { ip_lists: [{ href: a }] } });
    assert.equal(p.status, 201, p.text);
    assert.equal((await t.api('get', a.replace('/draft/', '/active/'))).status, 200);
    assert.equal((await t.api('get', b.replace('/draft/', '/active/'))).status, 404);
    const after1 = pendingHrefs((await t.api('get', '/orgs/1/sec_policy/pending')).body);
    assert.ok(after1['ip_lists']?.includes(b) && !after1['ip_lists'].includes(a), JSON.stringify(after1));
    assert.equal((after1['ip_lists'] ?? []).length, (pendingBefore['ip_lists'] ?? []).length - 1);
    const bad = await t.api('post', '/orgs/1/sec_policy', { update_description: 'x', change_subset: { ip_lists: [{ href: a }] } });
    assert.equal(bad.status, 406, 'a subset naming an object without a pending change');
    errorTokens(bad);
  });

  it('a rule set naming a draft-only label group, provisioned without it → 406 naming the label group', async () => {
    const l = await label(t, 'app', 'lc-lg');
    const lg = await t.api('post', `${D}/label_groups`, { name: 'LG draft only', key: 'app', labels: [{ href: l }] });
    assert.equal(lg.status, 201, lg.text);
    const lgHref = hrefOf(lg);
    const rs = hrefOf(await t.api('post', `${D}/rule_sets`, { name: 'uses-lg', scopes: [[{ label_group: { href: lgHref } }]] }));
    const r = await t.api('post', '/orgs/1/sec_policy', { update_description: 'rs only', change_subset: { rule_sets: [{ href: rs }] } });
    assert.equal(r.status, 406, r.text);
    errorTokens(r);
    assert.ok(r.text.includes(lgHref), `the message names the label group: ${r.text}`);
    const ok = await t.api('post', '/orgs/1/sec_policy', { update_description: 'both', change_subset: { rule_sets: [{ href: rs }], label_groups: [{ href: lgHref }] } });
    assert.equal(ok.status, 201, ok.text);
  });

  it('revert some, then all (PUT /sec_policy/delete_pending)', async () => {
    const a = await ipList('lc-rev-a', '10.4.0.0/16');
    const b = await ipList('lc-rev-b', '10.5.0.0/16');
    const firstIpl = String(arr(await t.api('get', `${D}/ip_lists?name=lifecycle-1`))[0]?.['href'] ?? '');
    assert.equal(obj(await t.api('get', firstIpl))['description'], 'changed', 'still pending from the first test');
    const r1 = await t.api('put', '/orgs/1/sec_policy/delete_pending', { change_subset: { ip_lists: [{ href: a }] } });
    assert.equal(r1.status, 204, r1.text);
    assert.equal((await t.api('get', a)).status, 404, 'a reverted creation is gone from the draft');
    assert.equal((await t.api('get', b)).status, 200);
    const r2 = await t.api('put', '/orgs/1/sec_policy/delete_pending', {});
    assert.equal(r2.status, 204, r2.text);
    assert.deepEqual(obj(await t.api('get', '/orgs/1/sec_policy/pending')), {});
    assert.equal((await t.api('get', b)).status, 404);
    // The updated-then-reverted object is back to its active content.
    assert.equal(obj(await t.api('get', firstIpl))['description'] ?? '', obj(await t.api('get', firstIpl.replace('/draft/', '/active/')))['description'] ?? '');
    assert.notEqual(obj(await t.api('get', firstIpl))['description'], 'changed');
  });

  it('versions are listed; modified_objects?compare_to=N diffs two versions', async () => {
    const ipl = await ipList('lc-diff', '10.6.0.0/16');
    const p = obj(await t.api('post', '/orgs/1/sec_policy', { update_description: 'diff' }));
    const v = Number(p['version']);
    const list = await t.api('get', '/orgs/1/sec_policy');
    assert.equal(list.status, 200);
    const versions = arr(list).map((x) => x['version']);
    assert.equal(versions[0], v, 'newest first');
    assert.equal(list.headers.get('x-total-count'), String(v));
    assert.equal(obj(await t.api('get', `/orgs/1/sec_policy/${v}`))['commit_message'], 'diff');
    const d = await t.api('get', `/orgs/1/sec_policy/${v}/modified_objects?compare_to=${v - 1}`);
    assert.equal(d.status, 200, d.text);
    const changes = arr(d);
    assert.ok(changes.some((c) => c['href'] === ipl.replace('/draft/', `/${v}/`) && c['change_type'] === 'create'), JSON.stringify(changes));
    const d1 = arr(await t.api('get', `/orgs/1/sec_policy/${v}/modified_objects?compare_to=1`));
    assert.ok(d1.length >= changes.length);
    assert.equal((await t.api('get', `/orgs/1/sec_policy/${v}/modified_objects?compare_to=${v}`)).status, 406);
    assert.equal((await t.api('get', `/orgs/1/sec_policy/${v + 5}/modified_objects`)).status, 404);
  });

  it('past versions are readable and immutable; writes to active or a version → 4xx', async () => {
    const v1 = arr(await t.api('get', '/orgs/1/sec_policy/1/ip_lists'));
    assert.ok(v1.length >= 1);
    for (const o of v1) assert.match(String(o['href']), /^\/orgs\/1\/sec_policy\/1\/ip_lists\//);
    const one = String(v1.find((o) => o['name'] === 'lifecycle-1')?.['href'] ?? '');
    assert.equal(obj(await t.api('get', one))['description'] ?? '', '');
    for (const base of [A, '/orgs/1/sec_policy/1']) {
      for (const [m, p, b] of [
        ['post', `${base}/ip_lists`, { name: 'nope', ip_ranges: [{ from_ip: '10.8.0.0/16' }] }],
        ['put', one.replace('/1/', base === A ? '/active/' : '/1/'), { description: 'rewrite history' }],
        ['delete', one.replace('/1/', base === A ? '/active/' : '/1/'), undefined],
        ['post', `${base}/rule_sets`, { name: 'nope' }],
        ['put', `${base}/firewall_settings`, { ike_authentication_type: 'psk' }],
      ] as const) {
        const r = await t.api(m, p, b);
        assert.ok(r.status >= 400 && r.status < 500, `${m} ${p}: ${r.status} ${r.text}`);
        errorTokens(r);
      }
    }
    assert.equal(obj(await t.api('get', one))['description'] ?? '', '');
    assert.equal(arr(await t.api('get', '/orgs/1/sec_policy/1/ip_lists')).length, v1.length);
  });

  it('a deleted object stays active until provisioned; pending shows the delete', async () => {
    const ipl = String(arr(await t.api('get', `${D}/ip_lists?name=lc-diff`))[0]?.['href'] ?? '');
    assert.equal((await t.api('delete', ipl)).status, 204);
    assert.equal((await t.api('get', ipl)).status, 404);
    assert.equal((await t.api('get', ipl.replace('/draft/', '/active/'))).status, 200);
    const pend = obj(await t.api('get', '/orgs/1/sec_policy/pending'));
    assert.equal((pend['ip_lists'] as Record<string, unknown>[])[0]?.['change_type'], 'delete');
    assert.equal((await t.api('post', '/orgs/1/sec_policy', { update_description: 'del' })).status, 201);
    assert.equal((await t.api('get', ipl.replace('/draft/', '/active/'))).status, 404);
  });
});

/** Issue 2: 401 vs 403, roles, rate limits, org isolation, 409 on labels in use, events. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { arr, errorTokens, hrefOf, label, obj, startTestPce, type Key, type TestPce } from './support/api-harness.ts';

let t: TestPce;
let org2: Key & { org_id: number };
let readOnly: Key;

before(async () => {
  t = await startTestPce();
  org2 = await t.newOrg('Org 2', 'owner2');
  const u = await t.api('post', '/orgs/1/users', { username: 'viewer', role: 'read_only' });
  assert.equal(u.status, 201, u.text);
  const k = await t.api('post', `${hrefOf(u)}/api_keys`, { name: 'ro' });
  assert.equal(k.status, 201, k.text);
  readOnly = { key_id: String(obj(k)['key_id']), secret: String(obj(k)['secret']) };
});

after(async () => {
  await t.close();
});

describe('authentication and authorization', () => {
  it('401 without or with bad credentials, with WWW-Authenticate', async () => {
    for (const key of [null, { key_id: 'nope', secret: 'nope' }, { key_id: t.owner.key_id, secret: 'wrong' }]) {
      const r = await t.api('get', '/orgs/1/labels', undefined, { key });
      assert.equal(r.status, 401, r.text);
      assert.deepEqual(errorTokens(r).length > 0, true);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Basic/);
    }
  });

  it('403 for a read_only key writing, 200 for it reading', async () => {
    assert.equal((await t.api('get', '/orgs/1/labels', undefined, { key: readOnly })).status, 200);
    for (const [m, p, b] of [
      ['post', '/orgs/1/labels', { key: 'role', value: 'ro' }],
      ['post', '/orgs/1/workloads', { hostname: 'ro' }],
      ['post', '/orgs/1/sec_policy/draft/rule_sets', { name: 'ro' }],
      ['post', '/orgs/1/sec_policy', { update_description: 'ro' }],
      ['put', '/orgs/1/sec_policy/draft/firewall_settings', { ike_authentication_type: 'psk' }],
      ['post', '/orgs/1/secure_connect/psk_rotation', {}],
    ] as const) {
      const r = await t.api(m, p, b, { key: readOnly });
      assert.equal(r.status, 403, `${m} ${p}: ${r.status} ${r.text}`);
      errorTokens(r);
    }
  });

  it('403 for an org-1 key on /orgs/2/… and an org-2 key on /orgs/1/…', async () => {
    for (const [key, org] of [[t.owner, 2], [org2, 1]] as const) {
      for (const p of ['labels', 'workloads', 'sec_policy/draft/rule_sets', 'sec_policy/pending', 'events']) {
        const r = await t.api('get', `/orgs/${org}/${p}`, undefined, { key });
        assert.equal(r.status, 403, `${p}: ${r.status} ${r.text}`);
        errorTokens(r);
      }
    }
  });

  it('429 with an integer Retry-After once a key exceeds its rate limit; other keys unaffected', async () => {
    const limited = await startTestPce({ rateLimitPerMinute: 5 });
    try {
      const statuses: number[] = [];
      let retry = '';
      for (let i = 0; i < 8; i++) {
        const r = await limited.api('get', '/orgs/1/labels');
        statuses.push(r.status);
        if (r.status === 429) {
          retry = r.headers.get('retry-after') ?? '';
          errorTokens(r);
        }
      }
      assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
      assert.ok(statuses.slice(5).every((s) => s === 429), statuses.join(','));
      assert.match(retry, /^[1-9]\d*$/);
      const other = await limited.newOrg('Org 2', 'o2');
      assert.equal((await limited.api('get', `/orgs/${other.org_id}/labels`, undefined, { key: other })).status, 200);
    } finally {
      await limited.close();
    }
  });
});

describe('org isolation', () => {
  it("org 2's key cannot list, read, modify or delete org 1's labels, workloads, rule sets", async () => {
    const lab = await label(t, 'role', 'iso');
    const wl = hrefOf(await t.api('post', '/orgs/1/workloads', { hostname: 'iso', labels: [{ href: lab }] }));
    const rs = hrefOf(await t.api('post', '/orgs/1/sec_policy/draft/rule_sets', { name: 'iso-rs' }));
    for (const href of [lab, wl, rs]) {
      assert.equal((await t.api('get', href, undefined, { key: org2 })).status, 403, href);
      assert.equal((await t.api('put', href, { name: 'pwned', value: 'pwned', description: 'pwned' }, { key: org2 })).status, 403, href);
      assert.equal((await t.api('delete', href, undefined, { key: org2 })).status, 403, href);
      // Same ids under org 2's own prefix reach org 2's objects, never org 1's.
      const own = href.replace('/orgs/1/', `/orgs/${org2.org_id}/`);
      const r = await t.api('get', own, undefined, { key: org2 });
      assert.ok(r.status === 404 || !r.text.includes('iso'), `${own}: ${r.status} ${r.text}`);
    }
    assert.equal(obj(await t.api('get', lab))['value'], 'iso');
    assert.equal((await t.api('get', wl)).status, 200);
  });

  it("org 2 cannot reference org 1's hrefs in its own objects", async () => {
    const lab = await label(t, 'app', 'iso-ref');
    const ipl = hrefOf(await t.api('post', '/orgs/1/sec_policy/draft/ip_lists', { name: 'iso-ipl', ip_ranges: [{ from_ip: '10.9.0.0/16' }] }));
    const wl = hrefOf(await t.api('post', '/orgs/1/workloads', { hostname: 'iso-ref' }));
    const o = `/orgs/${org2.org_id}`;
    const attempts = [
      ['post', `${o}/workloads`, { hostname: 'x', labels: [{ href: lab }] }],
      ['post', `${o}/sec_policy/draft/label_groups`, { name: 'g', key: 'app', labels: [{ href: lab }] }],
      ['post', `${o}/sec_policy/draft/rule_sets`, { name: 'r', scopes: [[{ label: { href: lab } }]] }],
      ['post', `${o}/sec_policy/draft/rule_sets`, { name: 'r', rules: [{ providers: [{ workload: { href: wl } }], consumers: [{ actors: 'ams' }], ingress_services: [{ proto: 6, port: 1 }] }] }],
      ['post', `${o}/sec_policy/draft/rule_sets`, { name: 'r', rules: [{ providers: [{ actors: 'ams' }], consumers: [{ ip_list: { href: ipl } }], ingress_services: [{ proto: 6, port: 1 }] }] }],
      ['post', `${o}/sec_policy`, { update_description: 'x', change_subset: { ip_lists: [{ href: ipl }] } }],
    ] as const;
    for (const [m, p, b] of attempts) {
      const r = await t.api(m, p, b, { key: org2 });
      assert.ok(r.status >= 400 && r.status < 500, `${m} ${p} ${JSON.stringify(b)}: ${r.status} ${r.text}`);
      errorTokens(r);
    }
    const lists = await Promise.all(['workloads', 'sec_policy/draft/rule_sets', 'sec_policy/draft/label_groups'].map((p) => t.api('get', `${o}/${p}`, undefined, { key: org2 })));
    for (const l of lists) assert.ok(!l.text.includes('/orgs/1/'), l.text);
  });

  it("each org lists only its own objects", async () => {
    await t.api('post', `/orgs/${org2.org_id}/labels`, { key: 'role', value: 'only-in-2' }, { key: org2 });
    const one = arr(await t.api('get', '/orgs/1/labels?max_results=1000'));
    const two = arr(await t.api('get', `/orgs/${org2.org_id}/labels`, undefined, { key: org2 }));
    assert.ok(one.every((l) => String(l['href']).startsWith('/orgs/1/') && l['value'] !== 'only-in-2'));
    assert.ok(two.every((l) => String(l['href']).startsWith(`/orgs/${org2.org_id}/`)));
    assert.ok(two.some((l) => l['value'] === 'only-in-2'));
  });
});

describe('409 deleting a label in use', () => {
  it('by a workload, by a draft rule set, by an active rule set', async () => {
    const byWl = await label(t, 'loc', 'used-by-wl');
    const wl = hrefOf(await t.api('post', '/orgs/1/workloads', { hostname: 'uses', labels: [{ href: byWl }] }));
    const r1 = await t.api('delete', byWl);
    assert.equal(r1.status, 409, r1.text);
    errorTokens(r1);
    assert.equal((await t.api('put', wl, { labels: [] })).status, 204);
    assert.equal((await t.api('delete', byWl)).status, 204);

    const byDraft = await label(t, 'loc', 'used-by-draft');
    const rs = hrefOf(await t.api('post', '/orgs/1/sec_policy/draft/rule_sets', { name: 'uses-label', scopes: [[{ label: { href: byDraft } }]] }));
    const r2 = await t.api('delete', byDraft);
    assert.equal(r2.status, 409, r2.text);
    errorTokens(r2);

    const prov = await t.api('post', '/orgs/1/sec_policy', { update_description: 'activate', change_subset: { rule_sets: [{ href: rs }] } });
    assert.equal(prov.status, 201, prov.text);
    // Removed from the draft, still in the active version: still in use.
    assert.equal((await t.api('delete', rs)).status, 204);
    const r3 = await t.api('delete', byDraft);
    assert.equal(r3.status, 409, `active rule set still uses it: ${r3.text}`);
    errorTokens(r3);
    assert.equal((await t.api('get', byDraft)).status, 200);
  });
});

describe('events', () => {
  it('changes are recorded with who and what', async () => {
    const lab = await label(t, 'env', 'evented');
    const evs = arr(await t.api('get', '/orgs/1/events?event_type=label.create&max_results=50'));
    const ev = evs.find((e) => JSON.stringify(e).includes(lab));
    assert.ok(ev, `no label.create event naming ${lab}: ${JSON.stringify(evs).slice(0, 500)}`);
    assert.ok(JSON.stringify(ev).includes(t.owner.key_id), `event does not name the key: ${JSON.stringify(ev)}`);
    assert.equal((await t.api('get', String(ev['href']))).status, 200);
    const all = arr(await t.api('get', '/orgs/1/events?max_results=500'));
    const types = new Set(all.map((e) => String(e['event_type'])));
    for (const ty of ['user.create', 'api_key.create', 'workload.create', 'rule_set.create', 'sec_policy.create']) assert.ok(types.has(ty), `no ${ty} event among ${[...types].join(', ')}`);
    const two = arr(await t.api('get', `/orgs/${org2.org_id}/events?max_results=500`, undefined, { key: org2 }));
    assert.ok(!JSON.stringify(two).includes('/orgs/1/'), 'org 2 sees org 1 events');
  });
});

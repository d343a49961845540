/** The rendered workload lists are cached: every write that changes them must show at once. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { arr, hrefOf, label, startTestPce, type TestPce } from './support/api-harness.ts';

let t: TestPce;

before(async () => {
  t = await startTestPce();
});
after(async () => t.close());

async function list(): Promise<{ total: string | null; items: Record<string, unknown>[] }> {
  const r = await t.api('get', '/orgs/1/workloads?max_results=50');
  assert.equal(r.status, 200);
  return { total: r.headers.get('x-total-count'), items: arr(r) as Record<string, unknown>[] };
}

describe('workload list cache', () => {
  it('create, relabel, label rename and delete are visible to the next list', async () => {
    assert.equal((await list()).total, '0');
    const web = await label(t, 'role', 'web');
    const wl = hrefOf(await t.api('post', '/orgs/1/workloads', { hostname: 'c1', labels: [{ href: web }] }));
    let l = await list();
    assert.equal(l.total, '1');
    assert.deepEqual((l.items[0]?.['labels'] as { value: string }[]).map((x) => x.value), ['web']);

    assert.equal((await t.api('put', `/api/v2${web}`, { value: 'frontend' })).status, 204);
    l = await list();
    assert.deepEqual((l.items[0]?.['labels'] as { value: string }[]).map((x) => x.value), ['frontend']);

    assert.equal((await t.api('put', `/api/v2${wl}`, { labels: [], enforcement_mode: 'full' })).status, 204);
    l = await list();
    assert.deepEqual(l.items[0]?.['labels'], []);
    assert.equal(l.items[0]?.['enforcement_mode'], 'full');

    assert.equal((await t.api('delete', `/api/v2${wl}`)).status, 204);
    assert.equal((await list()).total, '0');
  });

  it('a change another PCE process made in the shared database shows once the cache lifetime has passed', async () => {
    const wl = hrefOf(await t.api('post', '/orgs/1/workloads', { hostname: 'other-process' }));
    const id = wl.split('/').pop() ?? '';
    assert.ok((await list()).items.some((w) => w['hostname'] === 'other-process'));
    const { store } = t.running.pce;
    await store.transaction(async (tx) => {
      const row = await tx.getWorkload(1, id);
      assert.ok(row);
      await tx.updateWorkload({ ...row, data: JSON.stringify({ ...(JSON.parse(row.data) as object), hostname: 'renamed-elsewhere' }), updated_at: new Date().toISOString() });
    });
    // This process did not see the write: the cached list holds until it expires (2 s),
    // then the next request starts a refresh that sees it.
    let seen = false;
    for (let i = 0; i < 100 && !seen; i++) {
      await new Promise((ok) => setTimeout(ok, 100));
      seen = (await list()).items.some((w) => w['hostname'] === 'renamed-elsewhere');
    }
    assert.ok(seen, 'the write made outside this process shows up');
    assert.equal((await t.api('delete', `/api/v2${wl}`)).status, 204);
  });

  it('concurrent requests of one list all get the same, correct answer', async () => {
    for (let i = 0; i < 5; i++) await t.api('post', '/orgs/1/workloads', { hostname: `burst-${i}` });
    const answers = await Promise.all(Array.from({ length: 20 }, () => list()));
    for (const a of answers) assert.equal(a.total, '5');
  });
});

describe('compressed lists', () => {
  it('a client that accepts gzip gets the same list compressed; others get it plain', async () => {
    const { request } = await import('undici');
    const auth = 'Basic ' + Buffer.from(`${t.owner.key_id}:${t.owner.secret}`).toString('base64');
    const url = `${t.url}/api/v2/orgs/1/workloads?max_results=50`;
    const gz = await request(url, { headers: { authorization: auth, 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    const { gunzipSync } = await import('node:zlib');
    const unzipped = JSON.parse(gunzipSync(Buffer.from(await gz.body.arrayBuffer())).toString('utf8')) as unknown[];
    const plain = await request(url, { headers: { authorization: auth } });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.deepEqual(unzipped, JSON.parse(await plain.body.text()));
    assert.equal(gz.headers['x-total-count'], plain.headers['x-total-count']);
  });
});

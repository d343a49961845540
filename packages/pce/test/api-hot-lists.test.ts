/**
 * The hot path (api/hot-lists.ts) answers a repeated workload list from memory. It must send
 * exactly what the full path sends, and step aside for everything the full path decides:
 * wrong secrets, deleted keys, other orgs, rate limits, bad input, async exports, writes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { basic, hrefOf, label, obj, startTestPce, type TestPce } from './support/api-harness.ts';

interface Raw {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** A request as a client sends it, with the bytes as they come (fetch would gunzip them). */
function raw(t: TestPce, path: string, headers: Record<string, string>): Promise<Raw> {
  return new Promise((ok, fail) => {
    const req = request(`${t.url}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end();
  });
}

async function hotAnswers(t: TestPce): Promise<number> {
  const text = (await t.api('get', '/metrics')).text;
  return Number(/^palisade_http_hot_answers_total (\d+)/m.exec(text)?.[1] ?? 'NaN');
}

/** What must be the same, whichever path answered (Date differs by design). */
function comparable(r: Raw): unknown {
  const { date: _date, ...headers } = r.headers;
  return { status: r.status, headers, body: r.body.toString('base64') };
}

let t: TestPce;
const LIST = '/api/v2/orgs/1/workloads?max_results=20';

before(async () => {
  t = await startTestPce();
  const web = await label(t, 'role', 'web');
  for (let i = 0; i < 5; i++) await t.api('post', '/orgs/1/workloads', { hostname: `hot-${i}`, labels: [{ href: web }] });
});
after(async () => t.close());

describe('hot path for cached lists', () => {
  it('a repeated list is answered from memory with the same status, headers and bytes, gzip and identity', async () => {
    for (const enc of [{ 'accept-encoding': 'gzip' }, {}] as Record<string, string>[]) {
      const headers = { authorization: basic(t.owner), ...enc };
      const first = await raw(t, LIST, headers); // full path: verifies the key, fills the cache
      const before = await hotAnswers(t);
      const second = await raw(t, LIST, headers);
      assert.equal(await hotAnswers(t), before + 1, 'the second request took the hot path');
      assert.deepEqual(comparable(second), comparable(first));
      const text = second.headers['content-encoding'] === 'gzip' ? gunzipSync(second.body).toString('utf8') : second.body.toString('utf8');
      assert.equal((JSON.parse(text) as unknown[]).length, 5);
      assert.equal(second.headers['x-total-count'], '5');
    }
  });

  it('a wrong secret, an unknown key or no credentials get 401 from the full path, never the cached list', async () => {
    await raw(t, LIST, { authorization: basic(t.owner) });
    const before = await hotAnswers(t);
    for (const authorization of [basic({ key_id: t.owner.key_id, secret: 'not-the-secret' }), basic({ key_id: 'nosuchkey', secret: 'x' }), 'Basic !!!', undefined]) {
      const r = await raw(t, LIST, authorization ? { authorization } : {});
      assert.equal(r.status, 401, String(authorization));
      assert.equal(r.headers['content-type'], 'application/json');
    }
    assert.equal(await hotAnswers(t), before);
  });

  it("another org's key gets 403 for org 1's list even while org 1's list is cached", async () => {
    const org2 = await t.newOrg('Org hot 2', 'hot2');
    await raw(t, LIST, { authorization: basic(t.owner) });
    await raw(t, `/api/v2/orgs/${org2.org_id}/workloads`, { authorization: basic(org2) }); // org 2's key verified and cached
    const r = await raw(t, LIST, { authorization: basic(org2) });
    assert.equal(r.status, 403);
    assert.match(r.body.toString('utf8'), /org_forbidden/);
  });

  it('bad max_results is still 406; Prefer: respond-async still starts a job', async () => {
    await raw(t, LIST, { authorization: basic(t.owner) });
    const bad = await raw(t, '/api/v2/orgs/1/workloads?max_results=-1', { authorization: basic(t.owner) });
    assert.equal(bad.status, 406);
    const job = await raw(t, LIST, { authorization: basic(t.owner), prefer: 'respond-async' });
    assert.equal(job.status, 202);
  });

  it('a write shows in the very next list, and the list after it is hot again', async () => {
    const headers = { authorization: basic(t.owner) };
    await raw(t, LIST, headers);
    const href = hrefOf(await t.api('post', '/orgs/1/workloads', { hostname: 'hot-new' }));
    const after = await raw(t, LIST, headers);
    assert.ok(after.body.toString('utf8').includes('hot-new'));
    const before = await hotAnswers(t);
    const again = await raw(t, LIST, headers);
    assert.equal(await hotAnswers(t), before + 1);
    assert.equal(again.body.toString('utf8'), after.body.toString('utf8'));
    assert.equal((await t.api('delete', `/api/v2${href}`)).status, 204);
    assert.ok(!(await raw(t, LIST, headers)).body.toString('utf8').includes('hot-new'));
  });

  it('a deleted API key is refused at once, though the list it read is still cached', async () => {
    const created = obj(await t.api('post', '/users/1/api_keys', { name: 'hot-temp' }));
    const key = { key_id: String(created['key_id']), secret: String(created['secret']) };
    const headers = { authorization: basic(key) };
    assert.equal((await raw(t, LIST, headers)).status, 200);
    assert.equal((await raw(t, LIST, headers)).status, 200);
    assert.equal((await t.api('delete', String(created['href']))).status, 204);
    assert.equal((await raw(t, LIST, headers)).status, 401);
  });
});

describe('hot path and the rate limit', () => {
  it('hot answers count against the key’s limit; past it the full path answers 429', async () => {
    const limited = await startTestPce({ rateLimitPerMinute: 4 });
    try {
      const headers = { authorization: basic(limited.owner) };
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await raw(limited, LIST, headers)).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
      assert.ok((await hotAnswers(limited)) >= 3, 'requests 2–4 were hot');
    } finally {
      await limited.close();
    }
  });
});

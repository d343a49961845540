/**
 * The console's files served by the PCE (issue 7): index.html at `/`, assets under
 * `/console/` with their content types and revalidation headers, no way out of dist, and a
 * page saying how to build the console when it is missing.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Hono } from 'hono';
import { consolePath, mountConsoleStatic } from '../src/api/console-static.ts';
import { startTestPce, type TestPce } from './support/api-harness.ts';

/** A request exactly as written on the wire (fetch would normalize `..` away). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = httpRequest({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('console static files', () => {
  let dir = '';
  let dist = '';
  let app: Hono;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-console-static-'));
    dist = join(dir, 'dist');
    await mkdir(join(dist, 'fonts'), { recursive: true });
    await writeFile(join(dist, 'index.html'), '<!doctype html><title>Palisade</title><div id="app"></div>');
    await writeFile(join(dist, 'app.js'), 'console.log(1)');
    await writeFile(join(dist, 'app.css'), 'body{}');
    await writeFile(join(dist, 'app.js.map'), '{}');
    await writeFile(join(dist, '.secret'), 'no');
    await writeFile(join(dir, 'outside.txt'), 'secret outside dist');
    await symlink(join(dir, 'outside.txt'), join(dist, 'link.txt'));
    app = new Hono();
    mountConsoleStatic(app, dist);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('/ is index.html with a strict CSP; assets have their types; ETag revalidation answers 304', async () => {
    const page = await app.request('/');
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'.*frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.match(await page.text(), /id="app"/);
    const js = await app.request('/console/app.js');
    assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(js.headers.get('cache-control'), 'no-cache');
    assert.equal((await app.request('/console/app.css')).headers.get('content-type'), 'text/css; charset=utf-8');
    assert.equal((await app.request('/console/app.js.map')).headers.get('content-type'), 'application/json; charset=utf-8');
    const etag = js.headers.get('etag') ?? '';
    assert.match(etag, /^"[0-9a-f]+-[0-9a-f]+"$/);
    const again = await app.request('/console/app.js', { headers: { 'If-None-Match': etag } });
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
  });

  it('refuses traversal, dot files, directories, encoded tricks and symlinks out of dist', async () => {
    for (const p of ['/console/..%2f..%2foutside.txt', '/console/%2e%2e/outside.txt', '/console/.secret', '/console/fonts', '/console/fonts/', '/console/..%5coutside.txt', '/console/link.txt', '/console/nope.js', '/console/a%00.js', '/console/%E0%A4%A']) {
      const r = await app.request(p);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(await r.text(), /secret outside dist/);
    }
    assert.equal(consolePath(dist, '../outside.txt'), undefined);
    assert.equal(consolePath(dist, 'fonts/../../outside.txt'), undefined);
    assert.equal(consolePath(dist, 'app.js'), join(dist, 'app.js'));
  });

  it('without a built console, / says to run npm run build:console', async () => {
    const bare = new Hono();
    mountConsoleStatic(bare, join(dir, 'missing-dist'));
    const r = await bare.request('/');
    assert.equal(r.status, 503);
    assert.equal(r.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(await r.text(), /npm run build:console/);
    assert.equal((await bare.request('/console/app.js')).status, 404);
  });

  describe('on a running PCE', () => {
    let t: TestPce;
    before(async () => void (t = await startTestPce()));
    after(() => t.close());

    it('serves / and /console/*, raw `..` on the wire does not escape, and the API is untouched', async () => {
      const root = await fetch(`${t.url}/`);
      assert.ok(root.status === 200 || root.status === 503, String(root.status));
      assert.equal(root.headers.get('content-type'), 'text/html; charset=utf-8');
      const raw = await rawGet(t.url, '/console/../../../../etc/passwd');
      assert.notEqual(raw.status, 200);
      assert.doesNotMatch(raw.body, /root:/);
      const rawEncoded = await rawGet(t.url, '/console/..%2f..%2f..%2f..%2fetc%2fpasswd');
      assert.equal(rawEncoded.status, 404);
      assert.equal((await t.api('GET', '/orgs/1/labels')).status, 200);
    });
  });
});

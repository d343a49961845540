import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { withPce, type TestPce } from './helpers.ts';
import { request as httpsRequest } from 'node:https';

let t: TestPce;
before(async () => {
  t = await withPce('auto');
});
after(async () => {
  await t.close();
});

test('the pinned fingerprint is accepted', async () => {
  const r = await t.cli('labels', 'list', '--json');
  assert.equal(r.code, 0, r.err);
});

test('a wrong fingerprint is refused before the request is sent', async () => {
  const wrong = 'AA:' + Array.from({ length: 31 }, () => 'BB').join(':');
  const r = await t.raw(['labels', 'create', 'role=pinned', '--pce', t.pce.url, '--fingerprint', wrong]);
  assert.equal(r.code, 7);
  assert.match(r.err, /not the pinned .*\[tls_fingerprint_mismatch\]/);
  const ok = await t.cli('labels', 'list');
  assert.doesNotMatch(ok.out, /pinned/, 'nothing reached the PCE');
});

test('an untrusted self-signed certificate says how to pin it; --insecure warns', async () => {
  const r = await t.raw(['labels', 'list', '--pce', t.pce.url]);
  assert.equal(r.code, 7);
  assert.match(r.err, /--fingerprint.*--insecure.*\[tls_untrusted\]/);
  const i = await t.raw(['labels', 'list', '--pce', t.pce.url, '--insecure']);
  assert.equal(i.code, 0, i.err);
  assert.match(i.err, /warning: --insecure/);
});

test('GET /api/v2/health names the fingerprint agents pin (the console shows it in activation commands)', async () => {
  const body = await new Promise<string>((ok, fail) => {
    const req = httpsRequest(`${t.pce.url}/api/v2/health`, { rejectUnauthorized: false }, (res) => {
      let s = '';
      res.on('data', (d: Buffer) => (s += d.toString()));
      res.on('end', () => ok(s));
    });
    req.on('error', fail);
    req.end();
  });
  const [health] = JSON.parse(body) as [{ tls_fingerprint_sha256: string | null }];
  assert.equal(health.tls_fingerprint_sha256, t.pce.fingerprint);
  assert.match(health.tls_fingerprint_sha256 ?? '', /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
});

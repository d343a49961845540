import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withPce, type TestPce } from './helpers.ts';

let t: TestPce;
before(async () => {
  t = await withPce('off');
});
after(async () => {
  await t.close();
});

async function signIn(username: string, password: string): Promise<number> {
  const r = await fetch(`${t.pce.url}/api/v2/login`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Palisade-Console': '1' }, body: JSON.stringify({ username, password }) });
  return r.status;
}

test('pce start told where the owner console password is; it signs in', async () => {
  const pw = t.pce.consolePassword;
  assert.ok(pw);
  assert.equal(await signIn('owner', pw.password), 200);
});

test('users create with a password file, list, set-password by name (file never on the command line)', async () => {
  await writeFile(join(t.dir, 'pw1'), 'first console pw 1\n', { mode: 0o600 });
  const c = await t.cli('users', 'create', 'ops', '--role', 'admin', '--full-name', 'Ops Person', '--password-file', 'pw1');
  assert.equal(c.code, 0, c.err);
  assert.match(c.out, /created user ops \(admin\) \/users\/\d+/);
  const l = await t.cli('users', 'list');
  assert.match(l.out, /ops\s+admin\s+Ops Person/);
  assert.equal(await signIn('ops', 'first console pw 1'), 200);
  await writeFile(join(t.dir, 'pw2'), 'second console pw 2\n', { mode: 0o600 });
  const s = await t.cli('users', 'set-password', 'ops', '--password-file', 'pw2');
  assert.equal(s.code, 0, s.err);
  assert.equal(await signIn('ops', 'first console pw 1'), 401);
  assert.equal(await signIn('ops', 'second console pw 2'), 200);
  const missing = await t.cli('users', 'set-password', 'nobody', '--password-file', 'pw2');
  assert.equal(missing.code, 4, missing.err);
  const noFile = await t.cli('users', 'set-password', 'ops');
  assert.notEqual(noFile.code, 0);
  assert.match(noFile.err, /--password-file/);
});

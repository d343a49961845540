/**
 * Console sign-in over the API (issue 7), against a real PCE: the owner's first-start console
 * password, the cookie's attributes, the console header as the CSRF guard, roles applied to
 * the session, uniform failures and the attempt limit, sign-out and password changes.
 */
import assert from 'node:assert/strict';
import { stat, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { errorTokens, obj, startTestPce, type ApiResponse, type TestPce } from './support/api-harness.ts';

const CONSOLE = { 'X-Palisade-Console': '1' };

describe('console sessions over the API', () => {
  let t: TestPce;
  let ownerPassword = '';

  before(async () => {
    t = await startTestPce();
    ownerPassword = t.running.consolePassword?.password ?? '';
  });
  after(() => t.close());

  const login = (username: string, password: string, headers: Record<string, string> = CONSOLE): Promise<ApiResponse> =>
    t.api('POST', '/api/v2/login', { username, password }, { key: null, headers });
  const cookieOf = (r: ApiResponse): string => {
    const set = r.headers.get('set-cookie') ?? '';
    return set.split(';')[0] ?? '';
  };
  const asSession = (method: string, path: string, cookie: string, body?: unknown, headers: Record<string, string> = CONSOLE): Promise<ApiResponse> =>
    t.api(method, path, body, { key: null, headers: { ...headers, Cookie: cookie } });

  it('the first start gives the owner a console password, in a 0600 file next to the owner key', async () => {
    assert.match(ownerPassword, /^[0-9a-f]{32}$/);
    const path = t.running.consolePasswordPath;
    assert.equal(dirname(path), dirname(t.running.adminKeyPath));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { username: 'owner', password: ownerPassword });
  });

  it('owner signs in: who am I, an HttpOnly Secure SameSite=Strict cookie, and the API with the console header', async () => {
    const r = await login('owner', ownerPassword);
    assert.equal(r.status, 200, r.text);
    const me = obj(r);
    assert.equal(me['username'], 'owner');
    assert.equal(me['role'], 'owner');
    assert.deepEqual(me['org'], { href: '/orgs/1' });
    const set = r.headers.get('set-cookie') ?? '';
    assert.match(set, /^palisade_session=[0-9a-f]{64}; /);
    for (const attr of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/']) assert.ok(set.split('; ').includes(attr), `${attr} in ${set}`);
    const cookie = cookieOf(r);

    const who = await asSession('GET', '/api/v2/login', cookie);
    assert.equal(who.status, 200);
    assert.equal(obj(who)['username'], 'owner');
    assert.equal((await asSession('GET', '/orgs/1/labels', cookie)).status, 200);
    const created = await asSession('POST', '/orgs/1/labels', cookie, { key: 'app', value: 'console-made' });
    assert.equal(created.status, 201, created.text);
    // The event names the console user.
    const events = await t.api('GET', '/orgs/1/events?event_type=label.create');
    assert.match(events.text, /console:owner/);
  });

  it('the cookie alone (no console header) is not accepted: CSRF defence; login needs the header too', async () => {
    const cookie = cookieOf(await login('owner', ownerPassword));
    const r = await asSession('GET', '/orgs/1/labels', cookie, undefined, {});
    assert.equal(r.status, 401);
    assert.equal(r.headers.get('www-authenticate'), 'Basic realm="palisade"');
    const noHeader = await login('owner', ownerPassword, {});
    assert.equal(noHeader.status, 403);
    assert.deepEqual(errorTokens(noHeader), ['console_header_required']);
  });

  it('wrong password and unknown user answer the same 401 without a Basic challenge; the limit then answers 429', async () => {
    const wrong = await login('owner', 'not the password');
    const unknown = await login('nobody-here', 'not the password');
    assert.equal(wrong.status, 401);
    assert.equal(unknown.status, 401);
    assert.equal(wrong.text, unknown.text);
    assert.equal(wrong.headers.get('www-authenticate'), null);
    assert.deepEqual(errorTokens(wrong), ['invalid_credentials']);
    for (let i = 0; i < 5; i++) assert.equal((await login('victim', 'guess')).status, 401);
    const limited = await login('victim', 'guess');
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    // Bad input is a 406 at the field, not a 5xx.
    const bad = await t.api('POST', '/api/v2/login', { username: '' }, { key: null, headers: CONSOLE });
    assert.equal(bad.status, 406);
    assert.match(bad.text, /body\.username/);
    // An API 401 for a console request carries no Basic challenge either (no browser dialog).
    const anon = await t.api('GET', '/orgs/1/labels', undefined, { key: null, headers: CONSOLE });
    assert.equal(anon.status, 401);
    assert.equal(anon.headers.get('www-authenticate'), null);
  });

  it('a read-only user signs in with its role: reads pass, writes are 403 as with a read-only key', async () => {
    const u = await t.api('POST', '/orgs/1/users', { username: 'reader', password: 'reader password 1', role: 'read_only' });
    assert.equal(u.status, 201, u.text);
    const r = await login('reader', 'reader password 1');
    assert.equal(r.status, 200, r.text);
    assert.equal(obj(r)['role'], 'read_only');
    const cookie = cookieOf(r);
    assert.equal((await asSession('GET', '/orgs/1/workloads', cookie)).status, 200);
    const w = await asSession('POST', '/orgs/1/labels', cookie, { key: 'app', value: 'nope' });
    assert.equal(w.status, 403);
    assert.deepEqual(errorTokens(w), ['insufficient_role']);
  });

  it('sign out ends the session (who am I and the API answer 401) and clears the cookie', async () => {
    const cookie = cookieOf(await login('owner', ownerPassword));
    const out = await asSession('DELETE', '/api/v2/login', cookie);
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /^palisade_session=; .*Max-Age=0/);
    assert.equal((await asSession('GET', '/api/v2/login', cookie)).status, 401);
    assert.equal((await asSession('GET', '/orgs/1/labels', cookie)).status, 401);
  });

  it('set-password: an admin sets a user password (ending its sessions); self via console needs the current one', async () => {
    const u = obj(await t.api('POST', '/orgs/1/users', { username: 'pw-user', password: 'first password 1', role: 'ruleset_manager' }));
    const href = String(u['href']);
    const old = cookieOf(await login('pw-user', 'first password 1'));
    const set = await t.api('PUT', `${href}/password`, { password: 'second password 2' });
    assert.equal(set.status, 204, set.text);
    assert.equal((await asSession('GET', '/api/v2/login', old)).status, 401);
    assert.equal((await login('pw-user', 'first password 1')).status, 401);
    const fresh = cookieOf(await login('pw-user', 'second password 2'));
    // Self through a console session: the current password is required.
    const noCurrent = await asSession('PUT', `${href}/password`, fresh, { password: 'third password 3' });
    assert.equal(noCurrent.status, 406);
    assert.match(noCurrent.text, /body\.current_password: the current password is wrong/);
    // The session survives a wrong current password (a 401 would sign the console out).
    assert.equal((await asSession('GET', '/api/v2/login', fresh)).status, 200);
    const withCurrent = await asSession('PUT', `${href}/password`, fresh, { password: 'third password 3', current_password: 'second password 2' });
    assert.equal(withCurrent.status, 204, withCurrent.text);
    // A ruleset_manager cannot set another user's password; short passwords are refused at the field.
    const again = cookieOf(await login('pw-user', 'third password 3'));
    assert.equal((await asSession('PUT', '/users/1/password', again, { password: 'owner takeover 1' })).status, 403);
    const short = await t.api('PUT', `${href}/password`, { password: 'short' });
    assert.equal(short.status, 406);
    assert.match(short.text, /body\.password/);
  });

  it('Basic auth keeps working with the console header present', async () => {
    const r = await t.api('GET', '/orgs/1/labels', undefined, { headers: CONSOLE });
    assert.equal(r.status, 200);
  });
});

/**
 * Console sign-in in a real browser (issue 7): a wrong password shows the error, the owner
 * signs in and sees the navigation and its role, a read-only user sees no edit controls on
 * the inventory pages, sign-out returns to the sign-in page and the session is gone.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, startConsolePce, type ConsoleBrowser, type ConsolePce } from '../support/console-harness.ts';

describe('console sign-in (Chromium)', () => {
  let pce: ConsolePce;
  let b: ConsoleBrowser;
  let workloadId = '';

  before(async () => {
    pce = await startConsolePce();
    await pce.createUser('reader', 'reader password 1', 'read_only');
    await pce.seed('POST', `${pce.orgHref}/labels`, { key: 'app', value: 'shop' });
    workloadId = (await pce.seed<{ href: string }>('POST', `${pce.orgHref}/workloads`, { name: 'web-1', hostname: 'web-1', interfaces: [{ name: 'eth0', address: '10.1.0.1' }] })).href.split('/').pop() ?? '';
    b = await launchBrowser();
  });
  after(async () => {
    await b.close();
    await pce.close();
  });

  it('a wrong password shows the error at the form and keeps the sign-in page', async () => {
    const page = await b.newPage();
    await page.goto(`${pce.url}/`);
    await page.getByTestId('sign-in-username').fill('owner');
    await page.getByTestId('sign-in-password').fill('not the password');
    await page.getByTestId('sign-in-submit').click();
    const err = page.getByTestId('error-list');
    await err.waitFor();
    assert.match(await err.innerText(), /user name or password is wrong/);
    assert.equal(await page.getByTestId('user-menu').count(), 0);
    // The password field is emptied for the next try.
    assert.equal(await page.getByTestId('sign-in-password').inputValue(), '');
    await b.screenshot(page, 'sign-in-error');
  });

  it('the owner signs in: navigation grouped by section, name and role in the user menu, the session cookie is HttpOnly', async () => {
    const page = await b.newPage();
    await b.signIn(page, pce.url, 'owner', pce.ownerPassword);
    assert.equal(await page.getByTestId('user-role').innerText(), 'Owner');
    for (const group of ['Policy', 'Inventory', 'Visibility', 'Admin']) assert.equal(await page.locator('.nav-group-title', { hasText: group }).count(), 1, group);
    assert.equal(await page.getByTestId('nav-workloads').getAttribute('aria-current'), 'page');
    const cookies = await b.context.cookies(pce.url);
    const c = cookies.find((x) => x.name === 'palisade_session');
    assert.ok(c, 'session cookie set');
    assert.equal(c.httpOnly, true);
    assert.equal(c.sameSite, 'Strict');
    assert.equal(await page.evaluate<boolean>('document.cookie.includes("palisade_session")'), false);
    // A reload keeps the session.
    await page.reload();
    await page.getByTestId('user-menu').waitFor();
    await page.getByTestId('nav-labels').click();
    await page.waitForURL(/#\/labels$/);
    await page.getByTestId('create-label').waitFor();
    await b.screenshot(page, 'owner-labels');
    await b.signOut(page);
  });

  it('a read-only user signs in and sees no edit controls on the inventory pages', async () => {
    const page = await b.newPage();
    await b.signIn(page, pce.url, 'reader', 'reader password 1');
    assert.equal(await page.getByTestId('user-role').innerText(), 'Read only');
    const checks: [string, string[]][] = [
      ['/workloads', ['bulk-actions', 'select-all']],
      ['/labels', ['create-label', 'edit-label', 'delete-label']],
      ['/label-groups', ['create-label-group']],
      ['/ip-lists', ['create-ip-list']],
      ['/services', ['create-service']],
    ];
    for (const [path, testids] of checks) {
      await page.goto(`${pce.url}/#${path}`);
      await page.locator('.page-header h1').waitFor();
      await page.getByTestId('loading').waitFor({ state: 'detached' });
      for (const id of testids) assert.equal(await page.getByTestId(id).count(), 0, `${id} hidden on ${path}`);
    }
    // The workload page shows the settings as text, without the label editor.
    await page.goto(`${pce.url}/#/workloads/${workloadId}`);
    await page.getByTestId('workload-mode-text').waitFor();
    for (const id of ['workload-mode', 'workload-visibility', 'edit-workload-labels']) assert.equal(await page.getByTestId(id).count(), 0, `${id} hidden on the workload page`);
    await page.goto(`${pce.url}/#/labels`);
    await page.getByTestId('labels-table').locator('td', { hasText: 'shop' }).first().waitFor();
    await b.screenshot(page, 'read-only-labels');
    await b.signOut(page);
  });

  it('sign out: back to the sign-in page, and the old cookie no longer works', async () => {
    const page = await b.newPage();
    await b.signIn(page, pce.url, 'owner', pce.ownerPassword);
    const before = (await b.context.cookies(pce.url)).find((x) => x.name === 'palisade_session');
    assert.ok(before);
    await b.signOut(page);
    assert.equal((await b.context.cookies(pce.url)).find((x) => x.name === 'palisade_session'), undefined);
    const r = await fetch(`${pce.url}/api/v2/login`, { headers: { 'X-Palisade-Console': '1', Cookie: `palisade_session=${before.value}` } });
    assert.equal(r.status, 401);
    await page.reload();
    await page.getByTestId('sign-in-form').waitFor();
    assert.deepEqual(b.errors, []);
  });
});

/**
 * Users and API keys in a real browser: the owner creates a user through the Users page,
 * gives them an API key whose secret is shown once and really authenticates against the API,
 * deletes it (the API refuses it at once), sets the user's console password (they sign in with
 * it); a read-only user sees only their own account and can create a key for themselves.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, startConsolePce, type ConsoleBrowser, type ConsolePce } from '../support/console-harness.ts';

async function basicStatus(pce: ConsolePce, keyId: string, secret: string): Promise<number> {
  const r = await fetch(`${pce.url}/api/v2${pce.orgHref}/labels`, { headers: { Authorization: `Basic ${Buffer.from(`${keyId}:${secret}`).toString('base64')}` } });
  await r.arrayBuffer();
  return r.status;
}

describe('console users and API keys (Chromium)', () => {
  let pce: ConsolePce;
  let b: ConsoleBrowser;

  before(async () => {
    pce = await startConsolePce();
    await pce.createUser('reader', 'reader password 1', 'read_only');
    b = await launchBrowser();
  });
  after(async () => {
    await b.close();
    await pce.close();
  });

  it('the owner creates a user, an API key for them that works until it is deleted, and sets their password', async () => {
    const page = await b.newPage();
    await b.signIn(page, pce.url, 'owner', pce.ownerPassword);
    await page.getByTestId('nav-users').click();
    await page.getByTestId('users-table').locator('td', { hasText: 'reader' }).first().waitFor();

    // A bad user name is reported at the field and creates nothing.
    await page.getByTestId('create-user').click();
    await page.getByTestId('user-username').fill('not valid!');
    await page.getByTestId('user-save').click();
    await page.getByTestId('user-username-error').waitFor();
    await page.getByTestId('user-username').fill('dana');
    await page.getByTestId('user-full-name').fill('Dana Ops');
    await page.getByTestId('new-user-role').selectOption('ruleset_manager');
    await page.getByTestId('user-save').click();
    await page.getByTestId('user-form').waitFor({ state: 'detached' });
    const users = (await pce.seed<{ username: string; role: string; href: string }[]>('GET', `${pce.orgHref}/users`)).filter((u) => u.username === 'dana' || u.username === 'not valid!');
    assert.deepEqual(users.map((u) => [u.username, u.role]), [['dana', 'ruleset_manager']]);
    const dana = users[0]?.href ?? '';

    await page.getByTestId('users-table').getByRole('link', { name: 'dana', exact: true }).click();
    await page.waitForURL(new RegExp(`#${dana}$`));
    await page.getByTestId('create-api-key').click();
    // Roles above the user's are not offered.
    const offered = await page.getByTestId('api-key-role').locator('option').allInnerTexts();
    assert.deepEqual(offered, ['Read only', 'Ruleset manager']);
    await page.getByTestId('api-key-name').fill('ci-pipeline');
    await page.getByTestId('api-key-save').click();
    const keyId = (await page.getByTestId('new-api-key-id').innerText()).trim();
    const secret = (await page.getByTestId('new-api-key-secret').innerText()).trim();
    assert.match(secret, /^[0-9a-f]{32,}$/);
    assert.equal(await basicStatus(pce, keyId, secret), 200, 'the shown key id and secret authenticate');
    await page.getByTestId('api-keys-table').locator('td', { hasText: 'ci-pipeline' }).first().waitFor();
    await b.screenshot(page, 'user-new-api-key');

    await page.getByTestId('delete-api-key').click();
    await page.getByRole('button', { name: 'Delete ci-pipeline' }).click();
    await page.getByTestId('api-keys-table').locator('td', { hasText: 'ci-pipeline' }).first().waitFor({ state: 'detached' });
    assert.equal(await basicStatus(pce, keyId, secret), 401, 'a deleted key is refused');

    // Too short a password: the field says so; then a good one works for signing in.
    await page.getByTestId('password-new').fill('short');
    await page.getByTestId('password-save').click();
    await page.getByTestId('password-new-error').waitFor();
    await page.getByTestId('password-new').fill('dana console password');
    await page.getByTestId('password-save').click();
    await page.locator('.toast', { hasText: 'Password of dana set' }).waitFor();
    assert.equal(await page.getByTestId('password-new-error').count(), 0);
    assert.equal(await page.getByTestId('password-new').inputValue(), '');
    const login = await fetch(`${pce.url}/api/v2/login`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Palisade-Console': '1' },
      body: JSON.stringify({ username: 'dana', password: 'dana console password' }),
    });
    assert.equal(login.status, 200);
    assert.deepEqual(b.errors, []);
    await b.signOut(page);
  });

  it('a read-only user sees only their own account, creates a key for themselves, and no user administration', async () => {
    const page = await b.newPage();
    await b.signIn(page, pce.url, 'reader', 'reader password 1');
    await page.getByTestId('nav-users').click();
    const table = page.getByTestId('users-table');
    await table.locator('td', { hasText: 'reader' }).first().waitFor();
    assert.equal(await table.locator('tbody tr').count(), 1);
    assert.equal(await page.getByTestId('create-user').count(), 0);
    await table.getByRole('link', { name: 'reader', exact: true }).click();
    await page.getByTestId('create-api-key').click();
    assert.deepEqual(await page.getByTestId('api-key-role').locator('option').allInnerTexts(), ['Read only']);
    await page.getByTestId('api-key-name').fill('my-script');
    await page.getByTestId('api-key-save').click();
    const keyId = (await page.getByTestId('new-api-key-id').innerText()).trim();
    const secret = (await page.getByTestId('new-api-key-secret').innerText()).trim();
    assert.equal(await basicStatus(pce, keyId, secret), 200);
    // Changing one's own password through the console asks for the current one.
    await page.getByTestId('password-current').waitFor();
    await page.getByTestId('password-current').fill('wrong current password');
    await page.getByTestId('password-new').fill('reader password 2');
    await page.getByTestId('password-save').click();
    await page.getByTestId('password-current-error').waitFor();
    assert.match(await page.getByTestId('password-current-error').innerText(), /current password is wrong/);
    assert.equal(await page.getByTestId('user-menu').count(), 1, 'still signed in');
    await b.screenshot(page, 'user-read-only-self');
    await b.signOut(page);
  });
});

/**
 * The console's main journey in a real browser (issue 7): sign in, create labels, a rule set
 * with a scope and a SecureConnect rule, see the warning at the rule for the idle workload it
 * covers, provision with a description, see the rule set active and the version listed.
 * Then: a SecureConnect rule naming an IP list is refused (406) and the error shows at the
 * rule's field; a read-only user sees no edit controls on rule sets and provision.
 * Screenshots of every step go to test-results/console/journey-*.png.
 *
 * The idle workload is a real pairing through the agent API (pairing profile in idle mode,
 * activation code, POST /api/v2/agent/activate), as a VEN would do it: an idle VEN cannot do
 * SecureConnect, so a rule pairing it with a capable (full) workload carries a warning.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, startConsolePce, type ConsoleBrowser, type ConsolePce } from '../support/console-harness.ts';

const READER = { username: 'reader', password: 'reader password 1' };

async function pairHost(pce: ConsolePce, profileHref: string, hostname: string, address: string): Promise<void> {
  const { activation_code } = await pce.seed<{ activation_code: string }>('POST', `${profileHref}/pairing_key`, {});
  const res = await fetch(`${pce.url}/api/v2/agent/activate`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ activation_code, hostname, os_type: 'linux', interfaces: [{ name: 'eth0', address }] }),
  });
  assert.equal(res.status, 201, await res.text());
}

async function labelHref(pce: ConsolePce, key: string, value: string): Promise<string> {
  const found = await pce.seed<{ href: string; key: string; value: string }[]>('GET', `${pce.orgHref}/labels?key=${key}&value=${encodeURIComponent(value)}`);
  const l = found.find((x) => x.key === key && x.value === value);
  assert.ok(l, `label ${key}=${value} exists`);
  return l.href;
}

/** Picks an actor in the rule form: kind, then the item by its text, then Add. */
async function pickActor(page: Page, side: 'consumers' | 'providers', kind: string, text?: string): Promise<void> {
  await page.getByTestId(`${side}-kind`).selectOption(kind);
  if (text !== undefined) await page.getByTestId(`${side}-item`).selectOption({ label: text });
  await page.getByTestId(`${side}-add`).click();
}

describe('console main journey (Chromium)', () => {
  let pce: ConsolePce;
  let b: ConsoleBrowser;
  let ruleSetPath = '';

  before(async () => {
    pce = await startConsolePce();
    await pce.createUser(READER.username, READER.password, 'read_only');
    b = await launchBrowser();
  });
  after(async () => {
    await b?.close();
    await pce?.close();
  });

  it('sign in, labels, rule set with a SecureConnect rule (warning at the rule for the idle peer), provision, active, versions', async () => {
    const page = await b.newPage();
    await b.signIn(page, pce.url, 'owner', pce.ownerPassword, '/rule-sets');
    await page.getByTestId('rule-sets-page').waitFor();
    await page.getByTestId('empty-state').waitFor();
    await b.screenshot(page, 'journey-01-signed-in-no-rule-sets');

    // Labels, through the labels page.
    await createLabels(page, pce, b);
    const web = await labelHref(pce, 'role', 'web');
    const db = await labelHref(pce, 'role', 'db');
    const shop = await labelHref(pce, 'app', 'shop');

    // Two hosts pair: web-1 in full enforcement (SecureConnect capable), db-1 idle (not).
    const full = await pce.seed<{ href: string }>('POST', `${pce.orgHref}/pairing_profiles`, { name: 'web', labels: [{ href: web }, { href: shop }], enforcement_mode: 'full' });
    const idle = await pce.seed<{ href: string }>('POST', `${pce.orgHref}/pairing_profiles`, { name: 'db', labels: [{ href: db }, { href: shop }], enforcement_mode: 'idle' });
    await pairHost(pce, full.href, 'web-1', '10.20.0.1');
    await pairHost(pce, idle.href, 'db-1', '10.20.0.2');

    // A rule set scoped to app=shop.
    await page.goto(`${pce.url}/#/rule-sets`);
    await page.getByTestId('new-rule-set').click();
    await page.getByTestId('rule-set-name').fill('shop');
    await page.getByTestId('scope-0-labels').getByTestId('label-picker-app').selectOption({ label: 'shop' });
    await b.screenshot(page, 'journey-03-new-rule-set');
    await page.getByTestId('create-rule-set-submit').click();
    await page.getByTestId('rule-set-page').waitFor();
    await page.getByTestId('add-rule').waitFor();
    ruleSetPath = new URL(page.url()).hash.slice(1);
    assert.match(ruleSetPath, /^\/rule-sets\/\d+$/);
    assert.match(await page.getByTestId('scopes').innerText(), /app\s*shop/);
    assert.equal(await page.getByTestId('rule-set-state').getAttribute('data-state'), 'new');

    // A SecureConnect rule: role=web → role=db on 5432/tcp.
    await page.getByTestId('add-rule').click();
    await pickActor(page, 'consumers', 'label', 'role=web');
    await pickActor(page, 'providers', 'label', 'role=db');
    await page.getByTestId('services-port').fill('5432/tcp');
    await page.getByTestId('services-add-port').click();
    await page.getByTestId('rule-sec-connect').check();
    await b.screenshot(page, 'journey-04-secure-connect-rule-form');
    await page.getByTestId('rule-save').click();
    await page.getByTestId('rule-form').waitFor({ state: 'detached' });

    const row = page.locator('[data-testid^="rule-"][data-rule-href]').first();
    await row.waitFor();
    const ruleNo = (await row.getAttribute('data-testid'))?.replace('rule-', '') ?? '';
    assert.equal(await row.getByTestId('sc-on').count(), 1, 'the SecureConnect column shows the badge');
    assert.match(await row.innerText(), /role=web[\s\S]*role=db[\s\S]*TCP 5432/);
    // The warning is at the rule, in the row under it, naming the pair and why.
    const notes = page.getByTestId(`rule-${ruleNo}-notes`);
    await notes.waitFor();
    assert.match(await notes.innerText(), /web-1 ↔ db-1 \(idle\)/);
    assert.equal(await notes.locator('[data-token="sec_connect_incapable_peers"]').count(), 1);
    await b.screenshot(page, 'journey-05-rule-with-idle-warning');

    // Provision with a description.
    await page.goto(`${pce.url}/#/provision`);
    const card = page.locator('[data-testid^="pending-rule_sets-"]').first();
    await card.getByTestId('diff-table').waitFor();
    assert.match(await card.innerText(), /Rule set shop[\s\S]*created/);
    assert.match(await card.getByTestId('diff-table').innerText(), /sec_connect\s+\+?\s*true/);
    // Before provisioning, the pending rule set already says what the rule will warn about.
    const pendingWarning = card.locator('[data-testid$="-warnings"]');
    await pendingWarning.waitFor();
    assert.match(await pendingWarning.innerText(), new RegExp(`rule ${ruleNo}[\\s\\S]*web-1 ↔ db-1 \\(idle\\)`));
    await page.getByTestId('provision-description').fill('shop: web to db over SecureConnect');
    await b.screenshot(page, 'journey-06-pending-changes');
    await page.getByTestId('provision-submit').click();
    const result = page.getByTestId('provision-result');
    await result.waitFor();
    assert.match(await result.innerText(), /Version 1 is active/);
    // The provision's warning names the pair and links to the rule set it is about.
    assert.match(await result.getByTestId('provision-warnings').innerText(), /web-1 ↔ db-1 \(idle\)/);
    assert.match((await result.getByTestId('provision-warning-link').first().getAttribute('href')) ?? '', /#\/rule-sets\/\d+$/);
    await page.getByTestId('empty-state').waitFor();
    await b.screenshot(page, 'journey-07-provisioned');

    // The rule set is active now.
    await page.goto(`${pce.url}/#/rule-sets`);
    const state = page.getByTestId('rule-sets-table').getByTestId('rule-set-state');
    await state.waitFor();
    assert.equal(await state.getAttribute('data-state'), 'active');
    assert.equal(await state.innerText(), 'Active');
    await b.screenshot(page, 'journey-08-rule-set-active');

    // The version is listed with its description, and its changes are shown.
    await page.goto(`${pce.url}/#/versions`);
    const versions = page.getByTestId('versions-table');
    await versions.waitFor();
    assert.match(await versions.innerText(), /1\s+shop: web to db over SecureConnect/);
    await page.getByTestId('version-diff').waitFor();
    assert.match(await page.getByTestId('version-diff').innerText(), /Version 0 \(empty\) → 1: 1 object\(s\) changed[\s\S]*Rule set shop/);
    await b.screenshot(page, 'journey-09-versions');

    // After provisioning the warning is still at the rule (the peer is still idle).
    await page.goto(`${pce.url}/#${ruleSetPath}`);
    await page.getByTestId(`rule-${ruleNo}-notes`).waitFor();
    assert.equal(await page.getByTestId('rule-set-state').getAttribute('data-state'), 'active');
    await b.screenshot(page, 'journey-10-active-rule-set-warning');
    assert.deepEqual(b.errors, []);
  });

  it('a SecureConnect rule naming an IP list is refused (406): the error shows at the rule, in its providers', async () => {
    const page = await b.newPage();
    await page.goto(`${pce.url}/#${ruleSetPath}`);
    await page.getByTestId('add-rule').click();
    await pickActor(page, 'consumers', 'label', 'role=web');
    await pickActor(page, 'providers', 'ip_list', 'Any (0.0.0.0/0 and ::/0)');
    await page.getByTestId('services-port').fill('443/tcp');
    await page.getByTestId('services-add-port').click();
    await page.getByTestId('rule-sec-connect').check();
    const refused = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes('/sec_rules'));
    await page.getByTestId('rule-save').click();
    assert.equal((await refused).status(), 406);
    const err = page.getByTestId('providers-errors');
    await err.waitFor();
    assert.equal(await err.locator('[data-token="sec_connect_ip_list_not_allowed"]').count(), 1);
    assert.match(await err.innerText(), /providers\[0\][\s\S]*IP list "Any \(0\.0\.0\.0\/0 and ::\/0\)" is not a workload/);
    // Nothing was written: the form is still open and the rule set still has one rule.
    assert.equal(await page.getByTestId('rule-form').count(), 1);
    await b.screenshot(page, 'journey-11-ip-list-refused-at-rule');
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('[data-rule-href]').count(), 1);
    assert.deepEqual(b.errors, []);
  });

  it('a read-only user sees rule sets, rules and pending changes but no edit, provision or revert controls', async () => {
    // A pending change for the provision page to show.
    const rs = await pce.seed<{ href: string }[]>('GET', `${pce.orgHref}/sec_policy/draft/rule_sets`);
    await pce.seed('PUT', rs[0]?.href ?? '', { description: 'changed after version 1' });
    const page = await b.newPage();
    // The owner is still signed in (one browser profile): sign out first.
    await page.goto(`${pce.url}/#/rule-sets`);
    await page.getByTestId('user-menu').waitFor();
    await b.signOut(page);
    await b.signIn(page, pce.url, READER.username, READER.password, '/rule-sets');
    await page.getByTestId('rule-sets-table').waitFor();
    assert.equal(await page.getByTestId('new-rule-set').count(), 0);
    await b.screenshot(page, 'journey-12-read-only-rule-sets');

    await page.goto(`${pce.url}/#${ruleSetPath}`);
    await page.getByTestId('rules-table').waitFor();
    for (const id of ['add-rule', 'add-deny-rule', 'edit-rule-set', 'delete-rule-set']) assert.equal(await page.getByTestId(id).count(), 0, id);
    assert.equal(await page.locator('[data-testid^="edit-rule-"], [data-testid^="delete-rule-"]').count(), 0);
    assert.equal(await page.locator('[data-rule-href]').first().getByTestId('sc-on').count(), 1);
    await b.screenshot(page, 'journey-13-read-only-rule-set');

    await page.goto(`${pce.url}/#/provision`);
    await page.getByTestId('pending-list').waitFor();
    await page.getByTestId('provision-read-only').waitFor();
    for (const id of ['provision-form', 'provision-submit', 'revert', 'pending-select-all']) assert.equal(await page.getByTestId(id).count(), 0, id);
    assert.equal(await page.locator('[data-testid^="pending-select-"]').count(), 0);
    assert.match(await page.getByTestId('pending-list').innerText(), /description[\s\S]*changed after version 1/);
    await b.screenshot(page, 'journey-14-read-only-provision');
    assert.deepEqual(b.errors, []);
  });
});

/** Labels through the console's labels page: create, each closing the form and listed. */
async function createLabels(page: Page, pce: ConsolePce, b: ConsoleBrowser): Promise<void> {
  await page.goto(`${pce.url}/#/labels`);
  for (const [key, value] of [['role', 'web'], ['role', 'db'], ['app', 'shop']] as const) {
    await page.getByTestId('create-label').click();
    await page.getByTestId('label-key').selectOption(key);
    await page.getByTestId('label-value').fill(value);
    await page.getByTestId('label-save').click();
    await page.getByTestId('label-form').waitFor({ state: 'detached' });
    await page.getByTestId('labels-table').locator('td', { hasText: value }).first().waitFor();
  }
  await b.screenshot(page, 'journey-02-labels');
}

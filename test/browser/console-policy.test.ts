/**
 * The console's policy pages beyond the main journey, in a real browser (issue 7): pairing
 * profile → activation code → the commands to copy (and the code really pairs a host);
 * provisioning a selection, reverting the rest, comparing two versions; deny rules and
 * editing a rule's SecureConnect; events filtered by type.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launchBrowser, startConsolePce, type ConsoleBrowser, type ConsolePce } from '../support/console-harness.ts';

describe('console policy pages (Chromium)', () => {
  let pce: ConsolePce;
  let b: ConsoleBrowser;
  const D = (): string => `${pce.orgHref}/sec_policy/draft`;
  const labels: Record<string, string> = {};

  before(async () => {
    pce = await startConsolePce();
    for (const [k, v] of [['role', 'web'], ['role', 'db'], ['app', 'crm']] as const) labels[`${k}=${v}`] = (await pce.seed<{ href: string }>('POST', `${pce.orgHref}/labels`, { key: k, value: v })).href;
    b = await launchBrowser();
    await b.signIn(await b.newPage(), pce.url, 'owner', pce.ownerPassword, '/rule-sets');
  });
  after(async () => {
    await b?.close();
    await pce?.close();
  });

  it('pairing profile: create, generate an activation code, the exact commands to copy; the code pairs a host', async () => {
    const page = await b.newPage();
    await page.goto(`${pce.url}/#/pairing-profiles`);
    await page.getByTestId('empty-state').waitFor();
    await page.getByTestId('new-profile').click();
    await page.getByTestId('profile-name').fill('crm web');
    await page.getByTestId('create-profile').getByTestId('label-picker-role').selectOption({ label: 'web' });
    await page.getByTestId('create-profile').getByTestId('label-picker-app').selectOption({ label: 'crm' });
    await page.getByTestId('profile-mode').selectOption('full');
    await page.getByTestId('create-profile-submit').click();
    const table = page.getByTestId('profiles-table');
    await table.waitFor();
    assert.match(await table.innerText(), /crm web[\s\S]*role\s*web[\s\S]*Full/);

    await page.getByTestId('generate-code-crm web').click();
    const code = (await page.getByTestId('activation-code').innerText()).trim();
    assert.match(code, /^[0-9a-f]{40}$/);
    const activate = await page.getByTestId('cmd-activate').innerText();
    // Plain-HTTP PCE in this test: no fingerprint to pin.
    assert.equal(activate, `sudo palisade ven activate --pce ${pce.url} --activation-code ${code}`);
    assert.match(await page.getByTestId('cmd-install').innerText(), /npm ci && sudo npm run build:ven/);
    assert.equal(await page.getByTestId('cmd-fingerprint').count(), 0);
    // An https PCE needs the fingerprint: typed in, it goes into the command.
    await page.getByTestId('activation-pce-url').fill('https://pce.example:8443');
    assert.match(await page.getByTestId('cmd-activate').innerText(), /--fingerprint "\$FP"$/);
    assert.match(await page.getByTestId('cmd-fingerprint').innerText(), /openssl s_client -connect pce\.example:8443/);
    await page.getByTestId('activation-fingerprint').fill('AB:CD:EF');
    assert.match(await page.getByTestId('cmd-activate').innerText(), /--pce https:\/\/pce\.example:8443 --activation-code [0-9a-f]{40} --fingerprint AB:CD:EF$/);
    await b.screenshot(page, 'policy-activation-commands');
    // Copy puts exactly the command shown on the clipboard.
    await b.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: pce.url });
    await page.getByTestId('cmd-activate-copy').click();
    await page.getByTestId('cmd-activate-copy').filter({ hasText: 'Copied' }).waitFor();
    // Expressions as strings: this file is typechecked without the DOM library.
    assert.equal(await page.evaluate('navigator.clipboard.readText()'), await page.getByTestId('cmd-activate').innerText());

    // The code shown is the one the PCE accepts: a host pairs with it and gets the profile's labels.
    const res = await fetch(`${pce.url}/api/v2/agent/activate`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ activation_code: code, hostname: 'crm-web-1', interfaces: [{ name: 'eth0', address: '10.30.0.1' }] }) });
    assert.equal(res.status, 201, await res.text());
    const wls = await pce.seed<{ hostname: string; labels: { href: string }[]; enforcement_mode: string }[]>('GET', `${pce.orgHref}/workloads?hostname=crm-web-1`);
    assert.equal(wls[0]?.enforcement_mode, 'full');
    assert.deepEqual(wls[0]?.labels.map((l) => l.href).sort(), [labels['role=web'], labels['app=crm']].sort());
    assert.deepEqual(b.errors, []);
  });

  it('deny rules and editing a rule: the SecureConnect column follows the checkbox', async () => {
    const rs = await pce.seed<{ href: string }>('POST', `${D()}/rule_sets`, { name: 'crm', scopes: [[{ label: { href: labels['app=crm'] } }]] });
    const page = await b.newPage();
    await page.goto(`${pce.url}/#/rule-sets/${rs.href.split('/').pop() ?? ''}`);
    await page.getByTestId('add-deny-rule').click();
    assert.equal(await page.getByTestId('rule-sec-connect').count(), 0, 'deny rules have no SecureConnect');
    await page.getByTestId('consumers-kind').selectOption('ams');
    await page.getByTestId('consumers-add').click();
    await page.getByTestId('providers-kind').selectOption('label');
    await page.getByTestId('providers-item').selectOption({ label: 'role=db' });
    await page.getByTestId('providers-add').click();
    await page.getByTestId('services-port').fill('23/tcp');
    await page.getByTestId('services-add-port').click();
    await page.getByTestId('rule-save').click();
    const deny = page.locator('[data-rule-href*="/deny_rules/"]');
    await deny.waitFor();
    assert.match(await deny.innerText(), /deny[\s\S]*All workloads[\s\S]*role=db[\s\S]*TCP 23[\s\S]*n\/a/i);

    await page.getByTestId('add-rule').click();
    await page.getByTestId('consumers-item').selectOption({ label: 'role=web' });
    await page.getByTestId('consumers-add').click();
    await page.getByTestId('providers-item').selectOption({ label: 'role=db' });
    await page.getByTestId('providers-add').click();
    await page.getByTestId('services-add').click();
    await page.getByTestId('rule-save').click();
    const allow = page.locator('[data-rule-href*="/sec_rules/"]');
    await allow.getByTestId('sc-off').waitFor();
    assert.match(await allow.innerText(), /All Services/);
    const id = (await allow.getAttribute('data-testid'))?.replace('rule-', '') ?? '';
    await page.getByTestId(`edit-rule-${id}`).click();
    await page.getByTestId('rule-sec-connect').check();
    await page.getByTestId('rule-save').click();
    await allow.getByTestId('sc-on').waitFor();
    const rule = await pce.seed<{ sec_connect: boolean }>('GET', (await allow.getAttribute('data-rule-href')) ?? '');
    assert.equal(rule.sec_connect, true);
    await b.screenshot(page, 'policy-deny-and-edited-rule');
    assert.deepEqual(b.errors, []);
  });

  it('rule set: edit its scopes (OR of ANDs), delete a rule, delete the rule set (pending deletion until provisioned)', async () => {
    const rs = await pce.seed<{ href: string }>('POST', `${D()}/rule_sets`, {
      name: 'scratch',
      rules: [{ providers: [{ actors: 'ams' }], consumers: [{ actors: 'ams' }], ingress_services: [{ proto: 6, port: 22 }] }],
    });
    await pce.seed('POST', `${pce.orgHref}/sec_policy`, { update_description: 'scratch', change_subset: { rule_sets: [{ href: rs.href }] } });
    const page = await b.newPage();
    await page.goto(`${pce.url}/#/rule-sets/${rs.href.split('/').pop() ?? ''}`);
    await page.getByTestId('edit-rule-set').click();
    await page.getByTestId('add-scope').click();
    await page.getByTestId('scope-0-labels').getByTestId('label-picker-app').selectOption({ label: 'crm' });
    await page.getByTestId('add-scope').click();
    await page.getByTestId('scope-1-labels').getByTestId('label-picker-role').selectOption({ label: 'db' });
    await page.getByTestId('edit-rule-set-submit').click();
    // The modal carries the same test id as the button that opens it: wait for it to close.
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByTestId('scopes').filter({ hasText: 'or' }).waitFor();
    assert.match(await page.getByTestId('scopes').innerText(), /app\s*crm\s*or\s*role\s*db/);
    assert.equal(await page.getByTestId('rule-set-state').getAttribute('data-state'), 'modified');
    const stored = await pce.seed<{ scopes: unknown }>('GET', rs.href);
    assert.deepEqual(stored.scopes, [[{ label: { href: labels['app=crm'] } }], [{ label: { href: labels['role=db'] } }]]);

    const rule = page.locator('[data-rule-href]');
    const id = (await rule.getAttribute('data-testid'))?.replace('rule-', '') ?? '';
    await page.getByTestId(`delete-rule-${id}`).click();
    await page.getByTestId(`delete-rule-${id}-confirm`).click();
    await page.getByTestId('empty-state').waitFor();
    await b.screenshot(page, 'policy-rule-set-scopes-edited');

    await page.getByTestId('delete-rule-set').click();
    await page.getByTestId('delete-rule-set-confirm').click();
    await page.waitForURL(/#\/rule-sets$/);
    const deleted = page.getByTestId('deleted-rule-sets');
    await deleted.waitFor();
    assert.match(await deleted.innerText(), /scratch/);
    await page.goto(`${pce.url}/#/provision`);
    const card = page.getByTestId(`pending-rule_sets-${rs.href.split('/').pop() ?? ''}`);
    await card.getByTestId('diff-table').waitFor();
    assert.match(await card.innerText(), /deleted[\s\S]*name\s+−?\s*scratch/);
    await page.getByTestId('provision-description').fill('drop scratch');
    await page.getByTestId('provision-submit').click();
    await page.getByTestId('provision-result').waitFor();
    assert.deepEqual(b.errors, []);
  });

  it('provision a selection, revert the rest, compare two versions', async () => {
    const page = await b.newPage();
    // Everything the tests before left pending becomes one version, the base.
    const left = await pce.seed<Record<string, unknown[]>>('GET', `${pce.orgHref}/sec_policy/pending`);
    if (Object.keys(left).length > 0) await pce.seed('POST', `${pce.orgHref}/sec_policy`, { update_description: 'base' });
    const base = (await pce.seed<{ version: number }[]>('GET', `${pce.orgHref}/sec_policy`))[0]?.version ?? 0;
    const next = base + 1;
    const a = await pce.seed<{ href: string }>('POST', `${D()}/rule_sets`, { name: 'alpha' });
    const z = await pce.seed<{ href: string }>('POST', `${D()}/rule_sets`, { name: 'zulu' });
    await page.goto(`${pce.url}/#/provision`);
    const id = (h: string): string => h.split('/').pop() ?? '';
    await page.getByTestId(`pending-select-rule_sets-${id(a.href)}`).check();
    await page.getByTestId('provision-description').fill('alpha only');
    assert.match(await page.getByTestId('provision-submit').innerText(), /1 selected change/);
    await page.getByTestId('provision-submit').click();
    await page.getByTestId('provision-result').waitFor();
    assert.match(await page.getByTestId('provision-result').innerText(), new RegExp(`Version ${next} is active`));
    // zulu is still pending; alpha is not.
    await page.getByTestId(`pending-rule_sets-${id(z.href)}`).waitFor();
    assert.equal(await page.getByTestId(`pending-rule_sets-${id(a.href)}`).count(), 0);
    await b.screenshot(page, 'policy-provisioned-selection');
    await page.getByTestId('revert').click();
    await page.getByTestId('revert-confirm').click();
    await page.getByTestId('empty-state').waitFor();
    assert.equal((await pce.seed<unknown[]>('GET', `${D()}/rule_sets?name=zulu`)).length, 0, 'reverting a creation removes it from the draft');

    await page.goto(`${pce.url}/#/versions`);
    await page.getByTestId('versions-table').waitFor();
    await page.getByTestId(`select-${base}`).check();
    await page.getByTestId(`select-${next}`).check();
    await page.getByTestId('compare-versions').click();
    await page.waitForURL(new RegExp(`#/versions\\?from=${base}&to=${next}$`));
    const diff = page.getByTestId('version-diff');
    await diff.waitFor();
    assert.match(await diff.innerText(), new RegExp(`Version ${base} → ${next}: 1 object\\(s\\) changed[\\s\\S]*Rule set alpha[\\s\\S]*created`));
    await b.screenshot(page, 'policy-versions-compared');
    assert.deepEqual(b.errors, []);
  });

  it('events: who did what, older pages, filtered by type', async () => {
    // More events than one page (50).
    for (let i = 0; i < 55; i++) await pce.seed('POST', `${pce.orgHref}/labels`, { key: 'loc', value: `site-${i}` });
    const page = await b.newPage();
    await page.goto(`${pce.url}/#/events`);
    const table = page.getByTestId('events-table');
    await table.waitFor();
    const rows = table.locator('tbody tr');
    assert.equal(await rows.count(), 50);
    await page.getByTestId('events-older').click();
    await rows.nth(50).waitFor();
    const keys = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')));
    assert.equal(new Set(keys).size, keys.length, 'no event shown twice');
    assert.match(await table.innerText(), /sec_policy\.create/);
    await page.getByTestId('events-type').fill('rule_set.create');
    await page.getByTestId('events-apply').click();
    await page.waitForURL(/type=rule_set\.create/);
    // The filtered list has replaced the whole one: no row of another type is left.
    await table.locator('tbody tr', { hasNotText: 'rule_set.create' }).first().waitFor({ state: 'detached' });
    const text = await table.innerText();
    assert.match(text, /rule_set\.create[\s\S]*owner[\s\S]*create rule set "crm"/);
    assert.doesNotMatch(text, /sec_policy\.create/);
    await b.screenshot(page, 'policy-events-filtered');
    assert.deepEqual(b.errors, []);
  });
});

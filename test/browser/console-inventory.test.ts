/**
 * The inventory pages in a real browser (issue 7), each change checked through the API:
 * labels (create, 409 in use), IP lists (a bad CIDR is refused at its field, then fixed),
 * services, nested label groups, workloads (filter, N of M, enforcement per row and in bulk,
 * the detail page).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, startConsolePce, waitForTestIdText, type ConsoleBrowser, type ConsolePce } from '../support/console-harness.ts';

interface Href {
  href: string;
}

describe('console inventory pages (Chromium)', () => {
  let pce: ConsolePce;
  let b: ConsoleBrowser;
  let page: Page;
  let web: Href;
  let prod: Href;
  const workloads: Href[] = [];

  before(async () => {
    pce = await startConsolePce();
    web = await pce.seed<Href>('POST', `${pce.orgHref}/labels`, { key: 'role', value: 'web' });
    prod = await pce.seed<Href>('POST', `${pce.orgHref}/labels`, { key: 'env', value: 'prod' });
    for (let i = 1; i <= 60; i++) {
      const labels = i <= 3 ? [web, prod] : i <= 5 ? [web] : [];
      workloads.push(await pce.seed<Href>('POST', `${pce.orgHref}/workloads`, { hostname: `host-${String(i).padStart(2, '0')}`, interfaces: [{ name: 'eth0', address: `10.2.0.${i}` }], labels }));
    }
    b = await launchBrowser();
    page = await b.newPage();
    await b.signIn(page, pce.url, 'owner', pce.ownerPassword);
  });
  after(async () => {
    await b.close();
    await pce.close();
  });

  // Each test starts on a freshly loaded app: a goto that changes only the hash keeps the
  // previous test's app alive (its toasts over the buttons, its loaded lists).
  const openFresh = async (url: string): Promise<void> => {
    await page.goto('about:blank');
    await page.goto(url);
  };

  const labelsNow = async (): Promise<{ key: string; value: string; href: string }[]> => (await pce.api('GET', `${pce.orgHref}/labels`)).body as { key: string; value: string; href: string }[];

  it('labels: create app=shop in the form; deleting a label in use shows the 409 and keeps it', async () => {
    await openFresh(`${pce.url}/#/labels`);
    await page.getByTestId('create-label').click();
    await page.getByTestId('label-key').selectOption('app');
    await page.getByTestId('label-value').fill('shop');
    await page.getByTestId('label-save').click();
    await page.getByTestId('labels-table').locator('td', { hasText: /^shop$/ }).waitFor();
    assert.ok((await labelsNow()).some((l) => l.key === 'app' && l.value === 'shop'));
    // A duplicate is refused with the API's message in the form.
    await page.getByTestId('create-label').click();
    await page.getByTestId('label-key').selectOption('app');
    await page.getByTestId('label-value').fill('shop');
    await page.getByTestId('label-save').click();
    assert.match(await page.getByTestId('label-form').getByTestId('error-list').innerText(), /already exists/);
    await page.keyboard.press('Escape');
    // role=web is on workloads: 409.
    const row = page.getByTestId('labels-table').locator(`tr[data-key="${web.href}"]`);
    await row.getByTestId('delete-label').click();
    await row.getByTestId('delete-label-confirm').click();
    const err = page.locator('.content > .error-list');
    await err.waitFor();
    assert.match(await err.innerText(), /in use|used/i);
    assert.ok((await labelsNow()).some((l) => l.href === web.href));
    await b.screenshot(page, 'labels-in-use');
  });

  it('IP lists: a bad CIDR is shown at its field, nothing is created; fixed, the list is saved with an exclusion and an FQDN', async () => {
    await openFresh(`${pce.url}/#/ip-lists`);
    await page.getByTestId('create-ip-list').click();
    await page.getByTestId('ip-list-name').fill('partners');
    await page.getByTestId('ip-range-from-0').fill('10.0.0.0/8');
    await page.getByTestId('add-ip-range').click();
    await page.getByTestId('ip-range-from-1').fill('10.1.0.1/16');
    await page.getByTestId('ip-range-exclusion-1').check();
    await page.getByTestId('add-fqdn').click();
    await page.getByTestId('fqdn-0').fill('api.partner.example');
    await page.getByTestId('ip-list-save').click();
    const fieldError = page.getByTestId('ip-range-from-1-error');
    await fieldError.waitFor();
    assert.match(await fieldError.innerText(), /10\.1\.0\.1\/16.*(CIDR|host bits)/);
    assert.equal(await page.getByTestId('ip-range-from-1').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByTestId('ip-range-from-0-error').count(), 0);
    await b.screenshot(page, 'ip-list-bad-cidr');
    const before = (await pce.api('GET', `${pce.orgHref}/sec_policy/draft/ip_lists`)).body as { name: string }[];
    assert.equal(before.some((l) => l.name === 'partners'), false);

    await page.getByTestId('ip-range-from-1').fill('10.1.0.0/16');
    await page.getByTestId('ip-list-save').click();
    await page.getByTestId('ip-list-form').waitFor({ state: 'detached' });
    const lists = (await pce.api('GET', `${pce.orgHref}/sec_policy/draft/ip_lists`)).body as { name: string; ip_ranges: { from_ip: string; exclusion: boolean }[]; fqdns: { fqdn: string }[] }[];
    const saved = lists.find((l) => l.name === 'partners');
    assert.ok(saved);
    assert.deepEqual(saved.ip_ranges.map((r) => [r.from_ip, r.exclusion]), [['10.0.0.0/8', false], ['10.1.0.0/16', true]]);
    assert.deepEqual(saved.fqdns.map((f) => f.fqdn), ['api.partner.example']);
    // The table reloads after the form closes: wait for the row rather than read it at once.
    await page.getByTestId('ip-lists-table').getByText(/except 10\.1\.0\.0\/16/).waitFor();
  });

  it('services: a port range and ICMP echo; a reversed range is refused at its field', async () => {
    await openFresh(`${pce.url}/#/services`);
    await page.getByTestId('create-service').click();
    await page.getByTestId('service-name').fill('web-ports');
    await page.getByTestId('service-port-from-0').fill('8000');
    await page.getByTestId('service-port-to-0').fill('80');
    await page.getByTestId('add-service-port').click();
    await page.getByTestId('service-proto-1').selectOption('1');
    await page.getByTestId('service-icmp-type-1').fill('8');
    await page.getByTestId('service-save').click();
    // to_port < port: the API's message under the field.
    await page.getByTestId('service-port-to-0-error').waitFor();
    assert.match(await page.getByTestId('service-port-to-0-error').innerText(), /not be lower/);
    await page.getByTestId('service-port-to-0').fill('8080');
    await page.getByTestId('service-save').click();
    await page.getByTestId('service-form').waitFor({ state: 'detached' });
    const svcs = (await pce.api('GET', `${pce.orgHref}/sec_policy/draft/services`)).body as { name: string; service_ports: unknown[] }[];
    assert.deepEqual(svcs.find((s) => s.name === 'web-ports')?.service_ports, [{ proto: 6, port: 8000, to_port: 8080 }, { proto: 1, icmp_type: 8 }]);
    await page.getByTestId('services-table').getByText(/TCP 8000–8080, ICMP type 8/).waitFor();
  });

  it('label groups: a group inside a group shows as a tree and expands to both labels', async () => {
    await pce.seed('POST', `${pce.orgHref}/labels`, { key: 'app', value: 'cart' });
    await openFresh(`${pce.url}/#/label-groups`);
    await page.getByTestId('create-label-group').click();
    await page.getByTestId('label-group-key').selectOption('app');
    await page.getByTestId('label-group-name').fill('Shop core');
    await page.getByTestId('group-label-shop').check();
    await page.getByTestId('label-group-save').click();
    await page.getByTestId('label-group-form').waitFor({ state: 'detached' });
    await page.getByTestId('create-label-group').click();
    await page.getByTestId('label-group-key').selectOption('app');
    await page.getByTestId('label-group-name').fill('Shop all');
    await page.getByTestId('group-label-cart').check();
    await page.getByTestId('group-sub-Shop core').check();
    await page.getByTestId('label-group-save').click();
    await page.getByTestId('label-group-form').waitFor({ state: 'detached' });
    await page.reload();
    const row = page.getByTestId('label-groups-table').locator('tr', { hasText: 'Shop all' });
    await row.locator('.tree', { hasText: 'Shop core' }).waitFor();
    const text = await row.innerText();
    assert.match(text, /cart/);
    assert.match(text, /shop/);
  });

  it('workloads: 50 of 60 then all; label filter (in the URL); enforcement per row and in bulk persist', async () => {
    await openFresh(`${pce.url}/#/workloads`);
    const count = page.getByTestId('workloads-count');
    await count.waitFor();
    assert.equal(await count.innerText(), 'Showing 50 of 60 workloads');
    await page.getByTestId('show-more').click();
    await waitForTestIdText(page, 'workloads-count', 'Showing all 60 workloads');

    await page.getByTestId('label-picker-role').selectOption({ label: 'web' });
    await waitForTestIdText(page, 'workloads-count', 'Showing all 5 workloads');
    await page.getByTestId('label-picker-env').selectOption({ label: 'prod' });
    await waitForTestIdText(page, 'workloads-count', 'Showing all 3 workloads');
    assert.match(page.url(), /labels=/);
    await b.screenshot(page, 'workloads-filtered');

    const first = workloads[0]?.href ?? '';
    const id = first.split('/').pop() ?? '';
    await page.getByTestId(`mode-${id}`).selectOption('full');
    await page.getByTestId('toast-success').first().waitFor();
    const w = (await pce.api('GET', first)).body as { enforcement_mode: string };
    assert.equal(w.enforcement_mode, 'full');

    await page.getByTestId('select-all').check();
    await page.getByTestId('bulk-actions').waitFor();
    await page.getByTestId('bulk-mode').selectOption('selective');
    await page.getByTestId('bulk-visibility').selectOption('flow_drops');
    await page.getByTestId('bulk-apply').click();
    await page.getByTestId('bulk-actions').waitFor({ state: 'detached' });
    for (const h of workloads.slice(0, 3)) {
      const got = (await pce.api('GET', h.href)).body as { enforcement_mode: string; visibility_level: string };
      assert.deepEqual([got.enforcement_mode, got.visibility_level], ['selective', 'flow_drops']);
    }
    const untouched = (await pce.api('GET', workloads[3]?.href ?? '')).body as { enforcement_mode: string };
    assert.equal(untouched.enforcement_mode, 'idle');
    // The filter survives a reload.
    await page.reload();
    await waitForTestIdText(page, 'workloads-count', 'Showing all 3 workloads');
  });

  it('workload detail: interfaces, labels, unmanaged VEN, no SecureConnect peers, enforcement changed there persists', async () => {
    const href = workloads[0]?.href ?? '';
    const id = href.split('/').pop() ?? '';
    await page.getByTestId(`workload-link-${id}`).click();
    await page.waitForURL(new RegExp(`#/workloads/${id}$`));
    await page.getByTestId('interfaces-table').locator('td', { hasText: '10.2.0.1' }).waitFor();
    assert.match(await page.locator('.panel', { hasText: 'Unmanaged' }).first().innerText(), /no VEN/);
    await page.getByTestId('secure-connect-table').or(page.getByTestId('empty-state')).first().waitFor();
    await page.getByTestId('workload-mode').selectOption('visibility_only');
    await page.getByTestId('toast-success').first().waitFor();
    assert.equal(((await pce.api('GET', href)).body as { enforcement_mode: string }).enforcement_mode, 'visibility_only');
    await page.getByTestId('load-policy').click();
    await page.getByTestId('computed-policy').or(page.locator('.panel', { hasText: 'Computed policy' }).getByTestId('error-list')).first().waitFor();
    await b.screenshot(page, 'workload-detail');
    assert.deepEqual(b.errors, []);
  });
});

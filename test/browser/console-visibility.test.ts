/**
 * Console visibility pages in a real browser (issue 7): agents paired with pairing keys report
 * flows through the real agent endpoint; the traffic map draws them (canvas, with its table
 * alternative), hovering shows a tooltip, clicking an edge on the canvas opens Explorer with
 * that edge's flows; Explorer filters from the URL and the form, exports the PCE's CSV, says
 * what to do when nothing matches; the group view and a node's "flows from here" link.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, startConsolePce, type ConsoleBrowser, type ConsolePce } from '../support/console-harness.ts';

interface Identity {
  agent_id: string;
  secret: string;
  workload: { href: string };
}

const NOW = Date.now();
const iso = (minutesAgo: number): string => new Date(NOW - minutesAgo * 60_000).toISOString();
const flow = (src: string, dst: string, port: number, over: Record<string, unknown> = {}): Record<string, unknown> => ({
  src_ip: src,
  dst_ip: dst,
  proto: 6,
  dst_port: port,
  direction: 'inbound',
  first_seen: iso(20),
  last_seen: iso(5),
  connections: 3,
  state: 'allowed',
  ...over,
});

describe('console traffic map and Explorer (Chromium)', () => {
  let pce: ConsolePce;
  let b: ConsoleBrowser;
  let page: Page;
  let web1: Identity;
  let db1: Identity;
  let crm1: Identity;

  const agent = async (path: string, id: Identity | null, body: unknown): Promise<Response> =>
    fetch(`${pce.url}/api/v2/agent/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(id ? { Authorization: 'Basic ' + Buffer.from(`${id.agent_id}:${id.secret}`).toString('base64') } : {}) },
      body: JSON.stringify(body),
    });

  async function activate(profileHref: string, hostname: string, address: string): Promise<Identity> {
    const key = await pce.seed<{ activation_code: string }>('POST', `${profileHref}/pairing_key`, {});
    const r = await agent('activate', null, { activation_code: key.activation_code, hostname, interfaces: [{ name: 'eth0', address, cidr_block: 24 }] });
    assert.equal(r.status, 201, await r.clone().text());
    return (await r.json()) as Identity;
  }

  /** Polls an attribute of a test id until `ok` (the canvas updates on the next animation frame). */
  async function waitAttr(testid: string, attr: string, ok: (value: string | null) => boolean): Promise<void> {
    const el = page.getByTestId(testid);
    for (let i = 0; i < 200; i++) {
      if (ok(await el.getAttribute(attr))) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`${testid} ${attr} is still ${await el.getAttribute(attr)}`);
  }

  /** World → screen for the canvas, from its data-transform (x, y, k) and position on the page. */
  async function toScreen(wx: number, wy: number): Promise<{ x: number; y: number }> {
    const canvas = page.getByTestId('traffic-map-canvas');
    const box = await canvas.boundingBox();
    const t = (await canvas.getAttribute('data-transform')) ?? '';
    const [x = 0, y = 0, k = 1] = t.split(',').map(Number);
    assert.ok(box);
    return { x: box.x + wx * k + x, y: box.y + wy * k + y };
  }

  interface Segment {
    sx: number;
    sy: number;
    tx: number;
    ty: number;
  }

  /** The map's edges as the table alternative lists them (opens the tables if needed). */
  async function edges(): Promise<(Segment & { from: string; to: string })[]> {
    const details = page.getByTestId('map-tables');
    if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
    // No named helpers inside: the function runs in the page, without tsx's __name.
    return page.getByTestId('map-edge-row').evaluateAll((rows) =>
      rows.map((r) => ({
        from: r.querySelectorAll('td')[0]?.textContent ?? '',
        to: r.querySelectorAll('td')[1]?.textContent ?? '',
        sx: Number(r.getAttribute('data-sx')),
        sy: Number(r.getAttribute('data-sy')),
        tx: Number(r.getAttribute('data-tx')),
        ty: Number(r.getAttribute('data-ty')),
      })),
    );
  }

  /**
   * A point (world units) on the edge from → to, as far as possible from every other edge:
   * where lines cross, the nearest one wins, and the test wants this one.
   */
  async function pointOnEdge(from: string, to: string): Promise<{ x: number; y: number }> {
    const all = await edges();
    const mine = all.filter((e) => e.from === from && e.to === to);
    assert.equal(mine.length, 1, `one edge ${from} → ${to}`);
    const [e] = mine;
    assert.ok(e);
    const others = all.filter((o) => o !== e);
    const dist = (px: number, py: number, o: Segment): number => {
      const dx = o.tx - o.sx;
      const dy = o.ty - o.sy;
      const t = Math.max(0, Math.min(1, ((px - o.sx) * dx + (py - o.sy) * dy) / (dx * dx + dy * dy || 1)));
      return Math.hypot(px - (o.sx + t * dx), py - (o.sy + t * dy));
    };
    let best = { x: 0, y: 0, d: -1 };
    // The middle of the line: its ends are under the nodes, which win a click.
    for (let t = 0.4; t <= 0.601; t += 0.02) {
      const x = e.sx + (e.tx - e.sx) * t;
      const y = e.sy + (e.ty - e.sy) * t;
      const d = Math.min(Infinity, ...others.map((o) => dist(x, y, o)));
      if (d > best.d) best = { x, y, d };
    }
    return best;
  }

  before(async () => {
    pce = await startConsolePce();
    const o = pce.orgHref;
    const label = async (key: string, value: string): Promise<string> => (await pce.seed<{ href: string }>('POST', `${o}/labels`, { key, value })).href;
    const [shop, crm, prod, web, db] = [await label('app', 'shop'), await label('app', 'crm'), await label('env', 'prod'), await label('role', 'web'), await label('role', 'db')];
    const profile = async (name: string, labels: string[], mode: string): Promise<string> =>
      (await pce.seed<{ href: string }>('POST', `${o}/pairing_profiles`, { name, labels: labels.map((href) => ({ href })), enforcement_mode: mode, visibility_level: 'enhanced_data_collection' })).href;
    const webP = await profile('shop-web', [shop, prod, web], 'full');
    const dbP = await profile('shop-db', [shop, prod, db], 'full');
    const crmP = await profile('crm', [crm, prod], 'visibility_only');
    await pce.seed('POST', `${o}/sec_policy/draft/rule_sets`, { name: 'shop', scopes: [], rules: [{ providers: [{ label: { href: db } }], consumers: [{ label: { href: web } }], ingress_services: [{ proto: 6, port: 5432 }] }] });
    await pce.seed('POST', `${o}/sec_policy`, { update_description: 'shop' });
    web1 = await activate(webP, 'web1', '10.9.0.10');
    db1 = await activate(dbP, 'db1', '10.9.0.20');
    crm1 = await activate(crmP, 'crm1', '10.9.0.30');
    const send = async (id: Identity, batch: string, flows: unknown[]): Promise<void> => {
      const r = await agent('flows', id, { batch_id: batch, flows });
      assert.equal(r.status, 202, await r.clone().text());
    };
    await send(db1, 'b-db1', [flow('10.9.0.10', '10.9.0.20', 5432, { bytes_in: 1200, bytes_out: 64000 }), flow('10.9.0.10', '10.9.0.20', 22, { state: 'blocked' }), flow('10.9.0.30', '10.9.0.20', 5432, { state: 'blocked' })]);
    await send(crm1, 'b-crm1', [flow('203.0.113.5', '10.9.0.30', 80)]);
    // Neither end a workload: unknown.
    await send(web1, 'b-web1', [flow('203.0.113.7', '198.51.100.7', 443)]);
    b = await launchBrowser({ viewport: { width: 1366, height: 900 } });
    page = await b.newPage();
    await b.signIn(page, pce.url, 'owner', pce.ownerPassword, '/traffic-map?view=workloads');
  });
  after(async () => {
    await b?.close();
    await pce?.close();
  });

  it('the map draws every workload and address, with edges per decision, on a canvas with a table alternative', async () => {
    const summary = page.getByTestId('map-summary');
    await summary.waitFor();
    // web1, db1, crm1 + 203.0.113.5, 203.0.113.7 and 198.51.100.7 (addresses that are not workloads).
    assert.equal(await summary.getAttribute('data-nodes'), '6');
    assert.equal(await summary.getAttribute('data-edges'), '4');
    assert.equal(await summary.getAttribute('data-flows'), '5');
    const canvas = page.getByTestId('traffic-map-canvas');
    assert.equal(await canvas.getAttribute('data-nodes'), '6');
    await waitAttr('traffic-map-canvas', 'data-frames', (v) => Number(v) > 0);
    // The canvas really has pixels of the palette's colours (no blue: web1 → db1 also had a blocked flow).
    // (A string: this runs in the page, and the tests are typechecked without the DOM library.)
    const colours = (await page.evaluate(`(() => {
      const c = document.querySelector('[data-testid="traffic-map-canvas"]');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      const seen = new Set();
      for (let i = 0; i < d.length; i += 4) seen.add(d[i] + ',' + d[i + 1] + ',' + d[i + 2]);
      return [...seen];
    })()`)) as string[];
    assert.ok(colours.includes('213,94,0'), 'vermillion (blocked) edges drawn');
    assert.ok(colours.includes('230,159,0'), 'orange (potentially blocked) edge drawn');
    assert.ok(colours.includes('153,153,153'), 'grey (unknown) edge drawn');

    await page.getByTestId('map-tables').locator('summary').click();
    const boxes = await page.getByTestId('map-node-row').locator('td:first-child').allInnerTexts();
    assert.deepEqual([...new Set(boxes)], ['crm · prod', 'shop · prod', 'Outside (IP addresses)']);
    const decision = async (from: string, to: string): Promise<string | null> =>
      page.getByTestId('map-edge-row').filter({ has: page.locator('td:nth-child(1)', { hasText: from }) }).filter({ has: page.locator('td:nth-child(2)', { hasText: to }) }).locator('[data-decision]').getAttribute('data-decision');
    assert.equal(await decision('web1', 'db1'), 'blocked', 'the most severe of allowed 5432 and blocked 22');
    assert.equal(await decision('crm1', 'db1'), 'blocked');
    assert.equal(await decision('203.0.113.5', 'crm1'), 'potentially_blocked');
    assert.equal(await decision('203.0.113.7', '198.51.100.7'), 'unknown');
    const legend = await page.getByTestId('map-legend').innerText();
    for (const word of ['Allowed', 'Potentially blocked', 'Blocked', 'Unknown', 'dashed', 'dotted']) assert.match(legend, new RegExp(word));
    await b.screenshot(page, 'traffic-map');
  });

  it('the legend filters decisions (kept in the URL); zoom buttons and Fit change the view', async () => {
    await page.getByTestId('map-decision-blocked').uncheck();
    await waitAttr('map-summary', 'data-edges', (v) => v === '3');
    assert.match(page.url(), /dec=allowed%2Cpotentially_blocked%2Cunknown|dec=allowed,potentially_blocked,unknown/);
    await page.getByTestId('map-decision-blocked').check();
    await waitAttr('map-summary', 'data-edges', (v) => v === '4');
    const canvas = page.getByTestId('traffic-map-canvas');
    const before = await canvas.getAttribute('data-transform');
    await page.getByTestId('map-zoom-in').click();
    await waitAttr('traffic-map-canvas', 'data-transform', (v) => v !== before);
    const zoomed = Number((await canvas.getAttribute('data-transform'))?.split(',')[2]);
    assert.ok(zoomed > Number(before?.split(',')[2]), 'zoomed in');
    await page.getByTestId('map-fit').click();
    await waitAttr('traffic-map-canvas', 'data-transform', (v) => v === before);
  });

  it('dragging pans the map; hovering an edge shows its tooltip', async () => {
    const canvas = page.getByTestId('traffic-map-canvas');
    const before = (await canvas.getAttribute('data-transform')) ?? '';
    const box = await canvas.boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + 20, box.y + box.height - 20);
    await page.mouse.down();
    await page.mouse.move(box.x + 60, box.y + box.height - 40, { steps: 5 });
    await page.mouse.up();
    const after = (await canvas.getAttribute('data-transform')) ?? '';
    const [x0 = 0, y0 = 0] = before.split(',').map(Number);
    const [x1 = 0, y1 = 0] = after.split(',').map(Number);
    assert.ok(Math.abs(x1 - x0 - 40) < 1 && Math.abs(y1 - y0 + 20) < 1, `panned by (40, -20): ${before} → ${after}`);
    await page.getByTestId('map-fit').click();

    const p = await pointOnEdge('crm1', 'db1');
    const at = await toScreen(p.x, p.y);
    await page.mouse.move(at.x, at.y);
    const tip = page.getByTestId('map-tooltip');
    await tip.waitFor({ state: 'visible' });
    const text = await tip.innerText();
    assert.match(text, /crm1 → db1/);
    assert.match(text, /Blocked/);
    assert.match(text, /5432 TCP/);
    await b.screenshot(page, 'traffic-map-tooltip');
  });

  it('clicking an edge on the canvas opens Explorer with that edge’s flows; the CSV export is the PCE’s', async () => {
    const p = await pointOnEdge('web1', 'db1');
    const at = await toScreen(p.x, p.y);
    await page.mouse.click(at.x, at.y);
    await page.waitForURL(/#\/explorer\?/);
    const q = new URLSearchParams(page.url().split('?')[1]);
    assert.equal(q.get('src_w'), web1.workload.href, page.url());
    assert.equal(q.get('dst_w'), db1.workload.href);
    assert.equal(q.get('run'), '1');
    const summary = page.getByTestId('explorer-summary');
    await summary.waitFor();
    assert.equal(await summary.getAttribute('data-count'), '2');
    const rows = page.getByTestId('explorer-results').locator('tbody tr');
    assert.equal(await rows.count(), 2);
    const all = (await rows.allInnerTexts()).join('\n');
    assert.match(all, /5432 TCP/);
    assert.match(all, /22 TCP/);
    assert.match(all, /Allowed/);
    assert.match(all, /Blocked/);
    assert.match(all, /62\.5 KiB/, 'bytes out at enhanced data collection');
    // The form shows the workloads the URL chose.
    await page.getByTestId('src-workloads').getByText('web1').waitFor();
    await b.screenshot(page, 'explorer-from-map');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('explorer-export').click()]);
    assert.match(download.suggestedFilename(), /^flows-.*\.csv$/);
    const path = await download.path();
    const csv = (await readFile(path, 'utf8')).trim().split(/\r?\n/);
    assert.match(csv[0] ?? '', /^src_ip,.*policy_decision/);
    assert.equal(csv.length, 3, csv.join('\n'));
    assert.ok(csv.slice(1).every((l) => l.startsWith('10.9.0.10,') && l.includes('10.9.0.20')));
  });

  it('Explorer: the form writes its filters into the URL and runs; bad input is shown at the field; no match says what to do next', async () => {
    await page.goto(`${pce.url}/#/explorer`);
    await page.getByTestId('empty-state').waitFor();
    await page.getByTestId('explorer-decision-potentially_blocked').check();
    await page.getByTestId('explorer-run').click();
    await page.getByTestId('explorer-summary').waitFor();
    assert.match(page.url(), /dec=potentially_blocked/);
    const rows = page.getByTestId('explorer-results').locator('tbody tr');
    assert.equal(await rows.count(), 1);
    assert.match(await rows.first().innerText(), /203\.0\.113\.5[\s\S]*crm1[\s\S]*80 TCP[\s\S]*Potentially blocked/);

    await page.getByTestId('explorer-decision-potentially_blocked').uncheck();
    await page.getByTestId('explorer-services').fill('443/tcpx');
    await page.getByTestId('explorer-run').click();
    await page.getByText('"443/tcpx" is not a service').waitFor();

    await page.getByTestId('explorer-services').fill('9999/tcp');
    await page.getByTestId('explorer-run').click();
    const empty = page.getByTestId('empty-state');
    await empty.getByText('No flows match').waitFor();
    assert.match(await empty.innerText(), /Widen the time range/);

    await page.getByTestId('explorer-services').fill('443/tcp');
    await page.getByTestId('explorer-run').click();
    await page.getByTestId('explorer-summary').waitFor();
    assert.match(await page.getByTestId('explorer-results').innerText(), /203\.0\.113\.7[\s\S]*198\.51\.100\.7[\s\S]*Unknown/);
  });

  it('the group view shows app|env groups with counts; a node’s "flows from here" opens Explorer by its labels', async () => {
    await page.goto(`${pce.url}/#/traffic-map?view=groups`);
    const summary = page.getByTestId('map-summary');
    await summary.waitFor();
    // shop · prod, crm · prod and one node for the outside addresses.
    assert.equal(await summary.getAttribute('data-nodes'), '3');
    await page.getByTestId('map-tables').locator('summary').click();
    // Under load the table can show before the workload counts are in: wait for the row, not a snapshot.
    await page.getByTestId('map-node-row').filter({ hasText: /shop · prod \(2 workloads\)/ }).waitFor();
    const row = page.getByTestId('map-node-row').filter({ hasText: 'shop · prod' });
    const node = { x: Number(await row.getAttribute('data-x')), y: Number(await row.getAttribute('data-y')) };
    const at = await toScreen(node.x, node.y);
    await page.mouse.click(at.x, at.y);
    await page.getByTestId('map-selection').waitFor();
    assert.match(await page.getByTestId('map-selection').innerText(), /2 workloads/);
    await page.getByTestId('map-flows-from').click();
    await page.waitForURL(/#\/explorer\?/);
    const q = new URLSearchParams(page.url().split('?')[1]);
    assert.equal(q.get('src_l')?.split(',').length, 2, 'app and env labels');
    await page.getByTestId('explorer-summary').waitFor();
    // From shop · prod: web1 → db1 (5432 allowed, 22 blocked).
    assert.equal(await page.getByTestId('explorer-summary').getAttribute('data-count'), '2');
    // Both ways (sources OR destinations): crm1 → db1 too.
    await page.goBack();
    await page.getByTestId('map-summary').waitFor();
    // The same place: the layout is the same for the same data.
    await waitAttr('traffic-map-canvas', 'data-frames', (v) => Number(v) > 0);
    const again = await toScreen(node.x, node.y);
    await page.mouse.click(again.x, again.y);
    await page.getByTestId('map-flows-both').click();
    await page.waitForURL(/op=or/);
    await page.getByTestId('explorer-summary').waitFor();
    assert.equal(await page.getByTestId('explorer-summary').getAttribute('data-count'), '3');
    assert.equal(await page.getByTestId('explorer-either').isChecked(), true);
    assert.deepEqual(b.errors, [], b.errors.join('\n'));
  });

  it('Explorer filters by active IP lists and label groups, to include and to exclude', async () => {
    const o = pce.orgHref;
    const labels = await pce.seed<{ href: string; key: string; value: string }[]>('GET', `${o}/labels`);
    const shop = labels.find((l) => l.key === 'app' && l.value === 'shop')?.href ?? '';
    await pce.seed('POST', `${o}/sec_policy/draft/ip_lists`, { name: 'documentation nets', ip_ranges: [{ from_ip: '203.0.113.0/24' }] });
    await pce.seed('POST', `${o}/sec_policy/draft/label_groups`, { name: 'shop apps', key: 'app', labels: [{ href: shop }] });
    await pce.seed('POST', `${o}/sec_policy`, { update_description: 'explorer objects' });
    await page.goto(`${pce.url}/#/explorer`);
    await page.reload(); // the pickers read the active objects when the page is built
    await page.getByTestId('src-ip-lists-add').selectOption({ label: 'documentation nets' });
    await page.getByTestId('explorer-src').locator('.chip', { hasText: 'documentation nets' }).waitFor();
    await page.getByTestId('explorer-run').click();
    await page.getByTestId('explorer-summary').waitFor();
    assert.match(page.url(), /src_ipl=/);
    // 203.0.113.5 → crm1 and 203.0.113.7 → 198.51.100.7.
    assert.equal(await page.getByTestId('explorer-summary').getAttribute('data-count'), '2');
    const text = await page.getByTestId('explorer-results').innerText();
    assert.match(text, /203\.0\.113\.5/);
    assert.match(text, /203\.0\.113\.7/);

    // Destinations in the group "shop apps" (db1's three flows), excluding the documentation nets as sources changes nothing there.
    await page.getByTestId('explorer-src').getByRole('button', { name: 'Remove documentation nets' }).click();
    await page.getByTestId('dst-label-groups-add').selectOption({ label: 'shop apps' });
    await page.getByTestId('explorer-src').locator('summary').click();
    await page.getByTestId('src-xip-lists-add').selectOption({ label: 'documentation nets' });
    await page.getByTestId('explorer-run').click();
    await page.waitForURL(/dst_lg=.*src_xipl=|src_xipl=.*dst_lg=/);
    await page.getByTestId('explorer-summary').waitFor();
    assert.equal(await page.getByTestId('explorer-summary').getAttribute('data-count'), '3');
    assert.doesNotMatch(await page.getByTestId('explorer-results').innerText(), /203\.0\.113/);
    await b.screenshot(page, 'explorer-ip-list-label-group');
    assert.deepEqual(b.errors, [], b.errors.join('\n'));
  });
});

/**
 * Issue 7 figures, measured in the real browser (Debian Chromium, headless, software
 * rendering: --disable-gpu, so these are worst-case frame times).
 * (a) 10,000 workloads stored (bench/synthetic-org.ts): time from navigation to the workloads
 *     page's first page of rows in the DOM (target ≤ 1 s): a full page load (app.js, session,
 *     list) and an in-app navigation from another page; the first load is reported apart (the
 *     PCE's workload list cache is cold then).
 * (b) A traffic map of 2,000 workloads (+ addresses outside) and their flows, ingested through
 *     FlowIngest: time to the first drawn map, then requestAnimationFrame deltas while a
 *     scripted mouse drags and wheels (median/p95 of every frame and of the frames that drew,
 *     dropped frames = frames beyond one 60 Hz interval), and full map renders (the canvas
 *     redraws the whole map only when a gesture settles or a pan leaves its margin).
 * Env: CONSOLE_BENCH_RUNS (default 7).
 */
import { loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import type { RunningPce } from '@palisade/pce/main.ts';
import type { FlowBatch } from '@palisade/pce/flows/flow-schemas.ts';
import { launchBrowser, startConsolePce, type ConsoleBrowser, type ConsolePce } from '../test/support/console-harness.ts';
import { generateSyntheticOrg, rng, type SyntheticOrg } from './synthetic-org.ts';

const RUNS = Number(process.env['CONSOLE_BENCH_RUNS'] ?? 7);
const MAP_WORKLOADS = 2000;
const ROWS = '[data-testid="workloads-table"] tbody tr';

const load = (): string => `load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`;
const pct = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const ms = (n: number): string => `${n.toFixed(0)} ms`;

/** The synthetic org's labels and workloads into the store (one transaction per 1,000). */
async function seedOrg(p: RunningPce, org: SyntheticOrg): Promise<void> {
  const { store, env } = p.pce;
  const ids = new Map<string, number>();
  const now = env.now().toISOString();
  await store.transaction(async (tx) => {
    for (const l of org.labels) {
      const id = await tx.nextId(1, 'labels');
      await tx.insertLabel({ org_id: 1, id, key: l.key, value: l.value, created_at: now, updated_at: now });
      ids.set(l.id, id);
    }
  });
  for (let start = 0; start < org.workloads.length; start += 1000) {
    await store.transaction(async (tx) => {
      for (const w of org.workloads.slice(start, start + 1000)) {
        const data = {
          name: w.name, hostname: `${w.name}.example.test`, description: '', public_ip: null,
          interfaces: w.addresses.filter((a) => !a.includes(':')).map((address) => ({ name: 'eth0', address, cidr_block: 8 })),
          os_type: w.os_type, os_version: w.os_version, enforcement_mode: w.enforcement_mode, visibility_level: w.visibility_level,
          // No VEN rows are seeded, so no workload claims one.
          ven_id: null, created_at: now, updated_at: now,
        };
        await tx.insertWorkload({ org_id: 1, id: w.id, data: JSON.stringify(data), label_ids: w.labels.flatMap((l) => ids.get(l) ?? []), created_at: now, updated_at: now });
      }
    });
  }
  p.pce.workloadLists.invalidate(1);
  p.pce.compute.invalidate(1);
}

async function signedIn(pce: ConsolePce, b: ConsoleBrowser, hash: string): Promise<Page> {
  const page = await b.newPage();
  await b.signIn(page, pce.url, 'owner', pce.ownerPassword, hash);
  return page;
}

/** ms from navigation start until `selector` is in the DOM (a MutationObserver from document start). */
async function fullLoad(page: Page, url: string, selector: string): Promise<number> {
  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForSelector(selector, { timeout: 60_000 });
  return (await page.evaluate('window.__seenAt')) as number;
}

/** ms from setting the hash until `selector` is in the DOM (in-app navigation). */
async function inApp(page: Page, from: string, to: string, selector: string): Promise<number> {
  await page.evaluate(`location.hash = ${JSON.stringify(from)}`);
  await page.waitForFunction(`!document.querySelector(${JSON.stringify(selector)})`);
  await page.waitForTimeout(200);
  return (await page.evaluate(`new Promise((resolve) => {
    const t0 = performance.now();
    const sel = ${JSON.stringify(selector)};
    const obs = new MutationObserver(() => { if (document.querySelector(sel)) { obs.disconnect(); resolve(performance.now() - t0); } });
    obs.observe(document.body, { childList: true, subtree: true });
    location.hash = ${JSON.stringify(to)};
  })`)) as number;
}

async function workloadsBench(): Promise<void> {
  const pce = await startConsolePce();
  const b = await launchBrowser({ viewport: { width: 1366, height: 900 } });
  try {
    const t0 = performance.now();
    await seedOrg(pce.running, generateSyntheticOrg({ workloads: 10_000, ruleSets: 0, rulesPerSet: 0, secureConnectShare: 0, seed: 7 }));
    console.log(`(a) seeded 10,000 workloads in ${ms(performance.now() - t0)}`);
    const page = await signedIn(pce, b, '/labels');
    // Records when the first workload row appears, from the very start of each document.
    await page.addInitScript(`(() => {
      const sel = ${JSON.stringify(ROWS)};
      const check = () => { if (window.__seenAt === undefined && document.querySelector(sel)) window.__seenAt = performance.now(); };
      new MutationObserver(check).observe(document, { childList: true, subtree: true });
    })()`);
    const url = `${pce.url}/#/workloads`;
    const cold = await fullLoad(page, url, ROWS);
    const rows = await page.locator(ROWS).count();
    const total = await page.getByTestId('workloads-count').innerText().catch(() => '?');
    console.log(`(a) workloads page, first page of rows (${rows} rows; "${total}"): first load (cold list cache) ${ms(cold)} [${load()}]`);
    const loads: number[] = [];
    const navs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      loads.push(await fullLoad(page, url, ROWS));
      navs.push(await inApp(page, '/labels', '/workloads', ROWS));
    }
    console.log(`(a) full page load → rows, ${RUNS} runs: median ${ms(pct(loads, 50))}, p95 ${ms(pct(loads, 95))}, max ${ms(Math.max(...loads))} (target ≤ 1 s) [${load()}]`);
    console.log(`(a) in-app navigation → rows, ${RUNS} runs: median ${ms(pct(navs, 50))}, p95 ${ms(pct(navs, 95))}, max ${ms(Math.max(...navs))} [${load()}]`);
  } finally {
    await b.close();
    await pce.close();
  }
}

/** Each workload talks to three peers (two in its app, one anywhere), some addresses outside talk in. */
function mapFlows(org: SyntheticOrg, t0: number): FlowBatch {
  const r = rng(11);
  const byApp = new Map<string, number[]>();
  org.workloads.forEach((w, i) => {
    const app = w.labels[1] ?? '';
    byApp.set(app, [...(byApp.get(app) ?? []), i]);
  });
  const ip = (i: number): string => org.workloads[i]?.addresses[0] ?? '10.0.0.1';
  const ports = [443, 5432, 22, 8080, 3306, 53, 9200];
  const flows: FlowBatch['flows'] = [];
  const add = (src: string, dst: string): void => {
    const last = t0 + Math.floor(r() * 3_000_000);
    flows.push({ src_ip: src, dst_ip: dst, proto: 6, dst_port: ports[Math.floor(r() * ports.length)] ?? 443, direction: 'inbound', first_seen: new Date(last - 60_000).toISOString(), last_seen: new Date(last).toISOString(), connections: 1 + Math.floor(r() * 200), state: r() < 0.05 ? 'blocked' : 'allowed' });
  };
  org.workloads.forEach((w, i) => {
    const peers = byApp.get(w.labels[1] ?? '') ?? [];
    for (let k = 0; k < 2 && peers.length > 1; k++) add(ip(i), ip(peers[Math.floor(r() * peers.length)] ?? i));
    add(ip(i), ip(Math.floor(r() * org.workloads.length)));
  });
  for (let k = 0; k < 50; k++) add(`203.0.113.${k + 1}`, ip(Math.floor(r() * org.workloads.length)));
  return { batch_id: 'console-bench', dropped: 0, flows };
}

interface FrameFigures {
  all: number[];
  drawn: number[];
  renders: number;
  renderMs: string;
}

/** Starts recording rAF deltas in the page (and whether the map drew in that frame). */
async function startFrames(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const c = document.querySelector('[data-testid="traffic-map-canvas"]');
    window.__frames = { all: [], drawn: [], stop: false };
    let last = performance.now();
    let drawnBefore = c.dataset.frames;
    const tick = (t) => {
      const d = t - last;
      last = t;
      window.__frames.all.push(d);
      if (c.dataset.frames !== drawnBefore) window.__frames.drawn.push(d);
      drawnBefore = c.dataset.frames;
      if (!window.__frames.stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })()`);
}

async function stopFrames(page: Page, rendersBefore: number): Promise<FrameFigures> {
  const f = (await page.evaluate('(() => { window.__frames.stop = true; return { all: window.__frames.all, drawn: window.__frames.drawn }; })()')) as { all: number[]; drawn: number[] };
  const canvas = page.getByTestId('traffic-map-canvas');
  return { ...f, renders: Number(await canvas.getAttribute('data-renders')) - rendersBefore, renderMs: (await canvas.getAttribute('data-render-ms')) ?? '?' };
}

function report(what: string, f: FrameFigures): void {
  const dropped = f.all.reduce((s, d) => s + Math.max(0, Math.round(d / (1000 / 60)) - 1), 0);
  console.log(
    `(b) ${what}: ${f.all.length} frames, frame time median ${pct(f.all, 50).toFixed(1)} ms, p95 ${pct(f.all, 95).toFixed(1)} ms, max ${Math.max(...f.all).toFixed(0)} ms, dropped frames ${dropped}; ` +
      `frames that drew the map: ${f.drawn.length}, median ${pct(f.drawn, 50).toFixed(1)} ms, p95 ${pct(f.drawn, 95).toFixed(1)} ms; full map renders ${f.renders} (last ${f.renderMs} ms) [${load()}]`,
  );
}

async function mapBench(): Promise<void> {
  const pce = await startConsolePce();
  const b = await launchBrowser({ viewport: { width: 1366, height: 900 } });
  try {
    const org = generateSyntheticOrg({ workloads: MAP_WORKLOADS, ruleSets: 0, rulesPerSet: 0, secureConnectShare: 0, seed: 5, labelValues: 100 });
    await seedOrg(pce.running, org);
    // One rule so that some flows are allowed: every workload may reach every workload on 443.
    await pce.seed('POST', `${pce.orgHref}/sec_policy/draft/rule_sets`, { name: 'https', scopes: [], rules: [{ providers: [{ actors: 'ams' }], consumers: [{ actors: 'ams' }], ingress_services: [{ proto: 6, port: 443 }] }] });
    await pce.seed('POST', `${pce.orgHref}/sec_policy`, { update_description: 'bench' });
    const batch = mapFlows(org, Date.now() - 3_600_000);
    await pce.running.pce.flows.ingest({ org: 1, workloadId: org.workloads[0]?.id ?? '' }, batch);
    console.log(`(b) seeded ${MAP_WORKLOADS.toLocaleString()} workloads and ${batch.flows.length.toLocaleString()} flows`);

    // Where the time to the first map goes, on the API side (the same calls the page makes).
    const q0 = performance.now();
    const started = await pce.seed<{ href: string }>('POST', `${pce.orgHref}/traffic_flows/async_queries`, { query_name: 'bench', start_date: new Date(Date.now() - 7 * 86_400_000).toISOString(), max_results: 20_000 });
    let status = '';
    while (status !== 'completed') {
      status = String((await pce.seed<{ status: string }>('GET', started.href)).status);
      if (status === 'failed') throw new Error('traffic query failed');
      if (status !== 'completed') await new Promise((r) => setTimeout(r, 25));
    }
    const q1 = performance.now();
    const dl = await pce.api('GET', `${started.href}/download`);
    const q2 = performance.now();
    const wl = await pce.api('GET', `${pce.orgHref}/workloads?max_results=20000`);
    const q3 = performance.now();
    console.log(`(b) API: traffic query to completed ${ms(q1 - q0)}, download ${ms(q2 - q1)} (${(dl.text.length / 1e6).toFixed(1)} MB), workloads list ${ms(q3 - q2)} (${(wl.text.length / 1e6).toFixed(1)} MB) [${load()}]`);

    const page = await signedIn(pce, b, '/labels');
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      await page.goto('about:blank');
      const t0 = Date.now();
      await page.goto(`${pce.url}/#/traffic-map?view=workloads&range=7d`);
      await page.waitForSelector('[data-testid="traffic-map-canvas"][data-frames]', { timeout: 120_000 });
      times.push(Date.now() - t0);
    }
    const summary = page.getByTestId('map-summary');
    console.log(`(b) map of ${await summary.getAttribute('data-nodes')} nodes, ${await summary.getAttribute('data-edges')} edges (${await summary.getAttribute('data-flows')} flows): navigation → first drawn map ${times.map(ms).join(', ')} (traffic query, download, aggregation, layout, first render) [${load()}]`);

    const canvas = page.getByTestId('traffic-map-canvas');
    const box = await canvas.boundingBox();
    if (!box) throw new Error('no canvas');
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    for (let round = 1; round <= 3; round++) {
      await page.getByTestId('map-fit').click();
      await page.waitForTimeout(300);
      // Drag: 120 moves in a loop (a real hand moves the map back and forth).
      let renders = Number(await canvas.getAttribute('data-renders'));
      await startFrames(page);
      await page.mouse.move(cx, cy);
      await page.mouse.down();
      for (let i = 0; i <= 120; i++) await page.mouse.move(cx + Math.sin((i / 120) * Math.PI * 2) * box.width * 0.3, cy + Math.sin((i / 60) * Math.PI * 2) * box.height * 0.2);
      await page.mouse.up();
      report(`round ${round}, drag (fit view)`, await stopFrames(page, renders));
      // Wheel: zoom in 12 notches over the middle, then out again, ~30 ms apart.
      renders = Number(await canvas.getAttribute('data-renders'));
      await startFrames(page);
      for (let i = 0; i < 24; i++) {
        await page.mouse.wheel(0, i < 12 ? -120 : 120);
        await page.waitForTimeout(30);
      }
      await page.waitForTimeout(400);
      report(`round ${round}, wheel zoom in ×12 and out ×12 (then settle)`, await stopFrames(page, renders));
      // Drag while zoomed in (the pan leaves the bitmap's margin now and then).
      for (let i = 0; i < 8; i++) await page.mouse.wheel(0, -120);
      await page.waitForTimeout(400);
      renders = Number(await canvas.getAttribute('data-renders'));
      await startFrames(page);
      await page.mouse.move(cx, cy);
      await page.mouse.down();
      for (let i = 0; i <= 120; i++) await page.mouse.move(cx - i * 6, cy - i * 3);
      await page.mouse.up();
      report(`round ${round}, long drag zoomed in ×${(1.24 ** 8).toFixed(1)}`, await stopFrames(page, renders));
    }
    await b.screenshot(page, 'bench-traffic-map-2000');
  } finally {
    await b.close();
    await pce.close();
  }
}

console.log(`console bench: Chromium headless --disable-gpu, ${RUNS} runs, 2 cores shared [${load()}]`);
await workloadsBench();
await mapBench();

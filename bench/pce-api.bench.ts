/**
 * Issue 2 figures: with 10,000 workloads stored, GET /workloads?max_results=500 under 100
 * concurrent requests (p50/p99, target p99 ≤ 50 ms); provisioning a draft of 20,000 rules
 * (2,000 rule sets × 10) on SQLite and on PostgreSQL (target ≤ 2 s each).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { request, Agent } from 'undici';
import pino from 'pino';
import { startPce, type RunningPce } from '@palisade/pce/main.ts';
import { provision } from '@palisade/pce/services/provisioning.ts';
import type { Principal } from '@palisade/pce/auth/principal.ts';
import { startPostgres } from '../test/support/postgres.ts';

const quiet = pino({ level: 'silent' });

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function seedWorkloads(pce: RunningPce, n: number): Promise<void> {
  const { store, env } = pce.pce;
  const labelIds: number[] = [];
  await store.transaction(async (tx) => {
    for (const [key, count] of [['role', 20], ['app', 50], ['env', 4], ['loc', 6]] as const) {
      for (let i = 0; i < count; i++) {
        const id = await tx.nextId(1, 'labels');
        const now = env.now().toISOString();
        await tx.insertLabel({ org_id: 1, id, key, value: `${key}-${i}`, created_at: now, updated_at: now });
        labelIds.push(id);
      }
    }
  });
  for (let start = 0; start < n; start += 1000) {
    await store.transaction(async (tx) => {
      for (let i = start; i < Math.min(n, start + 1000); i++) {
        const now = env.now().toISOString();
        const w = {
          name: `host-${i}`, hostname: `host-${i}.example.test`, description: '', public_ip: null,
          interfaces: [{ name: 'eth0', address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, cidr_block: 16 }],
          os_type: 'linux', os_version: '', enforcement_mode: 'full', visibility_level: 'flow_summary', ven_id: null, created_at: now, updated_at: now,
        };
        await tx.insertWorkload({ org_id: 1, id: env.uuid(), data: JSON.stringify(w), label_ids: [labelIds[i % 20] ?? 1, labelIds[20 + (i % 50)] ?? 1, labelIds[70 + (i % 4)] ?? 1], created_at: now, updated_at: now });
      }
    });
  }
}

/** The PCE under load runs in its own process (as in production), not beside the load generator. */
async function spawnPce(dataDir: string, db?: string): Promise<{ url: string; stop: () => void }> {
  const args = ['bin/palisade.mjs', 'pce', 'start', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--tls', 'off', '--rate-limit', '0', ...(db ? ['--db', db] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PALISADE_LOG_LEVEL: 'silent' } });
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+)/.exec(out);
      if (m?.[1]) ok(m[1]);
    });
    child.once('exit', (code) => fail(new Error(`PCE exited with ${code}: ${out}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

/**
 * Load from wrk (C, its own process) when it is installed — a Node client on the same two
 * cores measures itself more than the PCE — else from undici in this process.
 */
async function listBench(baseUrl: string, key: { key_id: string; secret: string }, label: string): Promise<void> {
  const auth = 'Basic ' + Buffer.from(`${key.key_id}:${key.secret}`).toString('base64');
  const url = `${baseUrl}/api/v2/orgs/1/workloads?max_results=500`;
  // Steady state: a fresh PCE builds its policy engine (CPU-bound, seconds at this size) in
  // the background at start; asking for one plan waits until it is built.
  const first = await request(url, { headers: { authorization: auth } });
  const ids = (JSON.parse(await first.body.text()) as { href: string }[]).map((w) => w.href);
  const warm = performance.now();
  await (await request(`${baseUrl}/api/v2${ids[0] ?? ''}/policy`, { headers: { authorization: auth } })).body.text();
  console.log(`${label}: policy engine warm after ${((performance.now() - warm) / 1000).toFixed(1)} s`);
  let ran = false;
  for (const [encoding, headers] of [['gzip (as SDK clients ask)', ['-H', 'Accept-Encoding: gzip']], ['identity', []]] as const) {
    const wrk = spawnSync('wrk', ['-t1', '-c100', '-d10s', '--latency', '-H', `Authorization: ${auth}`, ...headers, url], { encoding: 'utf8' });
    if (wrk.status !== 0) break;
    ran = true;
    const grab = (re: RegExp): string => re.exec(wrk.stdout)?.[1] ?? '?';
    console.log(`${label}: GET /workloads?max_results=500, 10,000 stored, 100 concurrent connections for 10 s (wrk), ${encoding}: p50 ${grab(/50%\s+(\S+)/)}, p90 ${grab(/90%\s+(\S+)/)}, p99 ${grab(/99%\s+(\S+)/)}, ${grab(/Requests\/sec:\s+(\S+)/)} req/s (target p99 ≤ 50 ms)`);
  }
  if (ran) return;
  const dispatcher = new Agent({ connections: 100, pipelining: 1 });
  const one = async (): Promise<number> => {
    const t = performance.now();
    const res = await request(url, { headers: { authorization: auth }, dispatcher });
    const body = await res.body.text();
    if (res.statusCode !== 200 || body.length < 1000) throw new Error(`unexpected ${res.statusCode}`);
    return performance.now() - t;
  };
  for (let i = 0; i < 20; i++) await one(); // warm up
  const lat: number[] = [];
  const total = 2000;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      while (next < total) {
        next++;
        lat.push(await one());
      }
    }),
  );
  const secs = (performance.now() - started) / 1000;
  lat.sort((a, b) => a - b);
  console.log(`${label}: GET /workloads?max_results=500, 10,000 stored, 100 concurrent (undici in-process; install wrk for a fairer load), ${total} requests: p50 ${pct(lat, 50).toFixed(1)} ms, p99 ${pct(lat, 99).toFixed(1)} ms, ${(total / secs).toFixed(0)} req/s (target p99 ≤ 50 ms)`);
  await dispatcher.close();
}

async function provisionBench(pce: RunningPce, label: string): Promise<void> {
  const { store, env } = pce.pce;
  const key = pce.adminKey;
  if (!key) throw new Error('no admin key');
  const labels = await store.read((tx) => tx.listLabels(1, { limit: 100 }));
  const hrefs = labels.rows.map((l) => `/orgs/1/labels/${l.id}`);
  const now = env.now().toISOString();
  await store.transaction(async (tx) => {
    for (let s = 0; s < 2000; s++) {
      const id = String(await tx.nextId(1, 'rule_sets'));
      const rules = [];
      for (let r = 0; r < 10; r++) {
        rules.push({
          id: String(await tx.nextId(1, 'rules')), enabled: true, description: '', sec_connect: r === 0, unscoped_consumers: false,
          providers: [{ label: { href: hrefs[(s + r) % hrefs.length] } }], consumers: [{ label: { href: hrefs[(s * 7 + r) % hrefs.length] } }],
          ingress_services: [{ proto: 6, port: 1000 + r }],
        });
      }
      const data = { id, name: `rs-${s}`, description: '', enabled: true, scopes: [[{ label: { href: hrefs[70 + (s % 4)] } }]], rules, deny_rules: [], created_at: now, updated_at: now };
      await tx.putDraft({ org_id: 1, type: 'rule_sets', id, data: JSON.stringify(data), change: 'create', updated_at: now, updated_by: null });
    }
  });
  const p: Principal = { org: 1, keyId: key.key_id, userId: 1, username: 'owner', role: 'owner' };
  const t = performance.now();
  const res = await provision(pce.pce, p, { update_description: 'bench: 20,000 rules' });
  const ms = performance.now() - t;
  console.log(`provision 2,000 rule sets / 20,000 rules on ${label}: ${(ms / 1000).toFixed(2)} s (version ${res.version}, ${res.warnings.length} warnings; target ≤ 2 s)`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-'));
  const sqlite = await startPce({ dataDir: dir, listen: '127.0.0.1:0', tls: 'off', rateLimitPerMinute: 0, logger: quiet });
  try {
    const t = performance.now();
    await seedWorkloads(sqlite, 10_000);
    console.log(`seeded 10,000 workloads in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await provisionBench(sqlite, 'SQLite');
    const key = sqlite.adminKey;
    await sqlite.close();
    if (!key) throw new Error('no admin key');
    const server = await spawnPce(dir);
    try {
      await listBench(server.url, key, 'SQLite');
    } finally {
      server.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const pg = await startPostgres();
  const dir2 = mkdtempSync(join(tmpdir(), 'palisade-bench-'));
  const pgPce = await startPce({ dataDir: dir2, listen: '127.0.0.1:0', tls: 'off', rateLimitPerMinute: 0, logger: quiet, db: pg.url });
  try {
    await seedWorkloads(pgPce, 10_000);
    await provisionBench(pgPce, 'PostgreSQL');
    const key = pgPce.adminKey;
    await pgPce.close();
    if (!key) throw new Error('no admin key');
    const server = await spawnPce(dir2, pg.url);
    try {
      await listBench(server.url, key, 'PostgreSQL');
    } finally {
      server.stop();
    }
  } finally {
    await pg.stop();
    rmSync(dir2, { recursive: true, force: true });
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
}

await main();

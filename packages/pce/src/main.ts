/**
 * Starting a PCE: open the store (the only place that picks an implementation), create org 1
 * and its owner key on first start, make the self-signed certificate, serve the API.
 */
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createHttpServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { withHotLists } from './api/hot-lists.ts';
import pino, { type Logger } from 'pino';
import { invalid } from '@palisade/core/errors.ts';
import { buildApp } from './api/app.ts';
import { RouteRegistry } from './api/route-registry.ts';
import { registerRoutes } from './api/routes.ts';
import { ApiKeyAuth } from './auth/api-key-auth.ts';
import { RateLimiter } from './auth/rate-limiter.ts';
import { systemEnv, type PceEnv } from './env.ts';
import { writeFileAtomic } from './files.ts';
import { Metrics } from './metrics.ts';
import { ListCache } from './services/list-cache.ts';
import { ComputeService } from './compute/compute-service.ts';
import { AgentHub } from './agents/agent-hub.ts';
import { VenStateWriter } from './agents/ven-state-writer.ts';
import { PskCache } from './agents/psk-cache.ts';
import { FlowIngest } from './flows/flow-ingest.ts';
import { scheduleFlowRetention } from './flows/flow-retention.ts';
import type { Pce } from './pce.ts';
import { createOrg, type NewApiKey } from './services/orgs.ts';
import { openStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';
import { loadOrCreateTls } from './tls.ts';
import { hashPassword } from './auth/secrets.ts';

export const PCE_VERSION = '0.1.0';

export interface PceOptions {
  readonly dataDir: string;
  /** `HOST:PORT` or `[v6]:PORT`; port 0 picks a free one. Default 127.0.0.1:8443. */
  readonly listen?: string;
  /** `sqlite:PATH` or `postgres://…`; default SQLite under the data dir. */
  readonly db?: string;
  readonly tls?: 'auto' | 'off';
  /** Requests a minute per API key (0 = unlimited). Default 500, as Illumio's. */
  readonly rateLimitPerMinute?: number;
  readonly logger?: Logger;
  readonly env?: PceEnv;
  /** Flows last seen longer ago than this are deleted (default 30 days). */
  readonly flowRetentionDays?: number;
  /** How often old flows are purged (default hourly). */
  readonly flowPurgeIntervalMs?: number;
}

export interface RunningPce {
  readonly url: string;
  readonly port: number;
  readonly fingerprint: string | null;
  readonly adminKeyPath: string;
  /** Present on the first start only (the key is printed once). */
  readonly adminKey: NewApiKey | undefined;
  /** The owner's console password file (user name and password, 0600, next to the key). */
  readonly consolePasswordPath: string;
  /** Present on the first start only: the owner's console sign-in. */
  readonly consolePassword: { readonly username: string; readonly password: string } | undefined;
  readonly pce: Pce;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw invalid('invalid_listen', `--listen "${listen}" is not HOST:PORT; for example 127.0.0.1:8443 or [::1]:8443`);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

async function bootstrap(store: Store, env: PceEnv, keyPath: string, passwordPath: string): Promise<{ key: NewApiKey; console: { username: string; password: string } } | undefined> {
  const created = await store.transaction(async (tx) => {
    if (await tx.getOrg(1)) return undefined;
    const k = await createOrg(tx, env, 'Default', 'owner');
    // The owner also gets a console password (CSPRNG, 128 bits), written like the key.
    const pw = env.randomHex(16);
    const owner = await tx.getUserByUsername('owner');
    if (owner) await tx.setUserPassword(owner.org_id, owner.id, hashPassword(pw));
    return { key: k, password: pw };
  });
  if (!created) return undefined;
  const { key, password } = created;
  await writeFileAtomic(keyPath, JSON.stringify({ org_id: key.org_id, key_id: key.key_id, secret: key.secret }, null, 2) + '\n', 0o600);
  await writeFileAtomic(passwordPath, JSON.stringify({ username: 'owner', password }, null, 2) + '\n', 0o600);
  return { key, console: { username: 'owner', password } };
}

export async function startPce(opts: PceOptions): Promise<RunningPce> {
  const dataDir = resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const { host, port } = parseListen(opts.listen ?? '127.0.0.1:8443');
  const log = opts.logger ?? pino({ level: process.env['PALISADE_LOG_LEVEL'] ?? 'info' });
  const env = opts.env ?? systemEnv(log);
  const store = await openStore(opts.db, dataDir);
  const adminKeyPath = join(dataDir, 'admin-api-key.json');
  const consolePasswordPath = join(dataDir, 'owner-console-password.json');
  let server: Server | undefined;
  let stopRetention = (): void => undefined;
  try {
    const retentionDays = opts.flowRetentionDays ?? 30;
    if (!(retentionDays > 0)) throw invalid('invalid_flow_retention', `flowRetentionDays must be a positive number of days, not ${retentionDays}`);
    const boot = await bootstrap(store, env, adminKeyPath, consolePasswordPath);
    const adminKey = boot?.key;
    const compute = new ComputeService(store);
    const tls = opts.tls === 'off' ? undefined : await loadOrCreateTls(dataDir, host, env.now());
    const pce: Pce = {
      version: PCE_VERSION,
      tlsFingerprint: tls?.fingerprint ?? null,
      store,
      env,
      auth: new ApiKeyAuth(store, () => env.now().getTime()),
      limiter: new RateLimiter({ perMinute: opts.rateLimitPerMinute ?? 500, now: () => env.now().getTime() }),
      registry: new RouteRegistry(),
      metrics: new Metrics(),
      workloadLists: new ListCache(2_000, () => env.now().getTime()),
      compute,
      agents: new AgentHub(() => env.now().getTime()),
      venState: new VenStateWriter(store, env),
      psk: new PskCache(store, () => env.now().getTime()),
      flows: new FlowIngest(store, compute, env),
    };
    stopRetention = scheduleFlowRetention(pce, retentionDays, opts.flowPurgeIntervalMs ?? 3_600_000);
    registerRoutes(pce);
    // Build each org's policy engine in the background, so the first provision, plan
    // request or agent connection does not pay for it.
    void store
      .read((tx) => tx.listOrgs())
      .then((orgs) => Promise.all(orgs.map((o) => pce.compute.engine(o.id))))
      .catch((err: unknown) => log.error({ err }, 'building the policy engines failed; they will be built on first use'));
    const listener = withHotLists(pce, getRequestListener(buildApp(pce).fetch));
    server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, listener) : createHttpServer(listener);
    server.keepAliveTimeout = 65_000;
    const s = server;
    await new Promise<void>((ok, fail) => {
      s.once('error', fail);
      s.listen(port, host, () => ok());
    });
    const bound = (s.address() as AddressInfo).port;
    const shownHost = host.includes(':') ? `[${host}]` : host;
    const url = `${tls ? 'https' : 'http'}://${shownHost}:${bound}`;
    log.info({ url, db: store.dialect, tls: tls !== undefined }, 'PCE listening');
    return {
      url,
      port: bound,
      fingerprint: tls?.fingerprint ?? null,
      adminKeyPath,
      adminKey,
      consolePasswordPath,
      consolePassword: boot?.console,
      pce,
      close: async () => {
        stopRetention();
        await new Promise<void>((ok) => {
          s.close(() => ok());
          s.closeAllConnections();
        });
        await pce.venState.drain();
        await store.close();
      },
    };
  } catch (err) {
    stopRetention();
    server?.close();
    await store.close();
    throw err;
  }
}

export function adminKeyExists(dataDir: string): boolean {
  return existsSync(join(resolve(dataDir), 'admin-api-key.json'));
}

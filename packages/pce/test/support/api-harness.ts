/**
 * A PCE for API tests: started in-process on a free loopback port (plain HTTP) in a temp
 * data dir, with `api(method, path, body?, {key, headers})` speaking to it as a client would.
 * Every response body is kept (`bodies`) so a test can grep a whole run for a secret.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startPce, type RunningPce } from '../../src/main.ts';
import { createOrg } from '../../src/services/orgs.ts';

export interface Key {
  readonly key_id: string;
  readonly secret: string;
}

export interface ApiOptions {
  /** API key; default the org-1 owner key. `null` sends no credentials. */
  readonly key?: Key | null;
  readonly headers?: Record<string, string>;
  /** Send this string as the body verbatim (malformed JSON). */
  readonly raw?: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed JSON, or undefined when the body is empty or not JSON. */
  readonly body: unknown;
}

export interface TestPce {
  readonly running: RunningPce;
  readonly owner: Key;
  readonly url: string;
  readonly bodies: string[];
  api(method: string, path: string, body?: unknown, opts?: ApiOptions): Promise<ApiResponse>;
  /** A second org with its owner key. */
  newOrg(name: string, owner: string): Promise<Key & { org_id: number }>;
  close(): Promise<void>;
}

export interface StartOptions {
  readonly rateLimitPerMinute?: number;
  readonly db?: string;
}

export function basic(key: Key): string {
  return `Basic ${Buffer.from(`${key.key_id}:${key.secret}`).toString('base64')}`;
}

export async function startTestPce(opts: StartOptions = {}): Promise<TestPce> {
  const dataDir = await mkdtemp(join(tmpdir(), 'palisade-api-test-'));
  const running = await startPce({
    dataDir,
    listen: '127.0.0.1:0',
    tls: 'off',
    rateLimitPerMinute: opts.rateLimitPerMinute ?? 0,
    logger: pino({ level: process.env['PALISADE_TEST_LOG_LEVEL'] ?? 'silent' }),
    ...(opts.db !== undefined ? { db: opts.db } : {}),
  });
  const adminKey = running.adminKey;
  if (!adminKey) throw new Error('a fresh PCE must create its owner key');
  const owner: Key = { key_id: adminKey.key_id, secret: adminKey.secret };
  const bodies: string[] = [];
  const api = async (method: string, path: string, body?: unknown, o: ApiOptions = {}): Promise<ApiResponse> => {
    const headers: Record<string, string> = { Accept: 'application/json', ...(o.headers ?? {}) };
    const key = o.key === undefined ? owner : o.key;
    if (key !== null) headers['Authorization'] = basic(key);
    let payload: string | undefined;
    if (o.raw !== undefined) payload = o.raw;
    else if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['Content-Type'] = 'application/json';
    const full = path.startsWith('/api/') || path === '/metrics' ? path : `/api/v2${path}`;
    const res = await fetch(`${running.url}${full}`, { method: method.toUpperCase(), headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await res.text();
    bodies.push(text);
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
  };
  return {
    running,
    owner,
    url: running.url,
    bodies,
    api,
    newOrg: async (name, ownerName) => {
      const k = await running.pce.store.transaction((tx) => createOrg(tx, running.pce.env, name, ownerName));
      return { key_id: k.key_id, secret: k.secret, org_id: k.org_id };
    },
    close: async () => {
      await running.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A JSON object from a response (fails the test otherwise). */
export function obj(r: ApiResponse): Record<string, unknown> {
  if (typeof r.body !== 'object' || r.body === null || Array.isArray(r.body)) throw new Error(`expected a JSON object, got ${r.status} ${r.text.slice(0, 500)}`);
  return r.body as Record<string, unknown>;
}

export function arr(r: ApiResponse): Record<string, unknown>[] {
  if (!Array.isArray(r.body)) throw new Error(`expected a JSON array, got ${r.status} ${r.text.slice(0, 500)}`);
  return r.body as Record<string, unknown>[];
}

export function hrefOf(r: ApiResponse): string {
  const h = obj(r)['href'];
  if (typeof h !== 'string') throw new Error(`no href in ${r.status} ${r.text.slice(0, 500)}`);
  return h;
}

/** The error body shape of DESIGN §6: `[{token, message}]` with Content-Type exactly application/json. */
export function errorTokens(r: ApiResponse): string[] {
  if (r.headers.get('content-type') !== 'application/json') throw new Error(`error Content-Type is ${String(r.headers.get('content-type'))}`);
  if (!Array.isArray(r.body) || r.body.length === 0) throw new Error(`error body is not a non-empty array: ${r.text.slice(0, 500)}`);
  return (r.body as unknown[]).map((e) => {
    if (typeof e !== 'object' || e === null) throw new Error(`error entry is not an object: ${r.text.slice(0, 500)}`);
    const { token, message } = e as { token?: unknown; message?: unknown };
    if (typeof token !== 'string' || typeof message !== 'string') throw new Error(`error entry lacks token/message: ${r.text.slice(0, 500)}`);
    return token;
  });
}

export function errorText(r: ApiResponse): string {
  return r.text;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((ok) => setTimeout(ok, ms));
}

/** Common fixtures: labels, a workload, an IP list. */
export async function label(t: TestPce, key: string, value: string, k?: Key): Promise<string> {
  const r = await t.api('post', '/orgs/1/labels', { key, value }, k ? { key: k } : {});
  if (r.status !== 201) throw new Error(`label create: ${r.status} ${r.text}`);
  return hrefOf(r);
}

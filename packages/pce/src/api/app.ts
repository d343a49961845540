/**
 * The HTTP edge: one Hono app, one error handler. Everything below it is plain functions
 * over the store; this file only authenticates, checks org and role, rate-limits, parses
 * and shapes answers per the Illumio conventions of DESIGN §6.
 */
import { Hono, type Context } from 'hono';
import { forbidden, invalid, notFound, PalisadeError } from '@palisade/core/errors.ts';
import { roleAtLeast } from '@palisade/core/model/users.ts';
import type { Principal } from '../auth/principal.ts';
import type { Pce } from '../pce.ts';
import { errorResponse, toErrorResponse } from './http-errors.ts';
import { mount, parseBody, parseMaxResults, MAX_MAX_RESULTS, type ApiRequest, type ApiResult, type RegisteredRoute } from './route-registry.ts';
import { startCollectionJob } from '../services/jobs.ts';
import { openApiDocument } from './openapi.ts';
import { mountAgentRoutes } from '../agents/agent-routes.ts';
import { mountFlowAgentRoutes } from '../flows/flow-routes.ts';
import { authenticateRequest, mountSessionRoutes, withoutBasicChallenge } from './session-routes.ts';
import { mountConsoleStatic } from './console-static.ts';

const MAX_BODY_BYTES = 32 * 1024 * 1024;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });
}

/**
 * A cached body sent as is: no copy and no re-encoding per request (a 300 kB list copied or
 * encoded on every request was most of the cost of answering it). Buffers that Node makes
 * (Buffer.from, zlib) sit on a plain ArrayBuffer, which is what Response's type asks for.
 */
function cachedBytes(b: Buffer): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

export function toResponse(r: ApiResult, acceptEncoding = ''): Response {
  if ('list' in r) return json(200, r.list, { 'X-Total-Count': String(r.total) });
  if ('text' in r) return new Response(r.text, { status: r.status, headers: { 'Content-Type': r.contentType } });
  if ('rawList' in r) {
    const headers = { 'Content-Type': 'application/json', 'X-Total-Count': String(r.total), Vary: 'Accept-Encoding' };
    if (r.gzipped && /\bgzip\b/.test(acceptEncoding)) return new Response(cachedBytes(r.gzipped()), { status: 200, headers: { ...headers, 'Content-Encoding': 'gzip' } });
    return new Response(r.utf8 ? cachedBytes(r.utf8()) : r.rawList, { status: 200, headers });
  }
  if (r.status === 204) return new Response(null, { status: 204 });
  return json(r.status, r.body, r.headers);
}

async function readJson(c: Context): Promise<unknown> {
  const len = Number(c.req.header('content-length') ?? '0');
  if (len > MAX_BODY_BYTES) throw new PalisadeError('invalid', [{ token: 'request_too_large', message: `the body is larger than ${MAX_BODY_BYTES} bytes` }]);
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid('input_validation_error', 'the request body is not valid JSON');
  }
}

function orgOf(c: Context, p: Principal): number {
  const raw = c.req.param('org');
  if (raw === undefined) return p.org;
  if (!/^[1-9][0-9]{0,9}$/.test(raw)) throw notFound('org_not_found', `no org "${raw}"`);
  const org = Number(raw);
  if (org !== p.org) throw forbidden('org_forbidden', `this API key belongs to org ${p.org}; it cannot reach org ${org}`);
  return org;
}

export function buildApp(pce: Pce): Hono {
  const app = new Hono();
  const { metrics, env } = pce;

  const wrap = (r: RegisteredRoute) => async (c: Context): Promise<Response> => {
    const started = performance.now();
    let status = 500;
    try {
      const principal = await authenticateRequest(pce, c);
      const wait = pce.limiter.take(principal.keyId);
      if (wait > 0) throw new PalisadeError('rate_limited', [{ token: 'too_many_requests', message: `rate limit of this API key reached; retry in ${wait} s` }], wait);
      const org = orgOf(c, principal);
      const needed = r.spec.role ?? 'read_only';
      if (!roleAtLeast(principal.role, needed)) {
        throw forbidden('insufficient_role', `this API key has the role ${principal.role}; ${r.spec.method.toUpperCase()} ${r.spec.path} needs ${needed} or higher`);
      }
      const query = new URL(c.req.url).searchParams;
      const wantsAsync = r.spec.collection === true && /respond-async/i.test(c.req.header('prefer') ?? '');
      const limit = r.spec.collection ? (wantsAsync && !query.has('max_results') ? MAX_MAX_RESULTS : parseMaxResults(query)) : 0;
      const body = r.spec.method === 'get' || r.spec.method === 'delete' ? undefined : parseBody(r.spec, await readJson(c));
      const req: ApiRequest = { principal, org, params: c.req.param() as Record<string, string>, query, body, limit, c };
      const res = wantsAsync ? await startCollectionJob(pce, req, r) : toResponse(await r.handler(req), c.req.header('accept-encoding'));
      status = res.status;
      return res;
    } catch (err) {
      const res = withoutBasicChallenge(c, toErrorResponse(err, c, env.log));
      status = res.status;
      return res;
    } finally {
      metrics.observeRequest(r.spec.method, r.spec.path, status, (performance.now() - started) / 1000);
    }
  };

  // Clients probe /health on connect and send their credentials with it: accept both.
  app.get('/api/v2/health', () => json(200, [{ status: 'normal', type: 'standalone', version: pce.version, uptime_seconds: Math.floor(process.uptime()), tls_fingerprint_sha256: pce.tlsFingerprint }]));
  app.get('/api/v2/openapi.json', () => json(200, openApiDocument(pce.registry, pce.version)));
  app.get('/metrics', async () => new Response(await metrics.render(), { headers: { 'Content-Type': metrics.contentType } }));
  mountAgentRoutes(app, pce, pce.agents);
  mountFlowAgentRoutes(app, pce);
  mountSessionRoutes(app, pce);
  mountConsoleStatic(app);
  mount(app, pce.registry, wrap);
  app.notFound((c) => errorResponse(404, [{ token: 'not_found', message: `no route ${c.req.method} ${c.req.path}` }]));
  app.onError((err, c) => toErrorResponse(err, c, env.log));
  return app;
}

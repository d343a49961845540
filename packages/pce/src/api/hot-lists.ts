/**
 * The hot path for the API's busiest request: a client polling a cached collection (SDKs and
 * scripts list workloads again and again). When everything the answer needs is already in
 * this process's memory — a recently verified API key whose secret matches, a rate-limit
 * token, the rendered list — it is written on node:http directly, without building a Fetch
 * Request, a Hono context and a Response for it. Under 100 concurrent clients that pipeline
 * was most of the CPU per request and most of the garbage (whose collections are the pauses
 * the slowest requests wait behind).
 *
 * It only ever answers 200 with the bytes and headers the full path would send; anything else
 * (a cache miss or an expired entry, a key not verified here lately, a wrong secret, another
 * org, a console cookie, `Prefer: respond-async`, a bad `max_results`) goes to the full path,
 * which authenticates, refreshes and reports errors as usual. Same rate limit, same metrics.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Pce } from '../pce.ts';
import { parseMaxResults } from './route-registry.ts';
import { workloadListKey } from './workload-routes.ts';

const WORKLOADS = /^\/api\/v2\/orgs\/([1-9][0-9]{0,9})\/workloads(?:\?([^#]*))?$/;
const ROUTE = '/orgs/:org/workloads';

export function withHotLists(pce: Pce, next: RequestListener): RequestListener {
  return (req, res) => {
    if (req.method !== 'GET' || !answerFromMemory(pce, req, res)) next(req, res);
  };
}

function answerFromMemory(pce: Pce, req: IncomingMessage, res: ServerResponse): boolean {
  const started = performance.now();
  const m = WORKLOADS.exec(req.url ?? '');
  if (!m || req.headers.prefer !== undefined) return false;
  const principal = pce.auth.cachedPrincipal(req.headers.authorization);
  if (!principal || String(principal.org) !== m[1]) return false;
  const query = new URLSearchParams(m[2] ?? '');
  let limit: number;
  try {
    limit = parseMaxResults(query);
  } catch {
    return false;
  }
  const list = pce.workloadLists.peek(principal.org, workloadListKey(limit, query));
  // Over the limit, the full path answers the 429 (taking again takes nothing more then).
  if (!list || pce.limiter.take(principal.keyId) > 0) return false;
  const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const body = gzip ? list.gzipped() : list.utf8();
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'X-Total-Count': String(list.total),
    Vary: 'Accept-Encoding',
    ...(gzip ? { 'Content-Encoding': 'gzip' } : {}),
    'Content-Length': String(body.length),
  });
  res.end(body);
  pce.metrics.hotAnswers.inc();
  pce.metrics.observeRequest('get', ROUTE, 200, (performance.now() - started) / 1000);
  return true;
}

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
import type { CachedList } from '../services/list-cache.ts';
import { parseMaxResults } from './route-registry.ts';
import { workloadListKey } from './workload-routes.ts';

const WORKLOADS = /^\/api\/v2\/orgs\/([1-9][0-9]{0,9})\/workloads(?:\?([^#]*))?$/;
const ROUTE = '/orgs/:org/workloads';

/** A request line's org and list-cache key, parsed once per distinct URL (clients poll the same few). */
interface ListTarget {
  readonly org: string;
  readonly key: string;
}
const targets = new Map<string, ListTarget>();
const MAX_TARGETS = 1024;

/** The org and list key of a workload-list URL; undefined for anything the full path must judge (it reports the error). */
function listTarget(url: string): ListTarget | undefined {
  const known = targets.get(url);
  if (known) return known;
  const m = WORKLOADS.exec(url);
  if (!m?.[1]) return undefined;
  const query = new URLSearchParams(m[2] ?? '');
  let limit: number;
  try {
    limit = parseMaxResults(query);
  } catch {
    return undefined;
  }
  if (targets.size >= MAX_TARGETS) targets.clear();
  const target = { org: m[1], key: workloadListKey(limit, query) };
  targets.set(url, target);
  return target;
}

/**
 * The response headers of a cached list, per encoding, built once per rendering: a flat
 * [name, value, …] list, which `writeHead` only reads (it is shared by every answer).
 */
const headersOf = new WeakMap<CachedList, { gzip?: string[]; identity?: string[] }>();

function listHeaders(list: CachedList, gzip: boolean): string[] {
  let h = headersOf.get(list);
  if (!h) headersOf.set(list, (h = {}));
  const made = gzip ? h.gzip : h.identity;
  if (made) return made;
  const common = ['Content-Type', 'application/json', 'X-Total-Count', String(list.total), 'Vary', 'Accept-Encoding'];
  if (gzip) return (h.gzip = [...common, 'Content-Encoding', 'gzip', 'Content-Length', String(list.gzipped().length)]);
  return (h.identity = [...common, 'Content-Length', String(list.utf8().length)]);
}

export function withHotLists(pce: Pce, next: RequestListener): RequestListener {
  return (req, res) => {
    if (req.method !== 'GET' || !answerFromMemory(pce, req, res)) next(req, res);
  };
}

function answerFromMemory(pce: Pce, req: IncomingMessage, res: ServerResponse): boolean {
  const started = performance.now();
  const target = listTarget(req.url ?? '');
  if (!target || req.headers.prefer !== undefined) return false;
  const principal = pce.auth.cachedPrincipal(req.headers.authorization, req.socket);
  if (!principal || String(principal.org) !== target.org) return false;
  const list = pce.workloadLists.peek(principal.org, target.key);
  // Over the limit, the full path answers the 429 (taking again takes nothing more then).
  if (!list || pce.limiter.take(principal.keyId) > 0) return false;
  const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  res.writeHead(200, listHeaders(list, gzip));
  res.end(gzip ? list.gzipped() : list.utf8());
  pce.metrics.hotAnswers.inc();
  pce.metrics.observeRequest('get', ROUTE, 200, (performance.now() - started) / 1000);
  return true;
}

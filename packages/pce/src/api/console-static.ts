/**
 * The web console's files (`packages/console/dist`, built by `npm run build:console`):
 * `index.html` at `/`, everything else under `/console/`. Files are read per request, so a
 * rebuild shows without a restart; the names are not content-hashed, so browsers revalidate
 * (`no-cache` + ETag → 304) rather than cache blindly. Only regular files inside dist are
 * served: `..`, dot files, backslashes and NUL are refused before the path is resolved, and
 * the resolved path must still be inside dist (symlinks out of it are refused too).
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, Hono } from 'hono';
import { errorResponse } from './http-errors.ts';

export const DEFAULT_CONSOLE_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../../console/dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** Headers of every console file; the HTML page also gets a strict CSP (the app needs nothing else). */
const COMMON = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache', 'Referrer-Policy': 'no-referrer' };
const PAGE = {
  ...COMMON,
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Frame-Options': 'DENY',
};

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Palisade</title></head>
<body><h1>The Palisade console is not built</h1>
<p>The PCE is running and its API answers at <code>/api/v2</code>, but the console's files are missing.
Build them with <code>npm run build:console</code> (in the Palisade checkout), then reload this page.</p>
</body></html>
`;

/** The file under dist for a URL path relative to it, or undefined when the path is not acceptable. */
export function consolePath(dist: string, rel: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch {
    return undefined;
  }
  if (decoded === '' || decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const parts = decoded.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.startsWith('.'))) return undefined;
  const full = resolve(dist, ...parts);
  return full.startsWith(dist + sep) ? full : undefined;
}

async function serveFile(c: Context, dist: string, file: string, headers: Record<string, string>): Promise<Response | undefined> {
  try {
    const real = await realpath(file);
    const realDist = await realpath(dist);
    if (!real.startsWith(realDist + sep)) return undefined;
    const st = await stat(real);
    if (!st.isFile()) return undefined;
    const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
    const type = TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream';
    if (c.req.header('if-none-match') === etag) return new Response(null, { status: 304, headers: { ...headers, ETag: etag } });
    const body = await readFile(real);
    return new Response(new Uint8Array(body), { status: 200, headers: { ...headers, 'Content-Type': type, ETag: etag, 'Content-Length': String(body.length) } });
  } catch {
    return undefined;
  }
}

export function mountConsoleStatic(app: Hono, dist: string = DEFAULT_CONSOLE_DIST): void {
  const root = resolve(dist);
  app.get('/', async (c) => {
    const res = await serveFile(c, root, join(root, 'index.html'), PAGE);
    return res ?? new Response(NOT_BUILT, { status: 503, headers: { ...PAGE, 'Content-Type': 'text/html; charset=utf-8' } });
  });
  app.get('/console/*', async (c) => {
    const file = consolePath(root, c.req.path.slice('/console/'.length));
    const res = file === undefined ? undefined : await serveFile(c, root, file, file.endsWith('.html') ? PAGE : COMMON);
    return res ?? errorResponse(404, [{ token: 'not_found', message: `no console file ${c.req.path}` }]);
  });
}

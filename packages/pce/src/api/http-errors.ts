/**
 * The one place where errors become HTTP answers: `[{"token","message"}]` with
 * `Content-Type: application/json` exactly (clients compare it), never a 5xx for bad input.
 */
import type { Context } from 'hono';
import { type ErrorKind, PalisadeError } from '@palisade/core/errors.ts';
import type { Logger } from 'pino';

const STATUS: Record<ErrorKind, number> = {
  invalid: 406,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

export function statusOf(kind: ErrorKind): number {
  return STATUS[kind];
}

export function errorResponse(status: number, details: readonly { token: string; message: string }[], headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(details.map((d) => ({ token: d.token, message: d.message }))), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

export function toErrorResponse(err: unknown, c: Context, log: Logger): Response {
  if (err instanceof PalisadeError) {
    const headers: Record<string, string> = {};
    if (err.retryAfter !== undefined) headers['Retry-After'] = String(Math.ceil(err.retryAfter));
    if (err.kind === 'unauthenticated') headers['WWW-Authenticate'] = 'Basic realm="palisade"';
    return errorResponse(statusOf(err.kind), err.details, headers);
  }
  log.error({ err, method: c.req.method, path: c.req.path }, 'unhandled error');
  return errorResponse(500, [{ token: 'internal_error', message: 'The PCE hit an internal error; it has been logged.' }]);
}

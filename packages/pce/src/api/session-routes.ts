/**
 * Console sign-in over HTTP (issue 7): `POST /api/v2/login` {username, password} sets the
 * session cookie, `GET` says who is signed in, `DELETE` signs out. User names are unique per
 * PCE (users.username), so the user name alone finds the org.
 *
 * `authenticateRequest` is what app.ts calls for every API route: Basic auth as before, or
 * the session cookie when the request carries `X-Palisade-Console: 1` and no Authorization.
 * The session's principal has the user's role, so every route's role check applies as is.
 *
 * `PUT /users/:user/password` sets a console password: your own (through the console with
 * your current password), or, for an owner or admin, that of a user of your org whose role
 * is not above yours. It ends that user's sessions.
 */
import type { IncomingMessage } from 'node:http';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { forbidden, invalid } from '@palisade/core/errors.ts';
import { parseInput } from '@palisade/core/validate.ts';
import { roleAtLeast } from '@palisade/core/model/users.ts';
import type { Principal } from '../auth/principal.ts';
import { clearedSessionCookie, consoleSessionsOf, ABSOLUTE_MS, sessionCookie, type SessionInfo } from '../auth/console-sessions.ts';
import { hashPassword, verifyPassword } from '../auth/secrets.ts';
import type { Pce } from '../pce.ts';
import type { UserRow } from '../store/store.ts';
import { recordEvent } from '../services/events.ts';
import { requireUser } from '../services/orgs.ts';
import { errorResponse, toErrorResponse } from './http-errors.ts';
import type { RouteRegistry } from './route-registry.ts';

export const CONSOLE_HEADER = 'x-palisade-console';

const LoginSchema = z.object({
  username: z.string().min(1, 'enter your user name').max(255),
  password: z.string().min(1, 'enter your password').max(1024),
});

const PasswordSchema = z.object({
  password: z.string().min(12, 'a password has at least 12 characters').max(1024),
  /** Required when you change your own password through a console session. */
  current_password: z.string().max(1024).optional(),
});

export function isConsoleRequest(c: Context): boolean {
  return c.req.header(CONSOLE_HEADER) === '1';
}

/** The caller of an API route: API key (Basic), or console session with the console header. */
export async function authenticateRequest(pce: Pce, c: Context): Promise<Principal> {
  const authorization = c.req.header('authorization');
  if (authorization === undefined && c.req.header(CONSOLE_HEADER) === '1') return (await consoleSessionsOf(pce).authenticate(c.req.header('cookie'))).principal;
  return pce.auth.authenticate(authorization);
}

/** A browser must not answer a console 401 with its own Basic-auth dialog. */
export function withoutBasicChallenge(c: Context, res: Response): Response {
  if (res.status === 401 && isConsoleRequest(c)) res.headers.delete('WWW-Authenticate');
  return res;
}

function clientIp(c: Context): string {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket.remoteAddress ?? 'unknown';
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers } });
}

function whoAmI(user: UserRow, expiresAt: number): unknown {
  return {
    href: `/users/${user.id}`,
    username: user.username,
    full_name: user.full_name,
    role: user.role,
    org_id: user.org_id,
    org: { href: `/orgs/${user.org_id}` },
    expires_at: new Date(expiresAt).toISOString(),
  };
}

async function readBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.length > 16_384) throw invalid('request_too_large', 'the sign-in request is too large');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid('input_validation_error', 'the request body is not valid JSON');
  }
}

export function mountSessionRoutes(app: Hono, pce: Pce): void {
  const sessions = consoleSessionsOf(pce);
  const guarded = (fn: (c: Context) => Promise<Response>) => async (c: Context): Promise<Response> => {
    try {
      // Only the console signs in: a cross-site form cannot send this header (login CSRF).
      if (!isConsoleRequest(c)) throw forbidden('console_header_required', 'Console sign-in requests must carry the header X-Palisade-Console: 1.');
      return await fn(c);
    } catch (err) {
      return withoutBasicChallenge(c, toErrorResponse(err, c, pce.env.log));
    }
  };

  app.post(
    '/api/v2/login',
    guarded(async (c) => {
      const body = parseInput(LoginSchema, await readBody(c));
      const { token, user } = await sessions.signIn(body.username, body.password, clientIp(c));
      await pce.store.transaction((tx) =>
        recordEvent(tx, pce.env, user.org_id, { org: user.org_id, keyId: `console:${user.username}`, userId: user.id, username: user.username, role: user.role }, 'user.sign_in', [
          { resource: { type: 'user', href: `/users/${user.id}`, name: user.username }, change_type: 'create' },
        ]),
      );
      const expires = pce.env.now().getTime() + ABSOLUTE_MS;
      return json(200, whoAmI(user, expires), { 'Set-Cookie': sessionCookie(token, Math.floor(ABSOLUTE_MS / 1000)) });
    }),
  );
  app.get(
    '/api/v2/login',
    guarded(async (c) => {
      const s: SessionInfo = await sessions.authenticate(c.req.header('cookie'));
      return json(200, whoAmI(s.user, s.expiresAt));
    }),
  );
  app.delete(
    '/api/v2/login',
    guarded(async (c) => {
      await sessions.signOut(c.req.header('cookie'));
      return new Response(null, { status: 204, headers: { 'Set-Cookie': clearedSessionCookie(), 'Cache-Control': 'no-store' } });
    }),
  );
  app.all('/api/v2/login', (c) => errorResponse(405, [{ token: 'method_not_allowed', message: `${c.req.method} /api/v2/login: use POST (sign in), GET (who am I) or DELETE (sign out)` }]));
}

/** Routes through the registry (Basic auth or a session): setting a console password. */
export function sessionRoutes(r: RouteRegistry, pce: Pce): void {
  r.add({ method: 'put', path: '/users/:user/password', summary: 'Set a console password (yours, or as owner/admin that of a user of your org)', tag: 'users', body: PasswordSchema, palisade: true }, async (q) => {
    const body = q.body as z.infer<typeof PasswordSchema>;
    const p = q.principal;
    await pce.store.transaction(async (tx) => {
      const u = await requireUser(tx, p, q.params['user'] ?? '');
      const self = u.id === p.userId;
      if (!self && !roleAtLeast(p.role, u.role)) throw forbidden('insufficient_role', `a ${p.role} cannot set the password of a ${u.role}`);
      if (self && p.keyId.startsWith('console:') && u.password_hash !== null && !verifyPassword(body.current_password ?? '', u.password_hash)) {
        // 406 at the field, not 401: the session itself is fine, and a console treats 401 as signed out.
        throw invalid('invalid_current_password', 'body.current_password: the current password is wrong');
      }
      await tx.setUserPassword(p.org, u.id, hashPassword(body.password));
      await tx.deleteConsoleSessionsOfUser(p.org, u.id);
      await recordEvent(tx, pce.env, p.org, p, 'user.update_password', [{ resource: { type: 'user', href: `/users/${u.id}`, name: u.username }, change_type: 'update' }]);
    });
    consoleSessionsOf(pce).forgetUser(Number(q.params['user']));
    return { status: 204 };
  });
}

/**
 * Console sign-in: a user name and password (scrypt, users.password_hash) buy a session
 * cookie. The session lives in the database (console_sessions), so every PCE process over
 * one PostgreSQL accepts it; only the sha256 of its 256-bit random token is stored.
 *
 * - A session ends after IDLE_MS without requests, and ABSOLUTE_MS after sign-in regardless.
 * - Wrong user name and wrong password answer the same 401 (and cost the same scrypt), so
 *   the answer does not say which user names exist. Failures are counted per user name and
 *   client address, and per address: past the limit sign-in answers 429 with Retry-After.
 *   These counters are per process (a guessing client spread over N processes gets N times
 *   the attempts, still bounded).
 * - The API takes the cookie only together with `X-Palisade-Console: 1` (app.ts): a form on
 *   another site cannot set that header, and the cookie is SameSite=Strict besides.
 * - Verified sessions are cached CACHE_MS per process, like API keys: a sign-out or a
 *   password change reaches the other processes within that time.
 */
import { PalisadeError, unauthenticated } from '@palisade/core/errors.ts';
import type { PceEnv } from '../env.ts';
import type { Pce } from '../pce.ts';
import type { Store, UserRow } from '../store/store.ts';
import type { Principal } from './principal.ts';
import { hashPassword, sha256Hex, verifyPasswordAsync } from './secrets.ts';

export const SESSION_COOKIE = 'palisade_session';
export const IDLE_MS = 30 * 60_000;
export const ABSOLUTE_MS = 12 * 3_600_000;
/** last_seen_at is written at most this often per session (not on every request). */
const TOUCH_MS = 60_000;
const CACHE_MS = 5_000;
const CACHE_MAX = 10_000;
/** Failed sign-ins allowed per (user name, address) and per address within FAILURE_WINDOW_MS. */
export const MAX_FAILURES_PER_USER = 5;
export const MAX_FAILURES_PER_ADDRESS = 30;
const FAILURE_WINDOW_MS = 15 * 60_000;

const WRONG = 'The user name or password is wrong.';
/** Verified against when the user does not exist, so both failures take as long. */
const DUMMY_HASH = hashPassword('palisade-no-such-user');

export interface SignedIn {
  readonly token: string;
  readonly user: UserRow;
}

export interface SessionInfo {
  readonly principal: Principal;
  readonly user: UserRow;
  readonly expiresAt: number;
}

interface Cached {
  readonly info: SessionInfo;
  readonly createdAt: number;
  lastSeenAt: number;
  readonly at: number;
}

/** The session token from a Cookie header, or undefined. */
export function sessionTokenOf(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const v = part.slice(eq + 1).trim();
      return /^[0-9a-f]{64}$/.test(v) ? v : undefined;
    }
  }
  return undefined;
}

export function sessionCookie(token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=${maxAgeSeconds}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=0`;
}

export class ConsoleSessions {
  readonly #store: Store;
  readonly #env: PceEnv;
  readonly #cache = new Map<string, Cached>();
  readonly #failures = new Map<string, number[]>();

  constructor(store: Store, env: PceEnv) {
    this.#store = store;
    this.#env = env;
  }

  #now(): number {
    return this.#env.now().getTime();
  }

  /** Seconds until another attempt is allowed for this key, 0 when allowed now. */
  #blockedFor(key: string, max: number, now: number): number {
    const recent = (this.#failures.get(key) ?? []).filter((t) => now - t < FAILURE_WINDOW_MS);
    if (recent.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, recent);
    const oldest = recent[0];
    return recent.length >= max && oldest !== undefined ? Math.max(1, Math.ceil((oldest + FAILURE_WINDOW_MS - now) / 1000)) : 0;
  }

  #fail(keys: readonly string[], now: number): void {
    if (this.#failures.size > CACHE_MAX) this.#failures.clear();
    for (const k of keys) this.#failures.set(k, [...(this.#failures.get(k) ?? []), now]);
  }

  async signIn(username: string, password: string, clientIp: string): Promise<SignedIn> {
    const now = this.#now();
    const userKey = `u:${username.toLowerCase()}|${clientIp}`;
    const ipKey = `a:${clientIp}`;
    const wait = Math.max(this.#blockedFor(userKey, MAX_FAILURES_PER_USER, now), this.#blockedFor(ipKey, MAX_FAILURES_PER_ADDRESS, now));
    if (wait > 0) throw new PalisadeError('rate_limited', [{ token: 'too_many_sign_in_attempts', message: `Too many failed sign-ins; try again in ${wait} s.` }], wait);

    const user = await this.#store.read((tx) => tx.getUserByUsername(username));
    const ok = (await verifyPasswordAsync(password, user?.password_hash ?? DUMMY_HASH)) && user?.password_hash != null;
    if (!ok || !user) {
      this.#fail([userKey, ipKey], now);
      throw unauthenticated('invalid_credentials', WRONG);
    }
    this.#failures.delete(userKey);
    const token = this.#env.randomHex(32);
    await this.#store.transaction(async (tx) => {
      await tx.deleteExpiredConsoleSessions(now - IDLE_MS, now - ABSOLUTE_MS);
      await tx.insertConsoleSession({ token_hash: sha256Hex(token), org_id: user.org_id, user_id: user.id, created_at: now, last_seen_at: now, client_ip: clientIp });
    });
    return { token, user };
  }

  /** The session of a Cookie header; 401 when absent, unknown or expired. */
  async authenticate(cookieHeader: string | undefined): Promise<SessionInfo> {
    const token = sessionTokenOf(cookieHeader);
    if (!token) throw unauthenticated('authentication_required', 'Sign in to the console (or send an API key with HTTP Basic auth).');
    const hash = sha256Hex(token);
    const now = this.#now();
    const cached = this.#cache.get(hash);
    if (cached && now - cached.at < CACHE_MS && this.#live(cached.createdAt, cached.lastSeenAt, now)) {
      await this.#touch(hash, cached, now);
      return cached.info;
    }
    this.#cache.delete(hash);
    const found = await this.#store.read(async (tx) => {
      const s = await tx.getConsoleSession(hash);
      return s && { s, user: await tx.getUser(s.org_id, s.user_id) };
    });
    if (!found || !found.user || found.user.password_hash === null) throw unauthenticated('session_expired', 'Your session has ended; sign in again.');
    const { s, user } = found;
    if (!this.#live(s.created_at, s.last_seen_at, now)) {
      await this.#store.transaction((tx) => tx.deleteConsoleSession(hash));
      throw unauthenticated('session_expired', 'Your session has ended; sign in again.');
    }
    const principal: Principal = { org: user.org_id, keyId: `console:${user.username}`, userId: user.id, username: user.username, role: user.role };
    const entry: Cached = { info: { principal, user, expiresAt: s.created_at + ABSOLUTE_MS }, createdAt: s.created_at, lastSeenAt: s.last_seen_at, at: now };
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(hash, entry);
    await this.#touch(hash, entry, now);
    return entry.info;
  }

  #live(createdAt: number, lastSeenAt: number, now: number): boolean {
    return now - lastSeenAt < IDLE_MS && now - createdAt < ABSOLUTE_MS;
  }

  async #touch(hash: string, entry: Cached, now: number): Promise<void> {
    if (now - entry.lastSeenAt < TOUCH_MS) return;
    entry.lastSeenAt = now;
    await this.#store.transaction((tx) => tx.touchConsoleSession(hash, now));
  }

  async signOut(cookieHeader: string | undefined): Promise<void> {
    const token = sessionTokenOf(cookieHeader);
    if (!token) return;
    const hash = sha256Hex(token);
    this.#cache.delete(hash);
    await this.#store.transaction((tx) => tx.deleteConsoleSession(hash));
  }

  /** After a password change: the user's sessions end (in this process at once). */
  forgetUser(userId: number): void {
    for (const [k, v] of this.#cache) if (v.info.user.id === userId) this.#cache.delete(k);
  }
}

const perPce = new WeakMap<Pce, ConsoleSessions>();

/** The PCE's console sessions (one per running PCE, made on first use). */
export function consoleSessionsOf(pce: Pce): ConsoleSessions {
  let s = perPce.get(pce);
  if (!s) {
    s = new ConsoleSessions(pce.store, pce.env);
    perPce.set(pce, s);
  }
  return s;
}

/**
 * Console sessions (issue 7) on SQLite and PostgreSQL, for real: the store queries, and the
 * ConsoleSessions rules over them with a clock the test moves (idle timeout, absolute
 * lifetime, shared between two stores on one database as two PCE processes would be).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import { ABSOLUTE_MS, ConsoleSessions, IDLE_MS, MAX_FAILURES_PER_USER, SESSION_COOKIE } from '../src/auth/console-sessions.ts';
import { hashPassword, sha256Hex } from '../src/auth/secrets.ts';
import type { PceEnv } from '../src/env.ts';
import type { Store, StoreTx } from '../src/store/store.ts';
import { newOrg, postgresBackend, sqliteBackend, T0 } from './store-contract-support.ts';

const MS0 = Date.parse(T0);

function clockEnv(): PceEnv & { advance(ms: number): void } {
  let t = MS0;
  let n = 0;
  return {
    now: () => new Date(t),
    randomHex: (bytes) => {
      n += 1;
      return n.toString(16).padStart(bytes * 2, '0');
    },
    uuid: () => '00000000-0000-4000-8000-000000000000',
    log: pino({ level: 'silent' }),
    advance(ms) {
      t += ms;
    },
  };
}

const cookie = (token: string): string => `other=1; ${SESSION_COOKIE}=${token}`;

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe(`console sessions: ${backend.name}`, () => {
    let store: Store;
    let again: () => Promise<Store>;
    let org = 0;
    let userId = 0;
    const tx = <T>(fn: (t: StoreTx) => Promise<T>): Promise<T> => store.transaction(fn);
    const read = <T>(fn: (t: StoreTx) => Promise<T>): Promise<T> => store.read(fn);

    before(() => backend.setup());
    after(() => backend.teardown());
    beforeEach(async () => {
      ({ store, again } = await backend.fresh());
      org = await tx((t) => newOrg(t));
      userId = await tx((t) => t.insertUser({ org_id: org, username: 'alice', full_name: 'Alice', password_hash: hashPassword('correct horse battery'), role: 'admin', created_at: T0 }));
    });
    afterEach(() => store.close());

    it('store: insert, get (millis as numbers), touch only forward, delete, expire, per user, setUserPassword', async () => {
      const row = { token_hash: 'a'.repeat(64), org_id: org, user_id: userId, created_at: MS0, last_seen_at: MS0, client_ip: '127.0.0.1' };
      await tx((t) => t.insertConsoleSession(row));
      assert.deepEqual(await read((t) => t.getConsoleSession(row.token_hash)), row);
      await tx((t) => t.touchConsoleSession(row.token_hash, MS0 + 5000));
      await tx((t) => t.touchConsoleSession(row.token_hash, MS0 + 1000));
      assert.equal((await read((t) => t.getConsoleSession(row.token_hash)))?.last_seen_at, MS0 + 5000);
      await tx((t) => t.insertConsoleSession({ ...row, token_hash: 'b'.repeat(64), last_seen_at: MS0 - 10 }));
      await tx((t) => t.insertConsoleSession({ ...row, token_hash: 'c'.repeat(64), created_at: MS0 - 10, last_seen_at: MS0 + 9000 }));
      assert.equal(await tx((t) => t.deleteExpiredConsoleSessions(MS0, MS0)), 2);
      assert.ok(await read((t) => t.getConsoleSession(row.token_hash)));
      assert.equal(await tx((t) => t.deleteConsoleSession(row.token_hash)), true);
      assert.equal(await tx((t) => t.deleteConsoleSession(row.token_hash)), false);
      await tx((t) => t.insertConsoleSession({ ...row, token_hash: 'd'.repeat(64) }));
      await tx((t) => t.insertConsoleSession({ ...row, token_hash: 'e'.repeat(64) }));
      assert.equal(await tx((t) => t.deleteConsoleSessionsOfUser(org, userId)), 2);
      assert.equal(await tx((t) => t.setUserPassword(org, userId, 'scrypt$1$00$00')), true);
      assert.equal((await read((t) => t.getUser(org, userId)))?.password_hash, 'scrypt$1$00$00');
      assert.equal(await tx((t) => t.setUserPassword(org + 1, userId, null)), false);
    });

    it('sign in stores only the token hash; the cookie authenticates with the user role, in another process too', async () => {
      const env = clockEnv();
      const s = new ConsoleSessions(store, env);
      const { token, user } = await s.signIn('alice', 'correct horse battery', '10.0.0.1');
      assert.equal(user.id, userId);
      assert.match(token, /^[0-9a-f]{64}$/);
      const stored = await read((t) => t.getConsoleSession(sha256Hex(token)));
      assert.ok(stored);
      assert.equal(await read((t) => t.getConsoleSession(token)), undefined);
      const info = await s.authenticate(cookie(token));
      assert.deepEqual(info.principal, { org, keyId: 'console:alice', userId, username: 'alice', role: 'admin' });
      // A second process on the same database knows the session…
      const store2 = await again();
      try {
        const s2 = new ConsoleSessions(store2, env);
        assert.equal((await s2.authenticate(cookie(token))).principal.username, 'alice');
        // …and a sign-out in the first reaches it (no cache entry older than its cache time).
        await s.signOut(cookie(token));
        env.advance(6_000);
        await assert.rejects(s2.authenticate(cookie(token)), /session has ended/);
      } finally {
        await store2.close();
      }
    });

    it('idle timeout and absolute lifetime end a session; activity keeps it alive until the absolute limit', async () => {
      const env = clockEnv();
      const s = new ConsoleSessions(store, env);
      const idle = (await s.signIn('alice', 'correct horse battery', '10.0.0.1')).token;
      env.advance(IDLE_MS + 1);
      await assert.rejects(s.authenticate(cookie(idle)), (e: Error) => /session has ended/.test(e.message));
      assert.equal(await read((t) => t.getConsoleSession(sha256Hex(idle))), undefined);

      const busy = (await s.signIn('alice', 'correct horse battery', '10.0.0.1')).token;
      const step = IDLE_MS / 2;
      let elapsed = 0;
      while (elapsed + step < ABSOLUTE_MS) {
        env.advance(step);
        elapsed += step;
        await s.authenticate(cookie(busy));
      }
      env.advance(ABSOLUTE_MS - elapsed);
      await assert.rejects(s.authenticate(cookie(busy)), /session has ended/);
    });

    it('wrong password and unknown user: the same 401; past the limit 429 with a wait; other addresses unaffected', async () => {
      const env = clockEnv();
      const s = new ConsoleSessions(store, env);
      const wrong = await s.signIn('alice', 'nope', '10.0.0.1').catch((e: unknown) => e);
      const unknown = await s.signIn('mallory', 'nope', '10.0.0.1').catch((e: unknown) => e);
      assert.ok(wrong instanceof Error && unknown instanceof Error);
      assert.equal(wrong.message, unknown.message);
      for (let i = 1; i < MAX_FAILURES_PER_USER; i++) await assert.rejects(s.signIn('alice', 'nope', '10.0.0.1'), /wrong/);
      await assert.rejects(s.signIn('alice', 'correct horse battery', '10.0.0.1'), (e: Error & { kind?: string; retryAfter?: number }) => e.kind === 'rate_limited' && (e.retryAfter ?? 0) > 0);
      assert.ok(await s.signIn('alice', 'correct horse battery', '10.0.0.2'));
      env.advance(15 * 60_000);
      assert.ok(await s.signIn('alice', 'correct horse battery', '10.0.0.1'));
    });

    it('a user without a console password cannot sign in; removing the password ends sessions', async () => {
      const env = clockEnv();
      const s = new ConsoleSessions(store, env);
      await tx((t) => t.insertUser({ org_id: org, username: 'keyonly', full_name: '', password_hash: null, role: 'owner', created_at: T0 }));
      await assert.rejects(s.signIn('keyonly', '', '10.0.0.3'), /wrong/);
      const { token } = await s.signIn('alice', 'correct horse battery', '10.0.0.1');
      await tx((t) => t.setUserPassword(org, userId, null));
      s.forgetUser(userId);
      await assert.rejects(s.authenticate(cookie(token)), /session has ended/);
    });
  });
}

/**
 * API-key authentication on a real SQLite store: every request is checked, the store is read
 * once per key however many requests wait for it, a key in use is re-read before its cache
 * entry expires (so an expiry never stalls the requests in flight), and a key deleted by
 * another process stops working within the cache lifetime.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ApiKeyAuth } from '../src/auth/api-key-auth.ts';
import { systemEnv } from '../src/env.ts';
import { createOrg, type NewApiKey } from '../src/services/orgs.ts';
import { openStore } from '../src/store/open-store.ts';
import type { Store } from '../src/store/store.ts';
import { PalisadeError } from '@palisade/core/errors.ts';

let dir: string;
let store: Store;
let key: NewApiKey;
/** Read transactions begun on the store: what the cache is meant to save. */
let reads = 0;
/** The same real store, counting its read transactions. */
let counted: Store;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palisade-auth-test-'));
  store = await openStore(undefined, dir);
  key = await store.transaction((tx) => createOrg(tx, systemEnv(pino({ level: 'silent' })), 'Default', 'owner'));
  counted = {
    ...store,
    read: (fn) => {
      reads++;
      return store.read(fn);
    },
  };
});
after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const basic = (id: string, secret: string): string => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

async function rejectsWith(p: Promise<unknown>, kind: 'unauthenticated' | 'forbidden', token: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof PalisadeError && e.kind === kind && e.token === token);
}

/** Lets the background re-read started by a request finish. */
const settle = (): Promise<void> => new Promise((ok) => setTimeout(ok, 20));

describe('API key authentication', () => {
  it('100 concurrent requests of a key not yet cached read the store once, and all pass', async () => {
    const c = clock();
    const auth = new ApiKeyAuth(counted, c.now);
    reads = 0;
    const principals = await Promise.all(Array.from({ length: 100 }, () => auth.authenticate(basic(key.key_id, key.secret))));
    assert.equal(reads, 1);
    for (const p of principals) assert.deepEqual({ org: p.org, keyId: p.keyId, role: p.role }, { org: 1, keyId: key.key_id, role: 'owner' });
  });

  it('a key in use is re-read in the background before it expires: no request waits for the store', async () => {
    const c = clock();
    const auth = new ApiKeyAuth(counted, c.now);
    await auth.authenticate(basic(key.key_id, key.secret));
    for (let i = 0; i < 10; i++) {
      c.advance(3_000); // past half of the 5 s lifetime, never past all of it
      reads = 0;
      await Promise.all(Array.from({ length: 50 }, () => auth.authenticate(basic(key.key_id, key.secret))));
      await settle();
      assert.equal(reads, 1, 'one background re-read per round, shared by the 50 requests');
    }
  });

  it('a wrong secret is refused every time, cached key or not', async () => {
    const auth = new ApiKeyAuth(counted, clock().now);
    await rejectsWith(auth.authenticate(basic(key.key_id, 'wrong')), 'unauthenticated', 'invalid_credentials');
    await auth.authenticate(basic(key.key_id, key.secret));
    await rejectsWith(auth.authenticate(basic(key.key_id, 'wrong')), 'unauthenticated', 'invalid_credentials');
    await rejectsWith(auth.authenticate(basic(key.key_id, `${key.secret}x`)), 'unauthenticated', 'invalid_credentials');
    await rejectsWith(auth.authenticate(basic('no-such-key', key.secret)), 'unauthenticated', 'invalid_credentials');
    await rejectsWith(auth.authenticate('Bearer x'), 'unauthenticated', 'authentication_required');
    await rejectsWith(auth.authenticate(undefined), 'unauthenticated', 'authentication_required');
    // The right secret still works after all that.
    assert.equal((await auth.authenticate(basic(key.key_id, key.secret))).keyId, key.key_id);
  });

  it('a key deleted by another process stops working once the cache lifetime has passed', async () => {
    const other = await store.transaction((tx) => createOrg(tx, systemEnv(pino({ level: 'silent' })), 'Other', 'owner-2'));
    const c = clock();
    const auth = new ApiKeyAuth(counted, c.now);
    await auth.authenticate(basic(other.key_id, other.secret));
    await store.transaction((tx) => tx.deleteApiKey(other.org_id, other.key_id));
    c.advance(5_001);
    await rejectsWith(auth.authenticate(basic(other.key_id, other.secret)), 'unauthenticated', 'invalid_credentials');
  });

  it('a key deleted meanwhile is dropped by the background re-read', async () => {
    const other = await store.transaction((tx) => createOrg(tx, systemEnv(pino({ level: 'silent' })), 'Other 2', 'owner-3'));
    const c = clock();
    const auth = new ApiKeyAuth(counted, c.now);
    await auth.authenticate(basic(other.key_id, other.secret));
    await store.transaction((tx) => tx.deleteApiKey(other.org_id, other.key_id));
    c.advance(3_000);
    await auth.authenticate(basic(other.key_id, other.secret)); // still within 5 s: answered from the cache, re-read starts
    await settle();
    await rejectsWith(auth.authenticate(basic(other.key_id, other.secret)), 'unauthenticated', 'invalid_credentials');
  });

  it('forget() while a read is under way: the key read before the delete is not cached back', async () => {
    const other = await store.transaction((tx) => createOrg(tx, systemEnv(pino({ level: 'silent' })), 'Other 3', 'owner-4'));
    const auth = new ApiKeyAuth(counted, clock().now);
    const first = auth.authenticate(basic(other.key_id, other.secret)); // its read is in flight
    await store.transaction((tx) => tx.deleteApiKey(other.org_id, other.key_id));
    auth.forget(other.key_id);
    await first.catch(() => undefined); // it may have read the key before the delete
    await rejectsWith(auth.authenticate(basic(other.key_id, other.secret)), 'unauthenticated', 'invalid_credentials');
  });
});

describe('cachedPrincipal on a keep-alive connection', () => {
  it('a header verified on a connection is answered again on it; any other header there is checked in full', async () => {
    const auth = new ApiKeyAuth(counted, clock().now);
    const right = basic(key.key_id, key.secret);
    const conn = {};
    assert.equal(auth.cachedPrincipal(right, conn), undefined, 'nothing verified yet');
    await auth.authenticate(right);
    assert.equal(auth.cachedPrincipal(right, conn)?.keyId, key.key_id);
    assert.equal(auth.cachedPrincipal(right, conn)?.keyId, key.key_id, 'again, now matched by the header it was verified with');
    const lastByte = right.slice(0, -2) + (right.at(-2) === 'A' ? 'B' : 'A') + right.slice(-1);
    for (const wrong of [basic(key.key_id, 'wrong'), basic(key.key_id, `${key.secret}x`), lastByte, basic('no-such-key', key.secret), 'Basic !!!']) {
      assert.equal(auth.cachedPrincipal(wrong, conn), undefined, wrong);
    }
    assert.equal(auth.cachedPrincipal(right, conn)?.keyId, key.key_id, 'the right header still works on it');
    assert.equal(auth.cachedPrincipal(right, {})?.keyId, key.key_id, 'and on another connection');
    assert.equal(auth.cachedPrincipal(right)?.keyId, key.key_id, 'and without one');
  });

  it('a key forgotten, deleted elsewhere or past its cache lifetime is not answered on a connection it was verified on', async () => {
    const other = await store.transaction((tx) => createOrg(tx, systemEnv(pino({ level: 'silent' })), 'Other conn', 'owner-5'));
    const header = basic(other.key_id, other.secret);
    const c = clock();
    const auth = new ApiKeyAuth(counted, c.now);
    const conn = {};
    await auth.authenticate(header);
    assert.equal(auth.cachedPrincipal(header, conn)?.keyId, other.key_id);
    auth.forget(other.key_id);
    assert.equal(auth.cachedPrincipal(header, conn), undefined, 'forgotten (deleted in this process)');

    await auth.authenticate(header);
    assert.equal(auth.cachedPrincipal(header, conn)?.keyId, other.key_id);
    c.advance(5_001);
    assert.equal(auth.cachedPrincipal(header, conn), undefined, 'past the cache lifetime');

    await auth.authenticate(header);
    assert.equal(auth.cachedPrincipal(header, conn)?.keyId, other.key_id);
    await store.transaction((tx) => tx.deleteApiKey(other.org_id, other.key_id));
    c.advance(3_000);
    assert.equal(auth.cachedPrincipal(header, conn)?.keyId, other.key_id, 'within the lifetime: answered, and the background re-read starts');
    await settle();
    assert.equal(auth.cachedPrincipal(header, conn), undefined, 'the re-read found it deleted elsewhere');
  });
});

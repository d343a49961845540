/**
 * The rendered-list cache on its own, with a clock the test moves: one read per expiry
 * however many callers wait, stale answers only within the generation, a source that says
 * "unchanged" keeps the rendering (and its gzip) instead of making new ones.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { ListCache, type ListAnswer } from '../src/services/list-cache.ts';

function harness(): { cache: ListCache; advance: (ms: number) => void } {
  let t = 0;
  return { cache: new ListCache(2_000, () => t), advance: (ms) => void (t += ms) };
}

/** A list source over `content`, counting reads and renderings, answering `unchanged` when it can. */
function source(content: { text: string }): { read: (previous: string | undefined) => Promise<ListAnswer>; reads: number; renders: number } {
  const s = {
    reads: 0,
    renders: 0,
    read: async (previous: string | undefined): Promise<ListAnswer> => {
      s.reads++;
      await new Promise((ok) => setTimeout(ok, 5));
      const version = `v:${content.text}`;
      if (version === previous) return { unchanged: true };
      s.renders++;
      return { version, total: content.text.length, body: JSON.stringify([content.text]) };
    },
  };
  return s;
}

/** Waits until `cond` holds (a background refresh finished); fails after 5 s. Not a timing assertion: load only makes it wait longer. */
async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !cond(); i++) await new Promise((ok) => setTimeout(ok, 5));
  assert.ok(cond(), what);
}

describe('list cache', () => {
  it('answers the same body as UTF-8 and gzip, both made once', async () => {
    const { cache } = harness();
    const src = source({ text: 'é'.repeat(1000) });
    const a = await cache.getOrCompute(1, 'k', src.read);
    const b = await cache.getOrCompute(1, 'k', src.read);
    assert.equal(a, b);
    assert.equal(a.utf8(), a.utf8(), 'encoded once');
    assert.equal(a.gzipped(), a.gzipped(), 'compressed once');
    assert.equal(a.utf8().toString('utf8'), a.body);
    assert.equal(gunzipSync(a.gzipped()).toString('utf8'), a.body);
    assert.equal(src.reads, 1);
  });

  it('50 concurrent callers of a cold key share one read', async () => {
    const { cache } = harness();
    const src = source({ text: 'x' });
    const all = await Promise.all(Array.from({ length: 50 }, () => cache.getOrCompute(1, 'k', src.read)));
    assert.equal(src.reads, 1);
    assert.ok(all.every((l) => l === all[0]));
  });

  it('after expiry the old answer is served while one refresh runs; an unchanged source keeps the rendering', async () => {
    const { cache, advance } = harness();
    const content = { text: 'a' };
    const src = source(content);
    const first = await cache.getOrCompute(1, 'k', src.read);
    advance(2_001);
    assert.equal(cache.peek(1, 'k'), undefined, 'expired, and no refresh running: the hot path must not answer it');
    const during = await Promise.all(Array.from({ length: 20 }, () => cache.getOrCompute(1, 'k', src.read)));
    assert.ok(during.every((l) => l === first), 'answered at once from the expired entry');
    assert.equal(cache.peek(1, 'k'), first, 'while the refresh runs, the hot path answers the expired entry too');
    await until('the refresh ran', () => cache.get(1, 'k') !== undefined);
    assert.equal(src.reads, 2, 'one refresh for the 20 callers');
    assert.equal(src.renders, 1, 'nothing changed: no new rendering');
    assert.equal(await cache.getOrCompute(1, 'k', src.read), first);
    assert.equal(src.reads, 2, 'the refreshed entry is fresh again');

    content.text = 'b'; // changed by another process: seen after the next expiry
    advance(2_001);
    assert.equal((await cache.getOrCompute(1, 'k', src.read)).body, '["a"]');
    await until('the refresh rendered the change', () => cache.get(1, 'k')?.body === '["b"]');
    assert.equal((await cache.getOrCompute(1, 'k', src.read)).body, '["b"]');
    assert.equal(src.renders, 2);
  });

  it('after invalidate() every caller waits for the store (no stale answer), and an unchanged list keeps its rendering', async () => {
    const { cache } = harness();
    const content = { text: 'a' };
    const src = source(content);
    const first = await cache.getOrCompute(1, 'k', src.read);
    cache.invalidate(1); // a write elsewhere in the org
    assert.equal(cache.get(1, 'k'), undefined);
    const refreshing = cache.getOrCompute(1, 'k', src.read);
    assert.equal(cache.peek(1, 'k'), undefined, 'after a write, not even while the refresh runs');
    await refreshing;
    assert.equal(await cache.getOrCompute(1, 'k', src.read), first);
    assert.equal(src.reads, 2);
    assert.equal(src.renders, 1);
    assert.equal(cache.peek(1, 'k'), first, 'fresh again');

    content.text = 'b';
    cache.invalidate(1); // a write to this list
    assert.equal((await cache.getOrCompute(1, 'k', src.read)).body, '["b"]', 'never the stale "a"');
    assert.equal(src.renders, 2);
  });

  it('a write during a refresh keeps its result out of the cache', async () => {
    const { cache } = harness();
    const content = { text: 'a' };
    const src = source(content);
    const pending = cache.getOrCompute(1, 'k', src.read);
    cache.invalidate(1);
    content.text = 'b';
    await pending;
    assert.equal((await cache.getOrCompute(1, 'k', src.read)).body, '["b"]');
  });

  it('orgs are separate: invalidating one leaves the other cached', async () => {
    const { cache } = harness();
    const src = source({ text: 'a' });
    await cache.getOrCompute(1, 'k', src.read);
    await cache.getOrCompute(2, 'k', src.read);
    cache.invalidate(1);
    assert.equal(cache.get(1, 'k'), undefined);
    assert.notEqual(cache.get(2, 'k'), undefined);
  });

  it('a failing source fails its callers and caches nothing', async () => {
    const { cache } = harness();
    let fail = true;
    const read = async (): Promise<ListAnswer> => {
      if (fail) throw new Error('store down');
      return { version: 'v', total: 0, body: '[]' };
    };
    await assert.rejects(Promise.all([cache.getOrCompute(1, 'k', read), cache.getOrCompute(1, 'k', read)]), /store down/);
    fail = false;
    assert.equal((await cache.getOrCompute(1, 'k', read)).body, '[]');
  });
});

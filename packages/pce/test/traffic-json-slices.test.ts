/**
 * A traffic query's result is serialised a slice at a time (jsonArrayInSlices), with turns of
 * the event loop between: the text must be exactly what one JSON.stringify makes, and other
 * work must get to run while a large result is serialised.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonArrayInSlices } from '../src/flows/traffic-queries.ts';

describe('traffic query results serialised in slices', () => {
  it('is JSON.stringify of the array, at every size around the slice bound', async () => {
    for (const n of [0, 1, 1999, 2000, 2001, 4500]) {
      const items = Array.from({ length: n }, (_, i) => ({ i, ip: `10.0.${i >> 8}.${i & 255}`, labels: i % 3 === 0 ? [] : [{ key: 'role', value: `r"${i}` }] }));
      assert.equal(await jsonArrayInSlices(items), JSON.stringify(items), `${n} items`);
    }
    assert.equal(await jsonArrayInSlices([undefined, null, 'é']), JSON.stringify([undefined, null, 'é']), 'undefined becomes null, as in an array');
  });

  it('lets other work run between slices of a large result', async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => ({ i }));
    let done = false;
    let turns = 0;
    const other = (async () => {
      while (!done) {
        await new Promise((ok) => setImmediate(ok));
        turns++;
      }
    })();
    const text = await jsonArrayInSlices(items);
    done = true;
    await other;
    assert.equal(text, JSON.stringify(items));
    assert.ok(turns >= 9, `other work ran ${turns} times while 10 slices were serialised`);
  });
});

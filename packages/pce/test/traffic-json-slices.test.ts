/**
 * A traffic query's result is serialised a slice at a time (jsonArrayInSlices), one flow per
 * line, with turns of the event loop between slices; its CSV is made from the stored text a
 * slice at a time too (storedFlowsToCsv), and results stored on one line (before) still
 * convert.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonArrayInSlices, storedFlowsToCsv, type RenderedFlow } from '../src/flows/traffic-queries.ts';

function flows(n: number): RenderedFlow[] {
  return Array.from({ length: n }, (_, i) => ({
    src: { ip: `10.0.${i >> 8}.${i & 255}` },
    dst: { ip: '10.1.0.1', workload: { href: '/orgs/1/workloads/w1', hostname: i % 2 ? 'db, "primary"' : 'db\nnewline', name: null, labels: [{ href: '/orgs/1/labels/1', key: 'role', value: 'db' }] } },
    service: { proto: 6, port: 5432 },
    num_connections: i,
    policy_decision: 'allowed',
    draft_policy_decision: 'blocked',
    flow_direction: 'inbound',
    state: 'allowed',
    timestamp_range: { first_detected: '2026-01-01T00:00:00.000Z', last_detected: '2026-01-01T00:01:00.000Z' },
    ...(i % 3 === 0 ? { bytes: { in: i, out: null } } : {}),
  })) as RenderedFlow[];
}

describe('traffic query results serialised in slices', () => {
  it('is the JSON array of the items, one item per line, at every size around the slice bound', async () => {
    for (const n of [0, 1, 1999, 2000, 2001, 4500]) {
      const items = flows(n);
      const text = await jsonArrayInSlices(items);
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(items)), `${n} items`);
      assert.equal(text.split('\n').length, n === 0 ? 1 : n + 2, 'a line per item, between "[" and "]"');
    }
    assert.equal(await jsonArrayInSlices([undefined, null, 'é']), '[\nnull,\nnull,\n"é"\n]', 'undefined becomes null, as in an array');
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
    assert.deepEqual(JSON.parse(text), items);
    assert.ok(turns >= 9, `other work ran ${turns} times while 10 slices were serialised`);
  });

  it('CSV from the stored text: the same for a result stored a line per flow and one stored on one line', async () => {
    for (const n of [0, 1, 2001]) {
      const items = flows(n);
      const csv = await storedFlowsToCsv(await jsonArrayInSlices(items));
      assert.equal(csv, await storedFlowsToCsv(JSON.stringify(items)), `${n} flows`);
      assert.equal(csv.split('\r\n').length, n + 2, 'header, a row per flow, final CRLF');
    }
    const [first, second] = (await storedFlowsToCsv(await jsonArrayInSlices(flows(2)))).split('\r\n').slice(1, 3);
    assert.ok(first?.startsWith('10.0.0.0,,,,10.1.0.1,/orgs/1/workloads/w1,"db\nnewline",role=db,6,5432,0,'), first);
    assert.ok(second?.includes(',"db, ""primary""",'), second);
  });
});

/**
 * Group commit of flow batches on its own, with a write function the test controls: what
 * arrives during a write goes in the next one, each caller gets its own answer, and a failing
 * group is written again batch by batch so only the bad batch fails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FlowBatchGroups, type FlowBatchEntry } from '../src/store/flow-batch-groups.ts';
import type { FlowBatchRow, NewFlowRow } from '../src/store/store.ts';

const batch = (id: string, flows = 1): FlowBatchRow => ({ org_id: 1, batch_id: id, reporter_workload: 'w', received_at: 0, flows, dropped: 0 });
const rows = (n: number): NewFlowRow[] => Array.from({ length: n }, () => ({}) as NewFlowRow);

/** A write that records each group's batch ids and finishes when the test says. */
function controlledWrite(answer: (id: string) => boolean | Error = () => true): { write: (g: readonly FlowBatchEntry[]) => Promise<readonly boolean[]>; groups: string[][]; release: () => void } {
  const groups: string[][] = [];
  let open: (() => void)[] = [];
  return {
    groups,
    release: () => {
      const o = open;
      open = [];
      for (const f of o) f();
    },
    write: async (g) => {
      groups.push(g.map((e) => e.batch.batch_id));
      await new Promise<void>((ok) => open.push(ok));
      return g.map((e) => {
        const a = answer(e.batch.batch_id);
        if (a instanceof Error) throw a;
        return a;
      });
    },
  };
}

const tick = (): Promise<void> => new Promise((ok) => setImmediate(ok));

describe('flow batch group commit', () => {
  it('batches that arrive during a write are written together in the next, each caller answered for its own', async () => {
    const w = controlledWrite((id) => id !== 'b3');
    const groups = new FlowBatchGroups(w.write, { writers: 1 });
    const first = groups.add(batch('b1'), rows(1));
    await tick();
    const later = [groups.add(batch('b2'), rows(1)), groups.add(batch('b3'), rows(1)), groups.add(batch('b4'), rows(1))];
    await tick();
    assert.deepEqual(w.groups, [['b1']], 'the others wait for the running write');
    w.release();
    assert.equal(await first, true);
    await tick();
    assert.deepEqual(w.groups, [['b1'], ['b2', 'b3', 'b4']]);
    w.release();
    assert.deepEqual(await Promise.all(later), [true, false, true], 'b3 was a resend');
    await groups.drained();
  });

  it('with two writers, two groups are written at once and what arrives meanwhile waits for the first free one', async () => {
    const w = controlledWrite();
    const groups = new FlowBatchGroups(w.write, { writers: 2 });
    const all = [groups.add(batch('a'), rows(1))];
    await tick();
    all.push(groups.add(batch('b'), rows(1)));
    await tick();
    assert.deepEqual(w.groups, [['a'], ['b']], 'both written at once');
    all.push(groups.add(batch('c'), rows(1)), groups.add(batch('d'), rows(1)));
    await tick();
    assert.equal(w.groups.length, 2, 'c and d wait');
    w.release();
    await tick();
    await tick();
    assert.deepEqual(w.groups.slice(2), [['c', 'd']], 'one group for what waited');
    w.release();
    assert.deepEqual(await Promise.all(all), [true, true, true, true]);
    await groups.drained();
  });

  it('a group takes batches up to the row bound (always at least one)', async () => {
    const w = controlledWrite();
    const groups = new FlowBatchGroups(w.write, { maxRows: 100, writers: 1 });
    const all = [groups.add(batch('a'), rows(10))];
    await tick();
    all.push(groups.add(batch('big'), rows(150)), groups.add(batch('c'), rows(60)), groups.add(batch('d'), rows(40)), groups.add(batch('e'), rows(1)));
    for (let i = 0; i < 4; i++) {
      w.release();
      await tick();
      await tick();
    }
    await Promise.all(all);
    assert.deepEqual(w.groups, [['a'], ['big'], ['c', 'd'], ['e']]);
  });

  it('a failing group is written again batch by batch: only the bad batch fails', async () => {
    const w = controlledWrite((id) => (id === 'bad' ? new Error('foreign key violation') : true));
    const groups = new FlowBatchGroups(w.write, { writers: 1 });
    const first = groups.add(batch('x'), rows(1));
    await tick();
    const results = [groups.add(batch('ok1'), rows(1)), groups.add(batch('bad'), rows(1)), groups.add(batch('ok2'), rows(1))].map((p) => p.then((v) => v, (e: Error) => e.message));
    const releasing = setInterval(w.release, 1);
    try {
      assert.equal(await first, true);
      assert.deepEqual(await Promise.all(results), [true, 'foreign key violation', true]);
    } finally {
      clearInterval(releasing);
    }
    assert.deepEqual(w.groups, [['x'], ['ok1', 'bad', 'ok2'], ['ok1'], ['bad'], ['ok2']]);
  });
});

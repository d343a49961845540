/** The on-disk flow buffer: order, resend with the same id and dropped count, restarts, bounds (age, size) with a dropped count. */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FlowRecord } from '../src/flows/flow-aggregator.ts';
import { FlowBuffer, type FlowBatch } from '../src/flows/flow-buffer.ts';

const dirs: string[] = [];
async function dataDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'palisade-flows-'));
  dirs.push(d);
  return d;
}

const flow = (port: number): FlowRecord => ({ src_ip: '198.51.100.2', dst_ip: '198.51.100.1', proto: 6, dst_port: port, direction: 'inbound', first_seen: '2026-01-01T00:00:00.000Z', last_seen: '2026-01-01T00:00:10.000Z', connections: 1, state: 'allowed' });
const batch = (id: string, at: number, n = 1): FlowBatch => ({ batch_id: id, at, flows: Array.from({ length: n }, (_, i) => flow(1000 + i)) });

async function drain(b: FlowBuffer): Promise<{ id: string; dropped: number }[]> {
  const out: { id: string; dropped: number }[] = [];
  for (let h = await b.head(); h; h = await b.head()) {
    out.push({ id: h.batch.batch_id, dropped: h.dropped });
    await b.ack(h.batch.batch_id);
  }
  return out;
}

describe('flow buffer', () => {
  after(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('hands batches out oldest first, the same head until it is acknowledged, across segments', async () => {
    const dir = await dataDir();
    const b = new FlowBuffer(dir, { segmentMaxAgeMs: 1_000 });
    const t0 = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 5; i++) await b.append(batch(`b${i}`, t0 + i * 600));
    assert.equal((await readdir(join(dir, 'flows'))).filter((n) => n.startsWith('seg-')).length, 3, 'rotated by age');
    const h1 = await b.head();
    const h2 = await b.head();
    assert.equal(h1?.batch.batch_id, 'b0');
    assert.equal(h2?.batch.batch_id, 'b0', 'not acknowledged: resent as it was');
    assert.deepEqual((await drain(b)).map((x) => x.id), ['b0', 'b1', 'b2', 'b3', 'b4']);
    assert.equal(await b.head(), undefined);
    // Fully acknowledged segments are deleted (the newest stays for appends).
    assert.ok((await readdir(join(dir, 'flows'))).filter((n) => n.startsWith('seg-')).length <= 1);
    assert.equal((await stat(join(dir, 'flows'))).mode & 0o777, 0o700);
  });

  it('a restart (a new FlowBuffer on the same directory) resumes after the last acknowledged batch', async () => {
    const dir = await dataDir();
    const t0 = Date.UTC(2026, 0, 1);
    const a = new FlowBuffer(dir);
    for (let i = 0; i < 4; i++) await a.append(batch(`r${i}`, t0 + i));
    const h = await a.head();
    await a.ack(h?.batch.batch_id ?? '');
    const sent = await a.head(); // r1 sent, answer lost, VEN restarts
    assert.equal(sent?.batch.batch_id, 'r1');
    const b = new FlowBuffer(dir);
    assert.deepEqual((await drain(b)).map((x) => x.id), ['r1', 'r2', 'r3'], 'r1 again (same id: the PCE stores it once), nothing lost');
  });

  it('bounded by age: whole segments older than maxAge go, oldest first, and their flows are reported as dropped with the next batch, also on resend', async () => {
    const dir = await dataDir();
    const t0 = Date.UTC(2026, 0, 1);
    const b = new FlowBuffer(dir, { maxAgeMs: 10_000, segmentMaxAgeMs: 1_000 });
    await b.append(batch('old1', t0, 3));
    await b.append(batch('old2', t0 + 2_000, 2));
    await b.append(batch('new', t0 + 20_000, 1));
    assert.equal(await b.trim(t0 + 20_000), 5);
    const h = await b.head();
    assert.deepEqual([h?.batch.batch_id, h?.dropped], ['new', 5]);
    // Not acknowledged yet: a resend carries the same dropped count, and a later trim does not change it.
    const again = new FlowBuffer(dir, { maxAgeMs: 10_000, segmentMaxAgeMs: 1_000 });
    assert.deepEqual(await drain(again), [{ id: 'new', dropped: 5 }]);
    await again.append(batch('next', t0 + 21_000));
    assert.deepEqual(await drain(again), [{ id: 'next', dropped: 0 }], 'reported once');
  });

  it('bounded by size: the oldest segments go until the buffer fits; unacknowledged batches of a trimmed segment only', async () => {
    const dir = await dataDir();
    const t0 = Date.UTC(2026, 0, 1);
    const b = new FlowBuffer(dir, { maxBytes: 4_000, segmentMaxBytes: 1_000 });
    for (let i = 0; i < 10; i++) await b.append(batch(`s${i}`, t0 + i, 4)); // ~1 KiB each: one segment each
    const h = await b.head();
    await b.ack(h?.batch.batch_id ?? ''); // s0 acknowledged: not counted when its segment goes
    const dropped = await b.trim(t0 + 10);
    assert.ok(dropped > 0 && dropped % 4 === 0, String(dropped));
    const rest = await drain(b);
    assert.equal(rest[0]?.dropped, dropped);
    assert.equal(rest.length + dropped / 4 + 1, 10, 'every batch either sent, dropped (and counted) or acknowledged before');
    assert.deepEqual(rest.map((x) => x.id), [...rest.map((x) => x.id)].sort(), 'still in order');
  });
});

/**
 * SQLite's WAL is checkpointed by a thread of its own (wal-checkpointer.ts): every
 * connection of the store has automatic checkpoints off, so without that thread the pages
 * written would stay in the WAL until the store closed. Real files, real threads; the waits
 * poll for what the thread does on its own (every 500 ms), they assert no timing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { SqliteFlowWriter } from '../src/store/sqlite/flow-writer.ts';
import { WalCheckpointer } from '../src/store/sqlite/wal-checkpointer.ts';
import type { NewFlowRow } from '../src/store/store.ts';
import { flowReport, newOrg, T0 } from './store-contract-support.ts';

const MS0 = Date.parse(T0);
const DAY0 = Math.floor(MS0 / 86_400_000);
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-wal-'));
  dirs.push(dir);
  return join(dir, 'palisade.db');
}

const size = (path: string): number => {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
};

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !cond(); i++) await new Promise((ok) => setTimeout(ok, 50));
  assert.ok(cond(), what);
}

/** `n` distinct summaries between the endpoints `eps` (each row a new key). */
function rows(org: number, eps: readonly number[], n: number, offset: number): NewFlowRow[] {
  return Array.from({ length: n }, (_, i) => ({
    ...flowReport(org),
    src_ep: eps[(i + offset) % eps.length] ?? -1,
    dst_ep: eps[Math.floor((i + offset) / eps.length) % eps.length] ?? -1,
    port: 1 + Math.floor((i + offset) / (eps.length * eps.length)),
  }));
}

const count = (path: string): number => {
  const db = new SQLite(path, { readonly: true });
  try {
    return (db.prepare('select count(*) as n from flow_summaries').get() as { n: number }).n;
  } finally {
    db.close();
  }
};

describe('SQLite WAL checkpoints', () => {
  it('flows written reach the database file while the store stays open (the checkpoint thread copies them)', async () => {
    const path = tempDb();
    const store = await openSqliteStore(path);
    try {
      const org = await store.transaction((t) => newOrg(t));
      const eps = await store.transaction((t) => t.flowEndpointIds(org, Array.from({ length: 100 }, (_, i) => ({ ip: `10.0.${i >> 8}.${i & 255}`, workload: null })), DAY0));
      const before = size(path);
      for (let b = 0; b < 10; b++) {
        const batch = { org_id: org, batch_id: `b-${b}`, reporter_workload: 'w1', received_at: MS0, flows: 2000, dropped: 0 };
        assert.equal(await store.addFlowBatch(batch, rows(org, eps, 2000, b * 2000)), true);
      }
      await until('the database file grew by the pages of 20,000 summaries', () => size(path) > before + 1_000_000);
      assert.equal(count(path), 20_000);
    } finally {
      await store.close();
    }
  });

  it('a WAL over the bound is checkpointed and emptied (TRUNCATE), so sustained writes cannot grow it without end', async () => {
    const path = tempDb();
    const store = await openSqliteStore(path);
    const org = await store.transaction((t) => newOrg(t));
    const eps = await store.transaction((t) => t.flowEndpointIds(org, Array.from({ length: 100 }, (_, i) => ({ ip: `10.1.${i >> 8}.${i & 255}`, workload: null })), DAY0));
    await store.close();
    const writer = new SqliteFlowWriter(path);
    const failures: unknown[] = [];
    const checkpointer = new WalCheckpointer(path, { truncatePages: 64, onFailure: (e) => failures.push(e) });
    try {
      for (let b = 0; b < 5; b++) {
        const batch = { org_id: org, batch_id: `t-${b}`, reporter_workload: 'w1', received_at: MS0, flows: 2000, dropped: 0 };
        assert.equal(await writer.add(batch, rows(org, eps, 2000, b * 2000)), true);
      }
      await until('the WAL was emptied', () => size(`${path}-wal`) === 0);
      assert.equal(count(path), 10_000, 'everything it held is in the database file');
      assert.deepEqual(failures, []);
    } finally {
      await writer.close();
      await checkpointer.close();
    }
  });
});

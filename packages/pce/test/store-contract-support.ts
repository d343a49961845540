/**
 * What the Store contract suite (store-contract.test.ts) runs on: the two backends, each
 * giving a fresh database per test, and builders of valid rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgresStore } from '../src/store/postgres/postgres-store.ts';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { DraftRow, LabelRow, NewFlowRow, RevisionRow, Store, StoreTx, WorkloadRow } from '../src/store/store.ts';
import { startPostgres, type TestPostgres } from '../../../test/support/postgres.ts';

export interface Backend {
  readonly name: 'sqlite' | 'postgres';
  setup(): Promise<void>;
  /** A store on a fresh database; `again` opens one more store on the same database. */
  fresh(): Promise<{ store: Store; again: () => Promise<Store> }>;
  /** The `--db` spec of a fresh database that nothing has opened yet. */
  unopened(): Promise<string>;
  teardown(): Promise<void>;
}

export function sqliteBackend(): Backend {
  let dir = '';
  let n = 0;
  return {
    name: 'sqlite',
    setup: async () => void (dir = mkdtempSync(join(tmpdir(), 'palisade-store-'))),
    async fresh() {
      const path = join(dir, `db-${++n}.sqlite`);
      return { store: await openSqliteStore(path), again: () => openSqliteStore(path) };
    },
    unopened: async () => `sqlite:${join(dir, `db-${++n}.sqlite`)}`,
    teardown: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function postgresBackend(): Backend {
  let pg: TestPostgres | undefined;
  const server = (): TestPostgres => {
    if (pg === undefined) throw new Error('PostgreSQL did not start');
    return pg;
  };
  return {
    name: 'postgres',
    setup: async () => void (pg = await startPostgres()),
    async fresh() {
      const url = await server().createDatabase();
      return { store: await openPostgresStore(url, { poolSize: 8 }), again: () => openPostgresStore(url, { poolSize: 2 }) };
    },
    unopened: () => server().createDatabase(),
    teardown: async () => pg?.stop(),
  };
}

export const T0 = '2026-01-01T00:00:00.000Z';
export const at = (s: number): string => new Date(Date.parse(T0) + s * 1000).toISOString();

/** A flow report's fields other than its endpoints: TCP 443 inbound at T0, allowed, no labels. */
export function flowReport(org: number): Omit<NewFlowRow, 'src_ep' | 'dst_ep'> {
  const ms0 = Date.parse(T0);
  return {
    org_id: org,
    src_set: null,
    dst_set: null,
    proto: 6,
    port: 443,
    direction: 'inbound',
    first_seen: ms0,
    last_seen: ms0 + 1000,
    connections: 1,
    bytes_in: null,
    bytes_out: null,
    state: 'allowed',
    policy_decision: 'allowed',
    draft_policy_decision: 'allowed',
  };
}

export async function newOrg(tx: StoreTx, name = 'acme'): Promise<number> {
  return tx.insertOrg({ name, created_at: T0, psk: 'a'.repeat(64), psk_previous: null, psk_generation: 1, psk_rotation_started_at: null });
}
export const label = (org: number, id: number, key: string, value: string): LabelRow => ({ org_id: org, id, key, value, created_at: T0, updated_at: T0 });
export function workload(org: number, id: string, w: { name?: string; hostname?: string; ven_id?: string }, labelIds: number[] = [], created = T0): WorkloadRow {
  const data = JSON.stringify({ name: w.name ?? null, hostname: w.hostname ?? null, ven_id: w.ven_id ?? null, labels: labelIds });
  return { org_id: org, id, data, label_ids: labelIds, created_at: created, updated_at: created };
}
export const draft = (org: number, type: DraftRow['type'], id: string, data: unknown, change: DraftRow['change']): DraftRow => ({
  org_id: org,
  type,
  id,
  data: data === null ? null : JSON.stringify(data),
  change,
  updated_at: T0,
  updated_by: null,
});
export const rev = (org: number, type: RevisionRow['type'], id: string, since: number, data: unknown): RevisionRow => ({
  org_id: org,
  type,
  id,
  since_version: since,
  until_version: null,
  data: JSON.stringify(data),
});
export const ids = (rows: readonly { id: string | number }[]): (string | number)[] => rows.map((r) => r.id);
export const ref = (href: string) => ({ href });

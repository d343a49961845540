/**
 * The Store contract: every test runs against SQLite (a temp file) and PostgreSQL (a
 * throwaway cluster, test/support/postgres.ts), for real. A fresh database per test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { isPalisadeError } from '@palisade/core/errors.ts';
import { openStore, parseDbSpec } from '../src/store/open-store.ts';
import type { Store, StoreTx } from '../src/store/store.ts';
import { at, draft, ids, label, newOrg, postgresBackend, ref, rev, sqliteBackend, T0, workload } from './store-contract-support.ts';

const OPEN_STORE = fileURLToPath(new URL('../src/store/open-store.ts', import.meta.url));

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe(`Store contract: ${backend.name}`, () => {
    let store: Store;
    let again: () => Promise<Store>;
    const tx = <T>(fn: (t: StoreTx) => Promise<T>): Promise<T> => store.transaction(fn);
    const read = <T>(fn: (t: StoreTx) => Promise<T>): Promise<T> => store.read(fn);

    before(() => backend.setup());
    after(() => backend.teardown());
    beforeEach(async () => void ({ store, again } = await backend.fresh()));
    afterEach(() => store.close());

    it('names its dialect', () => assert.equal(store.dialect, backend.name));

    it('orgs: insert assigns increasing ids; get, list, PSK rotation', async () => {
      const [a, b] = await tx(async (t) => [await newOrg(t, 'a'), await newOrg(t, 'b')]);
      assert.ok(b > a);
      await tx((t) => t.updateOrgPsk(a, { psk: 'b'.repeat(64), psk_previous: 'a'.repeat(64), psk_generation: 2, psk_rotation_started_at: at(1) }));
      const org = await read((t) => t.getOrg(a));
      assert.deepEqual(org, { id: a, name: 'a', created_at: T0, psk: 'b'.repeat(64), psk_previous: 'a'.repeat(64), psk_generation: 2, psk_rotation_started_at: at(1) });
      assert.deepEqual((await read((t) => t.listOrgs())).map((o) => o.name), ['a', 'b']);
      assert.equal(await read((t) => t.getOrg(b + 100)), undefined);
    });

    it('counters: per org and per name, increasing from 1', async () => {
      const got = await tx(async (t) => {
        const [a, b] = [await newOrg(t), await newOrg(t)];
        return [await t.nextId(a, 'labels'), await t.nextId(a, 'labels'), await t.nextId(b, 'labels'), await t.nextId(a, 'rule_sets'), await t.nextId(a, 'labels')];
      });
      assert.deepEqual(got, [1, 2, 1, 1, 3]);
    });

    it('concurrent nextId in parallel transactions yields distinct values', async () => {
      const org = await tx((t) => newOrg(t));
      const values = await Promise.all(Array.from({ length: 40 }, () => tx((t) => t.nextId(org, 'labels'))));
      assert.deepEqual([...values].sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 1));
    });

    it('lockOrg serializes two writers of one org', async () => {
      const org = await tx((t) => newOrg(t));
      const order: string[] = [];
      let locked = (): void => undefined;
      const firstLocked = new Promise<void>((r) => (locked = r));
      const first = tx(async (t) => {
        await t.lockOrg(org);
        locked();
        await new Promise((r) => setTimeout(r, 150));
        order.push('first done');
      });
      await firstLocked;
      const second = tx(async (t) => {
        await t.lockOrg(org);
        order.push('second locked');
      });
      await Promise.all([first, second]);
      assert.deepEqual(order, ['first done', 'second locked']);
    });

    it('a transaction that throws writes nothing; one that resolves commits and returns', async () => {
      const org = await tx((t) => newOrg(t));
      await assert.rejects(
        tx(async (t) => {
          await t.nextId(org, 'labels');
          await t.insertLabel(label(org, 1, 'role', 'web'));
          await t.insertEvent({ org_id: org, timestamp: T0, event_type: 'label.create', severity: 'info', status: 'success', created_by: '{}', data: '{}' });
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await read((t) => t.getLabel(org, 1)), undefined);
      assert.equal((await read((t) => t.listEvents(org, {}))).total, 0);
      assert.equal(await tx((t) => t.nextId(org, 'labels')), 1);
      assert.equal(await tx(async (t) => (await t.insertLabel(label(org, 1, 'role', 'web')), 'ok')), 'ok');
      assert.equal((await read((t) => t.getLabel(org, 1)))?.value, 'web');
    });

    it('a failing statement rolls back the whole transaction', async () => {
      const org = await tx((t) => newOrg(t));
      await tx((t) => t.insertLabel(label(org, 1, 'role', 'web')));
      await assert.rejects(
        tx(async (t) => {
          await t.insertLabel(label(org, 2, 'role', 'db'));
          await t.insertLabel(label(org, 3, 'role', 'web')); // same key and value as 1
        }),
      );
      assert.equal(await read((t) => t.getLabel(org, 2)), undefined);
    });

    it('a read sees one snapshot: a commit during it shows in the next read', async () => {
      const org = await tx((t) => newOrg(t));
      const seen = await read(async (t) => {
        const before = (await t.listLabels(org, {})).total;
        await tx((w) => w.insertLabel(label(org, 1, 'role', 'web')));
        return [before, (await t.listLabels(org, {})).total, (await t.getLabel(org, 1))?.id];
      });
      assert.deepEqual(seen, [0, 0, undefined]);
      assert.equal((await read((t) => t.listLabels(org, {}))).total, 1);
    });

    it('users: global usernames, org-scoped lookups', async () => {
      const [a, b] = await tx(async (t) => [await newOrg(t), await newOrg(t)]);
      const user = { org_id: a, username: 'ann@example.com', full_name: 'Ann', password_hash: null, role: 'owner' as const, created_at: T0 };
      const id = await tx((t) => t.insertUser(user));
      assert.deepEqual(await read((t) => t.getUser(a, id)), { ...user, id });
      assert.equal(await read((t) => t.getUser(b, id)), undefined);
      assert.equal((await read((t) => t.getUserByUsername('ann@example.com')))?.id, id);
      await assert.rejects(tx((t) => t.insertUser({ ...user, org_id: b })));
      const id2 = await tx((t) => t.insertUser({ ...user, username: 'bob', role: 'read_only' }));
      assert.deepEqual(ids(await read((t) => t.listUsers(a))), [id, id2]);
      assert.deepEqual(await read((t) => t.listUsers(b)), []);
    });

    it('API keys: insert, get, list per user, delete only in its org', async () => {
      const [a, b] = await tx(async (t) => [await newOrg(t), await newOrg(t)]);
      const uid = await tx((t) => t.insertUser({ org_id: a, username: 'u', full_name: 'U', password_hash: 'scrypt$1$s$h', role: 'admin', created_at: T0 }));
      const key = { key_id: 'k1', org_id: a, user_id: uid, name: 'ci', description: '', role: 'admin' as const, secret_hash: 'f'.repeat(64), created_at: T0 };
      await tx(async (t) => {
        await t.insertApiKey(key);
        await t.insertApiKey({ ...key, key_id: 'k2', created_at: at(1) });
      });
      assert.deepEqual(await read((t) => t.getApiKey('k1')), key);
      assert.deepEqual((await read((t) => t.listApiKeys(a, uid))).map((k) => k.key_id), ['k1', 'k2']);
      assert.equal(await tx((t) => t.deleteApiKey(b, 'k1')), false);
      assert.equal(await tx((t) => t.deleteApiKey(a, 'k1')), true);
      assert.equal(await tx((t) => t.deleteApiKey(a, 'k1')), false);
      assert.equal(await read((t) => t.getApiKey('k1')), undefined);
    });

    it('labels: unique key=value per org, lookups, filters, paging, update, delete', async () => {
      const [a, b] = await tx(async (t) => [await newOrg(t), await newOrg(t)]);
      await tx(async (t) => {
        for (const [id, k, v] of [[1, 'role', 'Web'], [2, 'role', 'db'], [3, 'env', 'prod'], [4, 'role', 'webapp'], [5, 'app', 'web_shop']] as const) await t.insertLabel(label(a, id, k, v));
        await t.insertLabel(label(b, 1, 'role', 'Web')); // another org may reuse both
      });
      await assert.rejects(tx((t) => t.insertLabel(label(a, 9, 'role', 'db'))));
      assert.deepEqual(await read((t) => t.getLabel(a, 3)), label(a, 3, 'env', 'prod'));
      assert.deepEqual(ids(await read((t) => t.getLabels(a, [4, 1, 99, 1]))), [1, 4]);
      assert.deepEqual(await read((t) => t.getLabels(a, [])), []);
      assert.equal((await read((t) => t.findLabel(a, 'role', 'db')))?.id, 2);
      assert.equal(await read((t) => t.findLabel(a, 'role', 'DB')), undefined);
      const list = (q: Parameters<StoreTx['listLabels']>[1]) => read((t) => t.listLabels(a, q));
      assert.deepEqual(ids((await list({})).rows), [1, 2, 3, 4, 5]);
      assert.deepEqual(ids((await list({ key: 'role' })).rows), [1, 2, 4]);
      assert.deepEqual(ids((await list({ value: 'WEB' })).rows), [1, 4, 5]);
      assert.deepEqual(ids((await list({ key: 'role', value: 'web' })).rows), [1, 4]);
      assert.deepEqual(ids((await list({ value: 'b_' })).rows), [5], '_ is no wildcard');
      assert.deepEqual(await list({ key: 'role', limit: 1, offset: 1 }), { rows: [label(a, 2, 'role', 'db')], total: 3 });
      assert.deepEqual(await list({ limit: 0 }), { rows: [], total: 5 });
      assert.deepEqual(ids((await list({ offset: 3 })).rows), [4, 5]);
      await tx((t) => t.updateLabel(a, 2, 'database', at(5)));
      assert.deepEqual(await read((t) => t.getLabel(a, 2)), { ...label(a, 2, 'role', 'database'), updated_at: at(5) });
      assert.deepEqual(ids((await list({ value: 'datab' })).rows), [2]);
      await tx((t) => t.deleteLabel(a, 2));
      assert.equal(await read((t) => t.getLabel(a, 2)), undefined);
      assert.equal((await read((t) => t.getLabel(b, 1)))?.value, 'Web');
    });

    it('docs: per org and type, in creation order; referencing is quote-bounded', async () => {
      const [a, b] = await tx(async (t) => [await newOrg(t), await newOrg(t)]);
      const doc = (org: number, type: 'vens' | 'pairing_profiles' | 'label_dimensions', id: string, data: unknown) => ({ org_id: org, type, id, data: JSON.stringify(data), created_at: T0, updated_at: T0 });
      await tx(async (t) => {
        await t.insertDoc(doc(a, 'pairing_profiles', '10', { labels: [ref(`/orgs/${a}/labels/7`)] }));
        await t.insertDoc(doc(a, 'pairing_profiles', '9', { labels: [ref(`/orgs/${a}/labels/70`)] }));
        await t.insertDoc(doc(a, 'vens', '9', { name: 'v' }));
        await t.insertDoc(doc(b, 'pairing_profiles', '1', { labels: [ref(`/orgs/${a}/labels/7`)] }));
      });
      assert.deepEqual(ids(await read((t) => t.listDocs(a, 'pairing_profiles'))), ['10', '9']);
      assert.equal((await read((t) => t.getDoc(a, 'vens', '9')))?.data, '{"name":"v"}');
      assert.equal(await read((t) => t.getDoc(a, 'vens', '10')), undefined);
      assert.deepEqual(ids(await read((t) => t.docsReferencing(a, `/orgs/${a}/labels/7`))), ['10']);
      assert.deepEqual(ids(await read((t) => t.docsReferencing(a, `/orgs/${a}/labels/70`))), ['9']);
      assert.deepEqual(await read((t) => t.docsReferencing(a, `/orgs/${a}/labels/`)), []);
      await tx((t) => t.updateDoc(a, 'vens', '9', '{"name":"w"}', at(2)));
      assert.deepEqual(await read((t) => t.getDoc(a, 'vens', '9')), { ...doc(a, 'vens', '9', { name: 'w' }), updated_at: at(2) });
      await tx((t) => t.deleteDoc(a, 'pairing_profiles', '9'));
      assert.deepEqual(ids(await read((t) => t.listDocs(a, 'pairing_profiles'))), ['10']);
      assert.equal((await read((t) => t.listDocs(a, 'vens'))).length, 1);
    });

    it('getWorkloads reads many at once: those that exist, each once, past one chunk of 500 ids', async () => {
      const [org, other] = await tx(async (t) => [await newOrg(t, 'a'), await newOrg(t, 'b')]);
      await tx(async (t) => {
        for (let i = 0; i < 600; i++) await t.insertWorkload(workload(org, `w${i}`, { name: `n${i}` }));
        await t.insertWorkload(workload(other, 'x1', { name: 'other org' }));
      });
      const want = [...Array.from({ length: 600 }, (_, i) => `w${599 - i}`), 'w3', 'gone', 'x1'];
      const got = await read((t) => t.getWorkloads(org, want));
      assert.deepEqual(ids(got).sort(), Array.from({ length: 600 }, (_, i) => `w${i}`).sort(), 'unknown ids and other orgs left out, duplicates once');
      assert.deepEqual(got.find((w) => w.id === 'w7'), workload(org, 'w7', { name: 'n7' }));
      assert.deepEqual(await read((t) => t.getWorkloads(org, [])), []);
    });

    it('workloads: labels kept in step; in-use counts; delete frees labels', async () => {
      const org = await tx((t) => newOrg(t));
      await tx(async (t) => {
        for (const [id, v] of [[1, 'web'], [2, 'db'], [3, 'prod']] as const) await t.insertLabel(label(org, id, id === 3 ? 'env' : 'role', v));
        await t.insertWorkload(workload(org, 'w1', { name: 'web-1' }, [1, 3]));
        await t.insertWorkload(workload(org, 'w2', { hostname: 'db-1' }, [2, 3]));
      });
      assert.deepEqual(await read((t) => t.getWorkload(org, 'w1')), workload(org, 'w1', { name: 'web-1' }, [1, 3]));
      await assert.rejects(tx((t) => t.insertWorkload(workload(org, 'w1', { name: 'again' }))), 'ids are unique in an org');
      assert.equal(await read((t) => t.countWorkloadsWithLabel(org, 3)), 2);
      const w1 = { ...workload(org, 'w1', { name: 'web-1b' }, [2]), updated_at: at(9) };
      await tx((t) => t.updateWorkload(w1));
      assert.deepEqual(await read((t) => t.getWorkload(org, 'w1')), w1);
      const inUse = (id: number) => read((t) => t.countWorkloadsWithLabel(org, id));
      assert.deepEqual([await inUse(1), await inUse(2), await inUse(3)], [0, 2, 1]);
      await assert.rejects(tx((t) => t.deleteLabel(org, 3)), 'a label in use cannot be deleted');
      await tx((t) => t.deleteWorkload(org, 'w2'));
      assert.equal(await read((t) => t.getWorkload(org, 'w2')), undefined);
      assert.equal(await read((t) => t.countWorkloadsWithLabel(org, 3)), 0);
      await tx((t) => t.deleteLabel(org, 3));
      assert.deepEqual(ids(await read((t) => t.allWorkloads(org))), ['w1']);
    });

    it('listWorkloads: label lists (OR within, AND across), name, managed, paging, total', async () => {
      const org = await tx((t) => newOrg(t));
      await tx(async (t) => {
        for (const [id, k, v] of [[1, 'role', 'web'], [2, 'role', 'db'], [3, 'env', 'prod'], [4, 'env', 'dev']] as const) await t.insertLabel(label(org, id, k, v));
        await t.insertWorkload(workload(org, 'a', { name: 'Web-Prod-1', ven_id: 'v1' }, [1, 3], at(1)));
        await t.insertWorkload(workload(org, 'b', { hostname: 'db-prod.example' }, [2, 3], at(2)));
        await t.insertWorkload(workload(org, 'c', { name: 'web-dev', hostname: 'h3' }, [1, 4], at(3)));
        await t.insertWorkload(workload(org, 'd', { name: 'bare', ven_id: 'v4' }, [], at(4)));
      });
      const list = async (q: Parameters<StoreTx['listWorkloads']>[1]) => {
        const r = await read((t) => t.listWorkloads(org, q));
        return { ids: ids(r.rows), total: r.total };
      };
      assert.deepEqual(await list({}), { ids: ['a', 'b', 'c', 'd'], total: 4 });
      assert.deepEqual(await list({ labelIds: [[1, 2]] }), { ids: ['a', 'b', 'c'], total: 3 });
      assert.deepEqual(await list({ labelIds: [[1, 2], [3]] }), { ids: ['a', 'b'], total: 2 });
      assert.deepEqual(await list({ labelIds: [[1], [3]] }), { ids: ['a'], total: 1 });
      assert.deepEqual(await list({ labelIds: [[2], [4]] }), { ids: [], total: 0 });
      assert.deepEqual(await list({ labelIds: [[1], []] }), { ids: [], total: 0 });
      assert.deepEqual(await list({ name: 'PROD' }), { ids: ['a', 'b'], total: 2 }, 'name or hostname, any case');
      assert.deepEqual(await list({ name: 'h3' }), { ids: ['c'], total: 1 });
      assert.deepEqual(await list({ name: '%' }), { ids: [], total: 0 }, '% is no wildcard');
      assert.deepEqual(await list({ managed: true }), { ids: ['a', 'd'], total: 2 });
      assert.deepEqual(await list({ managed: false, labelIds: [[1]] }), { ids: ['c'], total: 1 });
      assert.deepEqual(await list({ limit: 2 }), { ids: ['a', 'b'], total: 4 });
      assert.deepEqual(await list({ limit: 2, offset: 3 }), { ids: ['d'], total: 4 });
      assert.deepEqual(await list({ offset: 1 }), { ids: ['b', 'c', 'd'], total: 4 });
      assert.deepEqual(await list({ limit: 0 }), { ids: [], total: 4 });
      assert.deepEqual(await list({ limit: 5, offset: 10 }), { ids: [], total: 4 });
      const [row] = (await read((t) => t.listWorkloads(org, { labelIds: [[4]] }))).rows;
      assert.deepEqual(row, workload(org, 'c', { name: 'web-dev', hostname: 'h3' }, [1, 4], at(3)));
    });

    it('draft: put is an upsert; list skips deleted; pending; referencing; batch put', async () => {
      const org = await tx((t) => newOrg(t));
      const L7 = `/orgs/${org}/labels/7`;
      await tx(async (t) => {
        await t.putDraft(draft(org, 'rule_sets', '10', { name: 'rs10', scopes: [[ref(L7)]] }, 'create'));
        await t.putDraft(draft(org, 'rule_sets', '2', { name: 'rs2', scopes: [[ref(`${L7}0`)]] }, null));
        await t.putDraft(draft(org, 'rule_sets', '3', null, 'delete'));
        await t.putDraft(draft(org, 'ip_lists', '1', { name: 'any' }, null));
      });
      assert.deepEqual(ids(await read((t) => t.listDraft(org, 'rule_sets'))), ['2', '10']);
      assert.deepEqual((await read((t) => t.listPending(org))).map((r) => [r.id, r.change]), [['3', 'delete'], ['10', 'create']]);
      assert.deepEqual(ids(await read((t) => t.draftReferencing(org, L7))), ['10']);
      const updated = { ...draft(org, 'rule_sets', '2', { name: 'rs2b' }, 'update'), updated_by: 'k1', updated_at: at(3) };
      await tx((t) => t.putDraft(updated));
      assert.deepEqual(await read((t) => t.getDraft(org, 'rule_sets', '2')), updated);
      assert.deepEqual(ids(await read((t) => t.draftReferencing(org, `${L7}0`))), []);
      await tx((t) => t.deleteDraftRow(org, 'rule_sets', '3'));
      assert.equal(await read((t) => t.getDraft(org, 'rule_sets', '3')), undefined);
      const many = Array.from({ length: 1200 }, (_, i) => draft(org, 'services', String(i + 1), { name: `s${i}` }, null));
      await tx((t) => t.putDrafts(many));
      await tx((t) => t.putDrafts(many.map((r) => ({ ...r, change: 'update' as const }))));
      const services = await read((t) => t.listDraft(org, 'services'));
      assert.equal(services.length, 1200);
      assert.deepEqual(services.slice(0, 3).map((r) => [r.id, r.change]), [['1', 'update'], ['2', 'update'], ['3', 'update']]);
      assert.equal((await read((t) => t.listPending(org))).length, 1202);
    });

    it('revisions: close + insert make versions; past and current versions stay readable', async () => {
      const org = await tx((t) => newOrg(t));
      const L1 = `/orgs/${org}/labels/1`;
      await tx(async (t) => {
        await t.insertRevision(rev(org, 'rule_sets', 'A', 1, { v: 'A1', l: ref(L1) }));
        await t.insertRevision(rev(org, 'rule_sets', 'B', 1, { v: 'B1' }));
        await t.insertRevision(rev(org, 'services', 'A', 1, { v: 'sA1' }));
      });
      await tx(async (t) => {
        await t.closeRevision(org, 'rule_sets', 'A', 2);
        await t.insertRevision(rev(org, 'rule_sets', 'A', 2, { v: 'A2' }));
      });
      await tx((t) => t.closeRevision(org, 'rule_sets', 'B', 3)); // deleted in version 3
      const at_ = async (v: number) => (await read((t) => t.listRevisions(org, 'rule_sets', v))).map((r) => JSON.parse(r.data).v as string);
      assert.deepEqual(await at_(0), []);
      assert.deepEqual(await at_(1), ['A1', 'B1']);
      assert.deepEqual(await at_(2), ['A2', 'B1']);
      assert.deepEqual(await at_(3), ['A2']);
      assert.deepEqual(await at_(9), ['A2']);
      assert.deepEqual(await read((t) => t.getRevision(org, 'rule_sets', 'A', 1)), { ...rev(org, 'rule_sets', 'A', 1, { v: 'A1', l: ref(L1) }), until_version: 2 });
      assert.equal((await read((t) => t.getRevision(org, 'rule_sets', 'A', 5)))?.since_version, 2);
      assert.equal(await read((t) => t.getRevision(org, 'rule_sets', 'B', 3)), undefined);
      assert.equal((await read((t) => t.getRevision(org, 'services', 'A', 2)))?.data, '{"v":"sA1"}');
      assert.deepEqual(ids(await read((t) => t.revisionsReferencing(org, L1, 1))), ['A']);
      assert.deepEqual(await read((t) => t.revisionsReferencing(org, L1, 2)), []);
      assert.deepEqual(await read((t) => t.revisionsReferencing(org, `/orgs/${org}/labels/10`, 1)), []);
    });

    it('revisions in bulk: 2,000 inserted and closed one by one and batched', async (t) => {
      const org = await tx((x) => newOrg(x));
      const rows = (v: number) => Array.from({ length: 2000 }, (_, i) => rev(org, 'rule_sets', String(i + 1), v, { rules: Array.from({ length: 10 }, (_, j) => ({ id: j, v })) }));
      let start = performance.now();
      await tx(async (x) => {
        for (const r of rows(1)) await x.insertRevision(r);
      });
      await tx(async (x) => {
        for (const r of rows(2)) {
          await x.closeRevision(org, r.type, r.id, 2);
          await x.insertRevision(r);
        }
      });
      t.diagnostic(`${backend.name}: 2,000 inserts + 2,000 close-and-insert one by one: ${Math.round(performance.now() - start)} ms`);
      start = performance.now();
      await tx(async (x) => {
        await x.closeRevisions(org, rows(3).map((r) => ({ type: r.type, id: r.id })), 3);
        await x.insertRevisions(rows(3));
      });
      t.diagnostic(`${backend.name}: 2,000 close + insert batched: ${Math.round(performance.now() - start)} ms`);
      for (const v of [1, 2, 3]) {
        const got = await read((x) => x.listRevisions(org, 'rule_sets', v));
        assert.equal(got.length, 2000);
        assert.ok(got.every((r) => r.since_version === v && r.until_version === (v === 3 ? null : v + 1)));
      }
    });

    it('versions: latest, get, list newest first with limit and total', async () => {
      const org = await tx((t) => newOrg(t));
      assert.equal(await read((t) => t.latestVersion(org)), 0);
      const version = (v: number) => ({ org_id: org, version: v, commit_message: `v${v}`, created_at: at(v), created_by: 'k1', workloads_affected: v * 10, changes: '[]' });
      await tx(async (t) => {
        for (const v of [1, 2, 3]) await t.insertVersion(version(v));
      });
      assert.equal(await read((t) => t.latestVersion(org)), 3);
      assert.deepEqual(await read((t) => t.getVersion(org, 2)), version(2));
      assert.equal(await read((t) => t.getVersion(org, 4)), undefined);
      assert.deepEqual(await read((t) => t.listVersions(org, { limit: 2 })), { rows: [version(3), version(2)], total: 3 });
      assert.equal((await read((t) => t.listVersions(org, {}))).rows.length, 3);
      await assert.rejects(tx((t) => t.insertVersion(version(3))));
    });

    it('events: ids increase; newest first; type and inclusive time filters; limit and total', async () => {
      const org = await tx((t) => newOrg(t));
      const ev = (s: number, type: string) => ({ org_id: org, timestamp: at(s), event_type: type, severity: 'info' as const, status: 'success' as const, created_by: '{"user":{}}', data: `{"s":${s}}` });
      const evIds: number[] = [];
      for (const [s, type] of [[1, 'label.create'], [2, 'workload.create'], [3, 'label.create'], [4, 'label.delete']] as const) evIds.push(await tx((t) => t.insertEvent(ev(s, type))));
      assert.deepEqual([...evIds].sort((x, y) => x - y), evIds);
      const list = async (q: Parameters<StoreTx['listEvents']>[1]) => {
        const r = await read((t) => t.listEvents(org, q));
        return { s: r.rows.map((e) => JSON.parse(e.data).s as number), total: r.total };
      };
      assert.deepEqual(await list({}), { s: [4, 3, 2, 1], total: 4 });
      assert.deepEqual(await list({ eventType: 'label.create' }), { s: [3, 1], total: 2 });
      assert.deepEqual(await list({ since: at(2), until: at(3) }), { s: [3, 2], total: 2 });
      assert.deepEqual(await list({ limit: 1 }), { s: [4], total: 4 });
      assert.deepEqual(await list({ limit: 0 }), { s: [], total: 4 });
      assert.deepEqual(await read((t) => t.getEvent(org, evIds[1] ?? 0)), { ...ev(2, 'workload.create'), id: evIds[1] });
    });

    it('activation codes, jobs and data files', async () => {
      const org = await tx((t) => newOrg(t));
      const code = { code_hash: 'c'.repeat(64), org_id: org, pairing_profile_id: '1', created_at: T0, expires_at: at(60), uses_left: 2 };
      await tx((t) => t.insertActivationCode(code));
      await tx((t) => t.setActivationCodeUses(code.code_hash, 1));
      assert.deepEqual(await read((t) => t.getActivationCode(code.code_hash)), { ...code, uses_left: 1 });
      await tx((t) => t.setActivationCodeUses(code.code_hash, null));
      assert.equal((await read((t) => t.getActivationCode(code.code_hash)))?.uses_left, null);
      assert.equal(await read((t) => t.getActivationCode('nope')), undefined);

      const job = { org_id: org, id: 'j1', job_type: 'workloads', status: 'pending' as const, requested_at: T0, terminated_at: null, datafile_id: null, message: null };
      await tx((t) => t.insertJob(job));
      await tx((t) => t.updateJob(org, 'j1', { status: 'running' }));
      assert.deepEqual(await read((t) => t.getJob(org, 'j1')), { ...job, status: 'running' });
      await tx(async (t) => {
        await t.insertDatafile(org, 'd1', '[{"a":1}]', at(1));
        await t.updateJob(org, 'j1', { status: 'done', terminated_at: at(1), datafile_id: 'd1' });
        await t.updateJob(org, 'j1', {});
      });
      assert.deepEqual(await read((t) => t.getJob(org, 'j1')), { ...job, status: 'done', terminated_at: at(1), datafile_id: 'd1' });
      assert.equal(await read((t) => t.getDatafile(org, 'd1')), '[{"a":1}]');
      assert.equal(await read((t) => t.getDatafile(org + 1, 'd1')), undefined);
    });

    it('org isolation: nothing of org 2 is visible through org 1', async () => {
      const [o1, o2] = await tx(async (t) => [await newOrg(t), await newOrg(t)]);
      await tx(async (t) => {
        await t.insertLabel(label(o2, 1, 'role', 'web'));
        await t.insertWorkload(workload(o2, 'w', { name: 'web' }, [1]));
        await t.insertDoc({ org_id: o2, type: 'vens', id: 'v', data: `{"l":"/orgs/${o2}/labels/1"}`, created_at: T0, updated_at: T0 });
        await t.putDraft(draft(o2, 'rule_sets', '1', { l: `/orgs/${o1}/labels/1` }, 'create'));
        await t.insertRevision(rev(o2, 'rule_sets', '1', 1, { l: `/orgs/${o1}/labels/1` }));
        await t.insertVersion({ org_id: o2, version: 1, commit_message: '', created_at: T0, created_by: null, workloads_affected: 0, changes: '[]' });
        await t.insertEvent({ org_id: o2, timestamp: T0, event_type: 'x', severity: 'info', status: 'success', created_by: '{}', data: '{}' });
        await t.insertJob({ org_id: o2, id: 'j', job_type: 'x', status: 'pending', requested_at: T0, terminated_at: null, datafile_id: null, message: null });
      });
      const seen = await read(async (t) => ({
        label: await t.getLabel(o1, 1),
        labels: await t.listLabels(o1, {}),
        inUse: await t.countWorkloadsWithLabel(o1, 1),
        workload: await t.getWorkload(o1, 'w'),
        workloads: await t.listWorkloads(o1, {}),
        all: await t.allWorkloads(o1),
        docs: await t.listDocs(o1, 'vens'),
        docsRef: await t.docsReferencing(o1, `/orgs/${o2}/labels/1`),
        draft: await t.listDraft(o1, 'rule_sets'),
        pending: await t.listPending(o1),
        draftRef: await t.draftReferencing(o1, `/orgs/${o1}/labels/1`),
        revisions: await t.listRevisions(o1, 'rule_sets', 1),
        revRef: await t.revisionsReferencing(o1, `/orgs/${o1}/labels/1`, 1),
        latest: await t.latestVersion(o1),
        events: await t.listEvents(o1, {}),
        job: await t.getJob(o1, 'j'),
      }));
      assert.deepEqual(seen, {
        ...{ label: undefined, labels: { rows: [], total: 0 }, inUse: 0, workload: undefined, workloads: { rows: [], total: 0 }, all: [] },
        ...{ docs: [], docsRef: [], draft: [], pending: [], draftRef: [], revisions: [], revRef: [], latest: 0, events: { rows: [], total: 0 }, job: undefined },
      });
    });

    it('reopening keeps the data', async () => {
      const org = await tx((t) => newOrg(t));
      const other = await again();
      assert.equal((await other.read((t) => t.getOrg(org)))?.id, org);
      await other.close();
    });

    it('several PCE processes opening a new database at once migrate it once', async () => {
      const spec = await backend.unopened();
      // Real processes: two in-process SQLite writers would block each other's event loop.
      const child = `const { openStore } = await import(${JSON.stringify(OPEN_STORE)});
        const s = await openStore(process.argv[1], '/nonexistent');
        await s.transaction((t) => t.insertOrg({ name: 'p', created_at: '', psk: '', psk_previous: null, psk_generation: 1, psk_rotation_started_at: null }));
        await s.close();`;
      const codes = await Promise.all(
        [1, 2, 3].map(
          () =>
            new Promise<number | null>((resolve) => {
              const p = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', child, spec], { stdio: ['ignore', 'ignore', 'inherit'] });
              p.on('exit', resolve);
            }),
        ),
      );
      assert.deepEqual(codes, [0, 0, 0]);
      const s = await openStore(spec, '/nonexistent');
      assert.equal((await s.read((t) => t.listOrgs())).length, 3);
      await s.close();
    });

    it('a closed store refuses work', async () => {
      const other = await again();
      await other.close();
      await assert.rejects(other.read((t) => t.listOrgs()), /closed/);
    });
  });
}

describe('openStore', () => {
  it('parses sqlite:PATH relative to the working directory and defaults to the data dir', () => {
    assert.deepEqual(parseDbSpec('sqlite:data/x.db'), { kind: 'sqlite', path: join(process.cwd(), 'data/x.db') });
    assert.deepEqual(parseDbSpec('sqlite:/var/lib/p.db'), { kind: 'sqlite', path: '/var/lib/p.db' });
    assert.deepEqual(parseDbSpec('sqlite::memory:'), { kind: 'sqlite', path: ':memory:' });
    assert.deepEqual(parseDbSpec('postgresql://u:p@db:5432/palisade'), { kind: 'postgres', url: 'postgresql://u:p@db:5432/palisade' });
    assert.equal(parseDbSpec('postgres://u@h/d').kind, 'postgres');
  });

  for (const bad of ['mysql://h/d', 'sqlite:', 'sqlite://host/x.db', 'postgres:h/d', 'postgres://', 'palisade.db', 'postgres://u:hunter2@/d']) {
    it(`rejects ${JSON.stringify(bad)} with invalid_db_url and an example`, () => {
      assert.throws(
        () => parseDbSpec(bad),
        (e: unknown) => isPalisadeError(e) && e.kind === 'invalid' && e.token === 'invalid_db_url' && /e\.g\./.test(e.message) && !e.message.includes('hunter2'),
      );
    });
  }

  it('opens SQLite in the data dir by default, and in memory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-open-'));
    try {
      for (const s of [await openStore(undefined, join(dir, 'data')), await openStore('sqlite::memory:', dir)]) {
        assert.equal(s.dialect, 'sqlite');
        const org = await s.transaction((t) => newOrg(t));
        assert.equal((await s.read((t) => t.getOrg(org)))?.name, 'acme');
        await s.close();
      }
      const reopened = await openStore(`sqlite:${join(dir, 'data', 'palisade.db')}`, '/nonexistent');
      assert.equal((await reopened.read((t) => t.listOrgs())).length, 1);
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

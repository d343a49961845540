/**
 * Policy: the draft (one row per object), revisions (an object's JSON over a range of
 * versions) and versions (the provisioning log).
 *
 * A revision is part of version v when since_version <= v < until_version (null: still
 * open). That test is written as a UNION ALL of two branches, still open or closed after v,
 * so that each is one range of an index in both dialects, whatever the planner's statistics
 * (an OR of the two is a scan of every revision of the org).
 */
import type { Kysely } from 'kysely';
import type { PolicyType } from '@palisade/core/href.ts';
import type { DialectHooks } from './dialect-hooks.ts';
import { chunks, countOf, paged, quoted } from './kysely-sql.ts';
import type { Database } from './schema.ts';
import type { DraftRow, RevisionRow, StoreTx } from './store.ts';

const DRAFT_COLUMNS = ['org_id', 'type', 'id', 'data', 'change', 'updated_at', 'updated_by'] as const;
const REVISION_COLUMNS = ['org_id', 'type', 'id', 'since_version', 'until_version', 'data'] as const;
/** Ids per `IN (…)` list. */
const IDS_PER_QUERY = 1000;

interface RevisionFilter {
  readonly type?: PolicyType;
  readonly id?: string;
  /** Substring of `data`. */
  readonly mentions?: string;
}

/**
 * Lists come out by type, then id: counter ids (`2` before `10`) in numeric order, others
 * by code unit. Sorted here rather than in SQL, where text order follows the database's
 * collation (PostgreSQL's locale, SQLite's binary) and would differ between dialects.
 */
function sortedByObject<T extends { readonly type: string; readonly id: string }>(rows: T[]): T[] {
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return rows.sort((a, b) => cmp(a.type, b.type) || a.id.length - b.id.length || cmp(a.id, b.id));
}

export function policyQueries(db: Kysely<Database>, hooks: DialectHooks) {
  const draft = () => db.selectFrom('policy_draft').select(DRAFT_COLUMNS);
  const revisions = (org: number, version: number, f: RevisionFilter) => {
    const branch = (open: boolean) => {
      let q = db.selectFrom('policy_revisions').select(REVISION_COLUMNS).where('org_id', '=', org);
      q = open ? q.where('until_version', 'is', null) : q.where('until_version', '>', version);
      q = q.where('since_version', '<=', version);
      if (f.type !== undefined) q = q.where('type', '=', f.type);
      if (f.id !== undefined) q = q.where('id', '=', f.id);
      const mentions = f.mentions;
      if (mentions !== undefined) q = q.where((eb) => hooks.contains(eb.ref('data'), mentions));
      return q;
    };
    return branch(true).unionAll(branch(false));
  };

  async function putDrafts(rows: readonly DraftRow[]): Promise<void> {
    for (const part of chunks(rows, hooks.batchRows)) {
      await db
        .insertInto('policy_draft')
        .values(part.map((r) => ({ org_id: r.org_id, type: r.type, id: r.id, data: r.data, change: r.change, updated_at: r.updated_at, updated_by: r.updated_by })))
        .onConflict((oc) =>
          oc.columns(['org_id', 'type', 'id']).doUpdateSet((eb) => ({
            data: eb.ref('excluded.data'),
            change: eb.ref('excluded.change'),
            updated_at: eb.ref('excluded.updated_at'),
            updated_by: eb.ref('excluded.updated_by'),
          })),
        )
        .execute();
    }
  }

  async function insertRevisions(rows: readonly RevisionRow[]): Promise<void> {
    for (const part of chunks(rows, hooks.batchRows)) {
      await db
        .insertInto('policy_revisions')
        .values(part.map((r) => ({ org_id: r.org_id, type: r.type, id: r.id, since_version: r.since_version, until_version: r.until_version, data: r.data })))
        .execute();
    }
  }

  return {
    getDraft: (org, type, id) => draft().where('org_id', '=', org).where('type', '=', type).where('id', '=', id).executeTakeFirst(),
    listDraft: async (org, type) =>
      sortedByObject(await draft().where('org_id', '=', org).where('type', '=', type).where('data', 'is not', null).execute()),
    putDraft: (row) => putDrafts([row]),
    putDrafts,
    async deleteDraftRow(org, type, id) {
      await db.deleteFrom('policy_draft').where('org_id', '=', org).where('type', '=', type).where('id', '=', id).execute();
    },
    listPending: async (org) => sortedByObject(await draft().where('org_id', '=', org).where('change', 'is not', null).execute()),
    draftReferencing: async (org, href) =>
      sortedByObject(
        await draft()
          .where('org_id', '=', org)
          .where('data', 'is not', null)
          .where((eb) => hooks.contains(eb.ref('data'), quoted(href)))
          .execute(),
      ),

    async getRevision(org, type, id, version) {
      // Revisions of one object do not overlap: the latest one that began by `version` is
      // the only candidate (one primary-key range), and it is out if it ended by then.
      const r = await db
        .selectFrom('policy_revisions')
        .select(REVISION_COLUMNS)
        .where('org_id', '=', org)
        .where('type', '=', type)
        .where('id', '=', id)
        .where('since_version', '<=', version)
        .orderBy('since_version', 'desc')
        .limit(1)
        .executeTakeFirst();
      return r !== undefined && (r.until_version === null || r.until_version > version) ? r : undefined;
    },
    listRevisions: async (org, type, version) => sortedByObject(await revisions(org, version, { type }).execute()),
    revisionsReferencing: async (org, href, version) => sortedByObject(await revisions(org, version, { mentions: quoted(href) }).execute()),
    insertRevision: (row) => insertRevisions([row]),
    insertRevisions,
    async closeRevision(org, type, id, version) {
      await db
        .updateTable('policy_revisions')
        .set({ until_version: version })
        .where('org_id', '=', org)
        .where('type', '=', type)
        .where('id', '=', id)
        .where('until_version', 'is', null)
        .execute();
    },
    async closeRevisions(org, objects, version) {
      const byType = new Map<PolicyType, string[]>();
      for (const o of objects) {
        const ids = byType.get(o.type);
        if (ids === undefined) byType.set(o.type, [o.id]);
        else ids.push(o.id);
      }
      for (const [type, ids] of byType) {
        for (const part of chunks([...new Set(ids)], IDS_PER_QUERY)) {
          await db
            .updateTable('policy_revisions')
            .set({ until_version: version })
            .where('org_id', '=', org)
            .where('type', '=', type)
            .where('id', 'in', part)
            .where('until_version', 'is', null)
            .execute();
        }
      }
    },

    async latestVersion(org) {
      const row = await db
        .selectFrom('policy_versions')
        .select((eb) => eb.fn.max('version').as('v'))
        .where('org_id', '=', org)
        .executeTakeFirst();
      return row?.v ?? 0;
    },
    async insertVersion(row) {
      await db.insertInto('policy_versions').values(row).execute();
    },
    getVersion: (org, version) => db.selectFrom('policy_versions').selectAll().where('org_id', '=', org).where('version', '=', version).executeTakeFirst(),
    async listVersions(org, q) {
      const base = db.selectFrom('policy_versions').where('org_id', '=', org);
      const total = countOf(await base.select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirst());
      const rows = q.limit === 0 ? [] : await paged(base.selectAll().orderBy('version', 'desc'), q.limit, undefined).execute();
      return { rows, total };
    },
  } satisfies Partial<StoreTx>;
}

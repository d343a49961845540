/**
 * Traffic flows for Explorer-style queries (issue 6):
 * - `src_ipk` / `dst_ipk`: each address as bytes that sort like the address within its
 *   family (`ipKeyOf`), so an IP list or a CIDR filters with `between` on both dialects.
 *   Flows stored before are filled in here.
 * - The label-set indexes also carry the other end's set, the service and the decision, so
 *   the common Explorer filters (label → label on a port, by decision) are answered from
 *   the index before any row is read.
 */
import type { Kysely } from 'kysely';
import { parseAddress } from '@palisade/core/compute/address-ranges.ts';
import { ipKeyOf } from '../kysely-flow-queries.ts';
import type { Database } from '../schema.ts';
import type { SqlDialect } from './migrator.ts';

const BACKFILL_ROWS = 5000;

const keyOf = (ip: string): Buffer | null => {
  const a = parseAddress(ip);
  return a ? ipKeyOf(a) : null;
};

export async function up(db: Kysely<Database>, dialect: SqlDialect): Promise<void> {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  await db.schema.alterTable('flows').addColumn('src_ipk', blob).execute();
  await db.schema.alterTable('flows').addColumn('dst_ipk', blob).execute();
  for (let after = -1; ; ) {
    const rows = await db.selectFrom('flows').select(['id', 'src_ip', 'dst_ip']).where('id', '>', after).orderBy('id').limit(BACKFILL_ROWS).execute();
    if (rows.length === 0) break;
    for (const r of rows) {
      await db.updateTable('flows').set({ src_ipk: keyOf(r.src_ip), dst_ipk: keyOf(r.dst_ip) }).where('id', '=', r.id).execute();
      after = Number(r.id);
    }
  }
  await db.schema.dropIndex('flows_org_src_set').execute();
  await db.schema.dropIndex('flows_org_dst_set').execute();
  await db.schema.createIndex('flows_org_src_set').on('flows').columns(['org_id', 'src_set', 'last_seen', 'dst_set', 'proto', 'port', 'policy_decision']).execute();
  await db.schema.createIndex('flows_org_dst_set').on('flows').columns(['org_id', 'dst_set', 'last_seen', 'src_set', 'proto', 'port', 'policy_decision']).execute();
}

/** Small helpers shared by the `kysely-*-queries.ts` files. */
import type { SelectQueryBuilder } from 'kysely';

/** A LIMIT that means "no limit" in both dialects (SQLite needs a LIMIT before OFFSET). */
const NO_LIMIT = 2_147_483_647;

/** Applies limit/offset in SQL; a missing limit means all rows, `limit: 0` none. */
export function paged<DB, TB extends keyof DB, O>(qb: SelectQueryBuilder<DB, TB, O>, limit: number | undefined, offset: number | undefined): SelectQueryBuilder<DB, TB, O> {
  const off = offset !== undefined && offset > 0 ? Math.floor(offset) : 0;
  let q = qb;
  if (limit !== undefined) q = q.limit(Math.max(0, Math.floor(limit)));
  else if (off > 0) q = q.limit(NO_LIMIT);
  return off > 0 ? q.offset(off) : q;
}

/** `count(*)` is a bigint on PostgreSQL, which pg hands over as a string. */
export function countOf(row: { readonly n: string | number | bigint } | undefined): number {
  return row === undefined ? 0 : Number(row.n);
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The needle that finds a JSON string value exactly: `"/orgs/1/labels/7"`, not `…/70`. */
export function quoted(href: string): string {
  return JSON.stringify(href);
}

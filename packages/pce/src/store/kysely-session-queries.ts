/** Console sign-in sessions and console passwords (issue 7). */
import type { Kysely } from 'kysely';
import type { Database } from './schema.ts';

/** Epoch milliseconds; PostgreSQL's bigint arrives as a string. */
type Millis = number | string;

export interface ConsoleSessionsTable {
  /** sha256 (hex) of the session token; the token itself is only in the browser's cookie. */
  token_hash: string;
  org_id: number;
  user_id: number;
  created_at: Millis;
  last_seen_at: Millis;
  client_ip: string;
}

export interface ConsoleSessionRow {
  readonly token_hash: string;
  readonly org_id: number;
  readonly user_id: number;
  readonly created_at: number;
  readonly last_seen_at: number;
  readonly client_ip: string;
}

export interface ConsoleSessionQueries {
  insertConsoleSession(row: ConsoleSessionRow): Promise<void>;
  getConsoleSession(tokenHash: string): Promise<ConsoleSessionRow | undefined>;
  /** Moves last_seen_at forward (never back: two processes may touch at once). */
  touchConsoleSession(tokenHash: string, lastSeenAt: number): Promise<void>;
  deleteConsoleSession(tokenHash: string): Promise<boolean>;
  /** Sessions idle since before `idleBefore` or created before `createdBefore`; how many went. */
  deleteExpiredConsoleSessions(idleBefore: number, createdBefore: number): Promise<number>;
  deleteConsoleSessionsOfUser(org: number, userId: number): Promise<number>;
  /** scrypt hash, or null to remove the console password. False when no such user. */
  setUserPassword(org: number, userId: number, passwordHash: string | null): Promise<boolean>;
}

function toRow(r: ConsoleSessionsTable): ConsoleSessionRow {
  return { ...r, created_at: Number(r.created_at), last_seen_at: Number(r.last_seen_at) };
}

export function sessionQueries(db: Kysely<Database>): ConsoleSessionQueries {
  return {
    async insertConsoleSession(row) {
      await db.insertInto('console_sessions').values(row).execute();
    },
    async getConsoleSession(tokenHash) {
      const r = await db.selectFrom('console_sessions').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return r && toRow(r);
    },
    async touchConsoleSession(tokenHash, lastSeenAt) {
      await db.updateTable('console_sessions').set({ last_seen_at: lastSeenAt }).where('token_hash', '=', tokenHash).where('last_seen_at', '<', lastSeenAt).execute();
    },
    async deleteConsoleSession(tokenHash) {
      const r = await db.deleteFrom('console_sessions').where('token_hash', '=', tokenHash).executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
    async deleteExpiredConsoleSessions(idleBefore, createdBefore) {
      const r = await db
        .deleteFrom('console_sessions')
        .where((eb) => eb.or([eb('last_seen_at', '<', idleBefore), eb('created_at', '<', createdBefore)]))
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async deleteConsoleSessionsOfUser(org, userId) {
      const r = await db.deleteFrom('console_sessions').where('org_id', '=', org).where('user_id', '=', userId).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async setUserPassword(org, userId, passwordHash) {
      const r = await db.updateTable('users').set({ password_hash: passwordHash }).where('org_id', '=', org).where('id', '=', userId).executeTakeFirst();
      return r.numUpdatedRows > 0n;
    },
  };
}

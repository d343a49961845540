/**
 * A throwaway PostgreSQL for tests: `initdb` into a fresh temp dir, `pg_ctl start` on a free
 * loopback port, one database, and `stop()` removes it all. The cluster trades durability
 * for speed (fsync off): it lives for one test run.
 *
 * With `PALISADE_TEST_PG_URL` set (a URL whose user may CREATE DATABASE), that server is
 * used instead and each call gets a fresh database, dropped by `stop()`.
 *
 * PostgreSQL refuses to run as root: as root, the server binaries run as the `postgres`
 * system user (`runuser -u postgres --`), which owns the temp dir.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

export interface TestPostgres {
  /** URL of a fresh, empty database. */
  readonly url: string;
  /** Another fresh, empty database on the same server (cheaper than a new cluster). */
  createDatabase(): Promise<string>;
  /** Stops the server (or drops the databases, with PALISADE_TEST_PG_URL) and removes its files. */
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'install the PostgreSQL server (Debian/Ubuntu: `apt-get install postgresql`), put its bin dir in PG_BIN, or point PALISADE_TEST_PG_URL at a server';

/** The directory holding initdb/pg_ctl: PG_BIN, else the newest /usr/lib/postgresql/N/bin, else `pg_config --bindir`. */
async function findBinDir(): Promise<string> {
  const candidates: string[] = [];
  const env = process.env['PG_BIN'];
  if (env !== undefined && env !== '') candidates.push(env);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, 'bin')));
  }
  try {
    candidates.push((await run('pg_config', ['--bindir'])).stdout.trim());
  } catch {
    // no pg_config on PATH
  }
  const found = candidates.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
  if (found === undefined) {
    throw new Error(`PostgreSQL server binaries (initdb, pg_ctl) not found in ${candidates.join(', ') || 'PG_BIN, /usr/lib/postgresql/*/bin or pg_config --bindir'}: ${INSTALL_HINT}`);
  }
  return found;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function newDbName(): string {
  return `palisade_test_${randomBytes(6).toString('hex')}`;
}

async function createDatabaseAt(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

async function dropDatabasesAt(adminUrl: string, names: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    for (const n of names) await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(n)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

async function useExternal(adminUrl: string): Promise<TestPostgres> {
  const created: string[] = [];
  const createDatabase = async (): Promise<string> => {
    const name = newDbName();
    const url = await createDatabaseAt(adminUrl, name);
    created.push(name);
    return url;
  };
  const url = await createDatabase();
  return { url, createDatabase, stop: () => dropDatabasesAt(adminUrl, created) };
}

export async function startPostgres(): Promise<TestPostgres> {
  const external = process.env['PALISADE_TEST_PG_URL'];
  if (external !== undefined && external !== '') return useExternal(external);

  const bin = await findBinDir();
  const asRoot = process.getuid?.() === 0;
  let owner: { uid: number; gid: number };
  let superuser: string;
  if (asRoot) {
    const id = await run('id', ['-u', 'postgres']).catch(() => {
      throw new Error(`running as root, PostgreSQL must run as the "postgres" system user, which does not exist: ${INSTALL_HINT}`);
    });
    owner = { uid: Number(id.stdout.trim()), gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()) };
    superuser = 'postgres';
  } else {
    owner = { uid: userInfo().uid, gid: userInfo().gid };
    superuser = userInfo().username;
  }
  const pgExec = (cmd: string, args: readonly string[]) => (asRoot ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), [...args]));

  const dir = mkdtempSync(join(tmpdir(), 'palisade-pg-'));
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    chownSync(dir, owner.uid, owner.gid);
    await pgExec('initdb', ['-D', data, '-U', superuser, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  } catch (e) {
    cleanup();
    throw new Error(`initdb failed: ${e instanceof Error ? e.message : String(e)}`);
  }

  let port = 0;
  let started = false;
  let lastError = '';
  // The free port can be taken between probing and binding: try a few.
  for (let attempt = 0; attempt < 5 && !started; attempt++) {
    port = await freePort();
    const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200`;
    try {
      await pgExec('pg_ctl', ['-D', data, '-l', log, '-o', opts, '-w', '-t', '60', 'start']);
      started = true;
    } catch (e) {
      lastError = `${e instanceof Error ? e.message : String(e)}\n${existsSync(log) ? readFileSync(log, 'utf8').slice(-2000) : ''}`;
    }
  }
  if (!started) {
    cleanup();
    throw new Error(`pg_ctl start failed: ${lastError}`);
  }

  const adminUrl = `postgresql://${encodeURIComponent(superuser)}@127.0.0.1:${port}/postgres`;
  const createDatabase = () => createDatabaseAt(adminUrl, newDbName());
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      await pgExec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } finally {
      cleanup();
    }
  };
  try {
    return { url: await createDatabase(), createDatabase, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

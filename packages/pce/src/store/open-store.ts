/**
 * Picks the Store implementation from `--db`: `sqlite:PATH` (relative to the working
 * directory), `postgres://…` or `postgresql://…`; without one, SQLite in the data dir.
 */
import { join, resolve } from 'node:path';
import { invalid } from '@palisade/core/errors.ts';
import { openPostgresStore, redactUrl } from './postgres/postgres-store.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

const EXAMPLES = 'use sqlite:PATH (e.g. sqlite:./data/palisade.db) or postgres://USER:PASSWORD@HOST:PORT/DATABASE (e.g. postgres://palisade:secret@127.0.0.1:5432/palisade)';

export function defaultDbSpec(dataDir: string): string {
  return `sqlite:${join(dataDir, 'palisade.db')}`;
}

type ParsedSpec = { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string };

/** Validates a `--db` value without opening anything. */
export function parseDbSpec(spec: string): ParsedSpec {
  if (spec.startsWith('sqlite:')) {
    const path = spec.slice('sqlite:'.length);
    if (path === '') throw invalid('invalid_db_url', `"${spec}" names no file: ${EXAMPLES}`);
    // `sqlite://x` reads as a URL with host x, which is not what a path means here.
    if (path.startsWith('//') && !path.startsWith('///')) {
      throw invalid('invalid_db_url', `"${spec}": write sqlite:PATH without "//" (e.g. sqlite:./data/palisade.db or sqlite:/var/lib/palisade/palisade.db)`);
    }
    return { kind: 'sqlite', path: path === ':memory:' ? path : resolve(path) };
  }
  if (/^postgres(ql)?:/.test(spec)) {
    let url: URL;
    try {
      url = new URL(spec);
    } catch {
      // Not echoed: it may hold a password.
      throw invalid('invalid_db_url', `the PostgreSQL URL given is not a valid URL: ${EXAMPLES}`);
    }
    const shown = redactUrl(spec);
    if (!spec.includes('://')) throw invalid('invalid_db_url', `"${shown}" is missing "//" after the scheme: ${EXAMPLES}`);
    if (url.hostname === '' && !url.searchParams.has('host')) {
      throw invalid('invalid_db_url', `"${shown}" names no server (or ?host=/socket/dir): ${EXAMPLES}`);
    }
    return { kind: 'postgres', url: spec };
  }
  throw invalid('invalid_db_url', `"${spec}" is not a database URL: ${EXAMPLES}`);
}

export async function openStore(spec: string | undefined, dataDir: string): Promise<Store> {
  const parsed = parseDbSpec(spec ?? defaultDbSpec(dataDir));
  return parsed.kind === 'sqlite' ? openSqliteStore(parsed.path) : openPostgresStore(parsed.url);
}

/**
 * HTTP Basic with API keys (`key_id:secret`), checked on every request.
 *
 * The store is not read per request: a verified key (its stored secret hash, principal and
 * when it was read) is cached for CACHE_MS, and each request compares the sha256 of the
 * secret it presents with the cached hash. Deleting a key clears it from the cache of the
 * process that deleted it at once; other processes sharing the database forget it within
 * CACHE_MS.
 *
 * Under load the cache must never expire for everyone at once: past half its life an entry
 * is re-read in the background while requests keep using it, and every lookup of one key id
 * is shared by all the requests waiting for it. Without both, an expiry under 100 concurrent
 * requests queued 100 reads on the one SQLite reader connection and every request waited
 * behind them (a periodic stall of tens to hundreds of milliseconds).
 *
 * On the hot path (`cachedPrincipal`) a keep-alive connection that presents the very header
 * it was verified with before is matched by the header's bytes (compared in constant time)
 * instead of by decoding and hashing it again, as long as the key's cache entry is the one
 * it matched: that decoding and hashing was about a tenth of a hot answer's CPU. The header
 * is kept for the life of that connection only (a WeakMap on the socket, which holds the
 * header already while it reads each request), never in a table of its own; a key that is
 * deleted or re-read is verified in full again on its next request.
 */
import { forbidden, unauthenticated } from '@palisade/core/errors.ts';
import type { Store } from '../store/store.ts';
import type { Principal } from './principal.ts';
import { safeEqualBytes, sha256 } from './secrets.ts';

const CACHE_MS = 5_000;
/** Age from which an entry in use is re-read in the background. */
const REFRESH_MS = CACHE_MS / 2;

interface VerifiedKey {
  readonly principal: Principal | undefined;
  /** sha256 of the secret as stored; undefined when the key id does not exist. */
  readonly hash: Buffer | undefined;
  /** Why a known key cannot be used (its user was deleted). */
  readonly userMissing: boolean;
  readonly at: number;
}

export class ApiKeyAuth {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #cache = new Map<string, VerifiedKey>();
  /** One store read per key id at a time, shared by every request that needs it. */
  readonly #lookups = new Map<string, Promise<VerifiedKey>>();
  /** Bumped by `forget`, so a lookup that raced a delete does not put the key back. */
  readonly #epochs = new Map<string, number>();
  /** Per connection (socket): the header last verified on it, and the cache entry it matched. */
  readonly #byConnection = new WeakMap<object, { readonly header: Buffer; readonly keyId: string; readonly entry: VerifiedKey }>();

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  forget(keyId: string): void {
    this.#cache.delete(keyId);
    this.#lookups.delete(keyId);
    this.#epochs.set(keyId, (this.#epochs.get(keyId) ?? 0) + 1);
  }

  async authenticate(header: string | undefined): Promise<Principal> {
    if (!header || !header.startsWith('Basic ')) {
      throw unauthenticated('authentication_required', 'Send an API key with HTTP Basic auth: the key id as user name, the secret as password.');
    }
    const { keyId, hash } = decodeBasic(header);
    if (!keyId || !hash) throw unauthenticated('invalid_credentials', 'The API key id or secret is wrong.');
    const cached = this.#fresh(keyId, hash);
    if (cached) return verified(cached, hash);
    // Expired, unknown, or a secret that does not match what we read: ask the store (once
    // for all concurrent callers); a wrong secret never trusts a cached "no such key".
    return verified(await this.#lookup(keyId), hash);
  }

  /**
   * The principal of a Basic header when this process verified its key recently and the
   * secret matches, without waiting for anything; undefined otherwise (never an error: the
   * caller then takes `authenticate`, which says what is wrong). `connection` is the socket
   * the request came on: a header it was verified with before is matched without hashing.
   */
  cachedPrincipal(header: string | undefined, connection?: object): Principal | undefined {
    if (!header || !header.startsWith('Basic ')) return undefined;
    const bytes = connection ? Buffer.from(header, 'latin1') : undefined;
    const seen = connection ? this.#byConnection.get(connection) : undefined;
    if (seen && bytes && safeEqualBytes(seen.header, bytes) && this.#current(seen.keyId, seen.entry)) return seen.entry.principal;
    const { keyId, hash } = decodeBasic(header);
    if (!keyId || !hash) return undefined;
    const cached = this.#fresh(keyId, hash);
    if (!cached || cached.userMissing || !cached.principal) return undefined;
    if (connection && bytes) this.#byConnection.set(connection, { header: bytes, keyId, entry: cached });
    return cached.principal;
  }

  /** The cached entry of a key when it is fresh and `hash` matches its secret. */
  #fresh(keyId: string, hash: Buffer): VerifiedKey | undefined {
    const cached = this.#cache.get(keyId);
    return cached?.hash && safeEqualBytes(cached.hash, hash) && this.#current(keyId, cached) ? cached : undefined;
  }

  /** Whether `entry` is still the cache's entry for the key and fresh (past half its life it is re-read in the background). */
  #current(keyId: string, entry: VerifiedKey): boolean {
    const age = this.#now() - entry.at;
    if (this.#cache.get(keyId) !== entry || age >= CACHE_MS) return false;
    if (age >= REFRESH_MS) void this.#lookup(keyId).catch(() => undefined);
    return true;
  }

  #lookup(keyId: string): Promise<VerifiedKey> {
    const running = this.#lookups.get(keyId);
    if (running) return running;
    const epoch = this.#epochs.get(keyId) ?? 0;
    const p = this.#store
      .read(async (tx) => {
        const key = await tx.getApiKey(keyId);
        return { key, user: key ? await tx.getUser(key.org_id, key.user_id) : undefined };
      })
      .then(({ key, user }): VerifiedKey => {
        const entry: VerifiedKey = {
          principal: key && user ? { org: key.org_id, keyId, userId: key.user_id, username: user.username, role: key.role } : undefined,
          hash: key ? Buffer.from(key.secret_hash, 'hex') : undefined,
          userMissing: key !== undefined && user === undefined,
          at: this.#now(),
        };
        if ((this.#epochs.get(keyId) ?? 0) === epoch) {
          // Only usable keys are kept: unknown ids must not fill the cache.
          if (entry.principal) this.#cache.set(keyId, entry);
          else this.#cache.delete(keyId);
        }
        return entry;
      })
      .finally(() => {
        if (this.#lookups.get(keyId) === p) this.#lookups.delete(keyId);
      });
    this.#lookups.set(keyId, p);
    return p;
  }
}

function decodeBasic(header: string): { keyId: string; hash: Buffer | undefined } {
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const keyId = colon === -1 ? '' : decoded.slice(0, colon);
  const secret = colon === -1 ? '' : decoded.slice(colon + 1);
  return { keyId, hash: secret ? sha256(secret) : undefined };
}

function verified(entry: VerifiedKey, hash: Buffer): Principal {
  if (!entry.hash || !safeEqualBytes(entry.hash, hash)) throw unauthenticated('invalid_credentials', 'The API key id or secret is wrong.');
  if (entry.userMissing || !entry.principal) throw forbidden('user_missing', 'The user this API key belongs to no longer exists.');
  return entry.principal;
}

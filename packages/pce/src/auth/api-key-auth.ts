/**
 * HTTP Basic with API keys (`key_id:secret`). Verified keys are cached briefly so that a
 * burst of requests costs one store read; deleting a key clears it from the cache of the
 * process that deleted it, and other processes forget it within CACHE_MS.
 */
import { forbidden, unauthenticated } from '@palisade/core/errors.ts';
import type { Store } from '../store/store.ts';
import type { Principal } from './principal.ts';
import { safeEqualHex, sha256Hex } from './secrets.ts';

const CACHE_MS = 5_000;

export class ApiKeyAuth {
  readonly #store: Store;
  readonly #now: () => number;
  readonly #cache = new Map<string, { principal: Principal; hash: string; at: number }>();

  constructor(store: Store, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  forget(keyId: string): void {
    this.#cache.delete(keyId);
  }

  async authenticate(header: string | undefined): Promise<Principal> {
    if (!header || !header.startsWith('Basic ')) {
      throw unauthenticated('authentication_required', 'Send an API key with HTTP Basic auth: the key id as user name, the secret as password.');
    }
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const keyId = colon === -1 ? '' : decoded.slice(0, colon);
    const secret = colon === -1 ? '' : decoded.slice(colon + 1);
    if (!keyId || !secret) throw unauthenticated('invalid_credentials', 'The API key id or secret is wrong.');
    const hash = sha256Hex(secret);
    const cached = this.#cache.get(keyId);
    if (cached && this.#now() - cached.at < CACHE_MS && safeEqualHex(cached.hash, hash)) return cached.principal;

    const found = await this.#store.read(async (tx) => {
      const key = await tx.getApiKey(keyId);
      if (!key) return undefined;
      const user = await tx.getUser(key.org_id, key.user_id);
      return { key, user };
    });
    if (!found || !safeEqualHex(found.key.secret_hash, hash)) {
      throw unauthenticated('invalid_credentials', 'The API key id or secret is wrong.');
    }
    if (!found.user) throw forbidden('user_missing', 'The user this API key belongs to no longer exists.');
    const principal: Principal = {
      org: found.key.org_id,
      keyId,
      userId: found.key.user_id,
      username: found.user.username,
      role: found.key.role,
    };
    this.#cache.set(keyId, { principal, hash: found.key.secret_hash, at: this.#now() });
    return principal;
  }
}

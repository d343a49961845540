/**
 * Where the PCE is and who we are: flags first, then environment, then the owner key file
 * that `palisade pce start` wrote under ./data.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { invalid } from '@palisade/core/errors.ts';
import { ApiClient, type TlsMode } from './api-client.ts';
import type { CliIo } from './io.ts';

export interface ConnectionFlags {
  readonly pce?: string | undefined;
  readonly apiKeyFile?: string | undefined;
  readonly org?: string | undefined;
  readonly fingerprint?: string | undefined;
  readonly insecure?: boolean | undefined;
}

interface KeyFile {
  readonly org_id?: number;
  readonly key_id: string;
  readonly secret: string;
}

async function readKeyFile(path: string, explicit: boolean): Promise<KeyFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    if (!explicit) return undefined;
    throw invalid('api_key_file_unreadable', `cannot read the API key file ${path}; pass --api-key-file FILE (written by "palisade pce start" as DATA_DIR/admin-api-key.json)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('api_key_file_invalid', `${path} is not JSON; expected {"org_id","key_id","secret"}`);
  }
  const o = parsed as Partial<Record<'org_id' | 'key_id' | 'secret', unknown>>;
  if (typeof o.key_id !== 'string' || typeof o.secret !== 'string') throw invalid('api_key_file_invalid', `${path} must hold {"org_id","key_id","secret"}`);
  return { key_id: o.key_id, secret: o.secret, ...(typeof o.org_id === 'number' ? { org_id: o.org_id } : {}) };
}

export async function connect(flags: ConnectionFlags, io: CliIo): Promise<ApiClient> {
  const pce = flags.pce ?? io.env['PALISADE_PCE'];
  if (!pce) throw invalid('pce_url_missing', 'which PCE? pass --pce URL (e.g. https://127.0.0.1:8443) or set PALISADE_PCE');
  let base: URL;
  try {
    base = new URL(pce);
  } catch {
    throw invalid('pce_url_invalid', `--pce "${pce}" is not a URL; write it as https://HOST:PORT`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw invalid('pce_url_invalid', `--pce must be an http:// or https:// URL, not "${pce}"`);

  const envId = io.env['PALISADE_API_KEY_ID'];
  const envSecret = io.env['PALISADE_API_KEY_SECRET'];
  const fileFlag = flags.apiKeyFile ?? io.env['PALISADE_API_KEY_FILE'];
  let key: KeyFile | undefined;
  if (fileFlag !== undefined) key = await readKeyFile(resolve(io.cwd, fileFlag), true);
  else if (envId && envSecret) key = { key_id: envId, secret: envSecret };
  else key = await readKeyFile(resolve(io.cwd, 'data/admin-api-key.json'), false);
  if (!key) throw invalid('api_key_missing', 'no API key: pass --api-key-file FILE, set PALISADE_API_KEY_FILE, or set PALISADE_API_KEY_ID and PALISADE_API_KEY_SECRET');

  let org = key.org_id ?? 1;
  if (flags.org !== undefined) {
    if (!/^[1-9]\d{0,9}$/.test(flags.org)) throw invalid('invalid_flag', `--org must be an org number, not "${flags.org}"`);
    org = Number(flags.org);
  }

  let tls: TlsMode = { kind: 'system' };
  if (flags.fingerprint !== undefined && flags.insecure) throw invalid('invalid_flag', 'pass either --fingerprint or --insecure, not both');
  if (flags.fingerprint !== undefined) {
    if (!/^(sha-?256[:=]?)?[0-9a-f:]{64,95}$/i.test(flags.fingerprint.trim())) throw invalid('invalid_flag', '--fingerprint must be a SHA-256 fingerprint such as AB:CD:… (64 hex digits)');
    tls = { kind: 'pinned', fingerprint: flags.fingerprint.trim() };
  } else if (flags.insecure) {
    if (base.protocol === 'https:') io.err('warning: --insecure: the PCE certificate is not checked; anyone on the path can read your API key');
    tls = { kind: 'insecure' };
  }
  return new ApiClient({ baseUrl: base.origin, keyId: key.key_id, secret: key.secret, org, tls });
}

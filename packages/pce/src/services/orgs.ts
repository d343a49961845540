/**
 * Orgs, users, API keys, the org's SecureConnect PSK and firewall settings. An org is born
 * with the built-in label keys, the `Any` IP list, `All Services`, PSK firewall settings,
 * a fresh 64-hex PSK from the CSPRNG, and an owner with one API key.
 */
import { conflict, forbidden, invalid, notFound } from '@palisade/core/errors.ts';
import { BUILTIN_LABEL_KEYS, type LabelDimension } from '@palisade/core/model/labels.ts';
import { ANY_IP_LIST_NAME } from '@palisade/core/model/ip-lists.ts';
import { ALL_SERVICES_NAME } from '@palisade/core/model/services.ts';
import { DEFAULT_FIREWALL_SETTINGS, type FirewallSettings, type FirewallSettingsUpdate } from '@palisade/core/model/firewall-settings.ts';
import { roleAtLeast, type ApiKeyCreate, type UserCreate } from '@palisade/core/model/users.ts';
import type { Role } from '@palisade/core/model/common.ts';
import type { PolicyType } from '@palisade/core/href.ts';
import type { PceEnv } from '../env.ts';
import type { Principal } from '../auth/principal.ts';
import type { Pce } from '../pce.ts';
import type { ApiKeyRow, OrgRow, StoreTx, UserRow } from '../store/store.ts';
import { hashPassword, sha256Hex } from '../auth/secrets.ts';
import { recordEvent } from './events.ts';
import { getObject, writeDraft } from './policy-store.ts';
import type { VenRecord } from '../agents/ven-record.ts';
import { redeliverOrg } from '../agents/deliveries.ts';
import { pskDelivery, pskVens, readyStep } from '../agents/psk-rotation.ts';

export interface NewApiKey {
  readonly href: string;
  readonly key_id: string;
  readonly auth_username: string;
  readonly secret: string;
  readonly org_id: number;
}

async function builtin(tx: StoreTx, org: number, type: PolicyType, id: string, data: Record<string, unknown>, now: string): Promise<void> {
  const json = JSON.stringify({ id, ...data, builtin: true, created_at: now, updated_at: now });
  // Built-ins belong to every version, from before the first provision (version 0) on.
  await tx.insertRevision({ org_id: org, type, id, since_version: 0, until_version: null, data: json });
  await tx.putDraft({ org_id: org, type, id, data: json, change: null, updated_at: now, updated_by: null });
}

export async function issueApiKey(tx: StoreTx, env: PceEnv, org: number, userId: number, role: Role, name: string, description = ''): Promise<NewApiKey> {
  const keyId = env.randomHex(8);
  const secret = env.randomHex(32);
  const row: ApiKeyRow = { key_id: keyId, org_id: org, user_id: userId, name, description, role, secret_hash: sha256Hex(secret), created_at: env.now().toISOString() };
  await tx.insertApiKey(row);
  return { href: `/users/${userId}/api_keys/${keyId}`, key_id: keyId, auth_username: keyId, secret, org_id: org };
}

/** Create an org with its built-ins and an owner key (printed once by the CLI). */
export async function createOrg(tx: StoreTx, env: PceEnv, name: string, ownerUsername: string): Promise<NewApiKey> {
  const now = env.now().toISOString();
  const org = await tx.insertOrg({ name, created_at: now, psk: env.randomHex(32), psk_previous: null, psk_generation: 1, psk_rotation_started_at: null });
  for (const key of BUILTIN_LABEL_KEYS) {
    const d: LabelDimension = { key, display_name: key[0]?.toUpperCase() + key.slice(1), builtin: true, created_at: now };
    await tx.insertDoc({ org_id: org, type: 'label_dimensions', id: key, data: JSON.stringify(d), created_at: now, updated_at: now });
  }
  await builtin(tx, org, 'ip_lists', String(await tx.nextId(org, 'ip_lists')), { name: ANY_IP_LIST_NAME, description: '', ip_ranges: [{ from_ip: '0.0.0.0/0', exclusion: false }, { from_ip: '::/0', exclusion: false }], fqdns: [] }, now);
  await builtin(tx, org, 'services', String(await tx.nextId(org, 'services')), { name: ALL_SERVICES_NAME, description: '', service_ports: [{ proto: -1 }] }, now);
  await builtin(tx, org, 'firewall_settings', 'firewall_settings', { ...DEFAULT_FIREWALL_SETTINGS }, now);
  const userId = await tx.insertUser({ org_id: org, username: ownerUsername, full_name: 'Org owner', password_hash: null, role: 'owner', created_at: now });
  const key = await issueApiKey(tx, env, org, userId, 'owner', 'owner key (created with the org)');
  await recordEvent(tx, env, org, { system: 'pce' }, 'org.create', [{ resource: { type: 'org', href: `/orgs/${org}`, name }, change_type: 'create' }]);
  return key;
}

export function renderUser(u: UserRow): unknown {
  return { href: `/users/${u.id}`, username: u.username, full_name: u.full_name, role: u.role, org_id: u.org_id, created_at: u.created_at };
}

export async function createUser(pce: Pce, p: Principal, input: UserCreate): Promise<UserRow> {
  if (!roleAtLeast(p.role, input.role)) throw forbidden('insufficient_role', `a ${p.role} cannot create a user with the role ${input.role}`);
  return pce.store.transaction(async (tx) => {
    if (await tx.getUserByUsername(input.username)) throw invalid('username_in_use', `the user name "${input.username}" is taken`);
    const now = pce.env.now().toISOString();
    const row = { org_id: p.org, username: input.username, full_name: input.full_name ?? '', password_hash: input.password ? hashPassword(input.password) : null, role: input.role, created_at: now };
    const id = await tx.insertUser(row);
    await recordEvent(tx, pce.env, p.org, p, 'user.create', [{ resource: { type: 'user', href: `/users/${id}`, name: input.username }, change_type: 'create', after: { username: input.username, role: input.role } }]);
    return { ...row, id };
  });
}

/** The user whose keys are managed: yourself, or (owner/admin) anyone in your org. */
export async function requireUser(tx: StoreTx, p: Principal, rawId: string): Promise<UserRow> {
  const id = /^[1-9][0-9]{0,9}$/.test(rawId) ? Number(rawId) : NaN;
  const u = Number.isNaN(id) ? undefined : await tx.getUser(p.org, id);
  if (!u) throw notFound('user_not_found', `no user /users/${rawId} in org ${p.org}`);
  if (u.id !== p.userId && !roleAtLeast(p.role, 'admin')) throw forbidden('insufficient_role', 'only an owner or admin can manage the API keys of other users');
  return u;
}

export async function createApiKey(pce: Pce, p: Principal, userId: string, input: ApiKeyCreate): Promise<NewApiKey> {
  return pce.store.transaction(async (tx) => {
    const u = await requireUser(tx, p, userId);
    const role = input.role ?? u.role;
    if (!roleAtLeast(u.role, role) || !roleAtLeast(p.role, role)) throw forbidden('insufficient_role', `an API key can only narrow its user's role (${u.role}) and the caller's (${p.role})`);
    const key = await issueApiKey(tx, pce.env, p.org, u.id, role, input.name, input.description ?? '');
    await recordEvent(tx, pce.env, p.org, p, 'api_key.create', [{ resource: { type: 'api_key', href: key.href, name: input.name }, change_type: 'create', after: { key_id: key.key_id, role } }]);
    return key;
  });
}

export function renderApiKey(k: ApiKeyRow): unknown {
  return { href: `/users/${k.user_id}/api_keys/${k.key_id}`, key_id: k.key_id, auth_username: k.key_id, name: k.name, description: k.description, role: k.role, created_at: k.created_at };
}

export async function deleteApiKey(pce: Pce, p: Principal, userId: string, keyId: string): Promise<void> {
  await pce.store.transaction(async (tx) => {
    const u = await requireUser(tx, p, userId);
    const k = await tx.getApiKey(keyId);
    if (!k || k.user_id !== u.id || !(await tx.deleteApiKey(p.org, keyId))) throw notFound('api_key_not_found', `no API key ${keyId} for /users/${u.id}`);
    await recordEvent(tx, pce.env, p.org, p, 'api_key.delete', [{ resource: { type: 'api_key', href: `/users/${u.id}/api_keys/${keyId}` }, change_type: 'delete' }]);
  });
  pce.auth.forget(keyId);
}

/** The PSK's state, never the key itself. */
export function pskStatus(o: OrgRow, vens: readonly VenRecord[]): unknown {
  const ready = readyStep(o);
  const behind = vens.filter((v) => (v.psk_generation ?? 0) < ready);
  return {
    generation: o.psk_generation,
    state: o.psk_previous === null ? 'steady' : 'rotating',
    /** 1: agents accept the new key; 2: they authenticate with it (complete is possible). */
    step: o.psk_previous === null ? null : pskDelivery(o, vens).generation === 3 * o.psk_generation - 1 ? 2 : 1,
    rotation_started_at: o.psk_rotation_started_at,
    vens_on_current: vens.length - behind.length,
    vens_total: vens.length,
    vens_behind: behind.slice(0, 50).map((v) => ({ href: `/orgs/${o.id}/vens/${v.id}`, hostname: v.hostname, psk_generation: v.psk_generation ?? null })),
  };
}

async function requireOrg(tx: StoreTx, org: number): Promise<OrgRow> {
  const o = await tx.getOrg(org);
  if (!o) throw notFound('org_not_found', `no org ${org}`);
  return o;
}

export async function getPskStatus(pce: Pce, org: number): Promise<unknown> {
  return pce.store.read(async (tx) => pskStatus(await requireOrg(tx, org), await pskVens(tx, org)));
}

/**
 * Start a rotation, make-before-break: the new key becomes current, the old one stays
 * accepted, and every agent gets both. The rotation completes once every VEN reports the
 * new generation (or when forced).
 */
export async function startPskRotation(pce: Pce, p: Principal): Promise<unknown> {
  const status = await pce.store.transaction(async (tx) => {
    await tx.lockOrg(p.org);
    const o = await requireOrg(tx, p.org);
    if (o.psk_previous !== null) throw invalid('psk_rotation_in_progress', 'a PSK rotation is already in progress; complete it first (POST …/secure_connect/psk_rotation/complete)');
    const next = { psk: pce.env.randomHex(32), psk_previous: o.psk, psk_generation: o.psk_generation + 1, psk_rotation_started_at: pce.env.now().toISOString() };
    await tx.updateOrgPsk(p.org, next);
    await recordEvent(tx, pce.env, p.org, p, 'secure_connect.psk_rotation.start', [{ resource: { type: 'org', href: `/orgs/${p.org}` }, change_type: 'update', after: { generation: next.psk_generation } }]);
    return pskStatus({ ...o, ...next }, await pskVens(tx, p.org));
  });
  await redeliverOrg(pce, p.org);
  return status;
}

export async function completePskRotation(pce: Pce, p: Principal, force: boolean): Promise<unknown> {
  const status = await pce.store.transaction(async (tx) => {
    await tx.lockOrg(p.org);
    const o = await requireOrg(tx, p.org);
    if (o.psk_previous === null) throw invalid('psk_rotation_not_in_progress', 'no PSK rotation is in progress; start one with POST …/secure_connect/psk_rotation');
    const behind = (await pskVens(tx, p.org)).filter((v) => (v.psk_generation ?? 0) < readyStep(o));
    if (behind.length > 0 && !force) {
      throw conflict('psk_rotation_incomplete', `${behind.length} VEN(s) do not authenticate with the new key yet (${behind.slice(0, 10).map((v) => v.hostname).join(', ')}); dropping the old key now would cut them off. Wait, or complete with {"force": true}`);
    }
    const next = { psk: o.psk, psk_previous: null, psk_generation: o.psk_generation, psk_rotation_started_at: null };
    await tx.updateOrgPsk(p.org, next);
    await recordEvent(tx, pce.env, p.org, p, 'secure_connect.psk_rotation.complete', [{ resource: { type: 'org', href: `/orgs/${p.org}` }, change_type: 'update', after: { generation: o.psk_generation, forced: force && behind.length > 0 } }]);
    return pskStatus({ ...o, ...next }, await pskVens(tx, p.org));
  });
  await redeliverOrg(pce, p.org);
  return status;
}

export async function updateFirewallSettings(pce: Pce, p: Principal, input: FirewallSettingsUpdate): Promise<void> {
  await pce.store.transaction(async (tx) => {
    const before = ((await getObject(tx, p.org, 'draft', 'firewall_settings', 'firewall_settings')) ?? { id: 'firewall_settings', ...DEFAULT_FIREWALL_SETTINGS }) as unknown as FirewallSettings & { id: string };
    const after = { ...before, ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)), builtin: undefined };
    if (after.ike_authentication_type === 'certificate' && !after.ike_ca_identity) {
      throw invalid('ike_ca_identity_required', 'certificate authentication needs ike_ca_identity: the distinguished name of the CA that issues the hosts\' IPsec certificates');
    }
    const now = pce.env.now().toISOString();
    await writeDraft(tx, p.org, 'firewall_settings', { ...after, id: 'firewall_settings', updated_at: now }, 'firewall_settings', now, p.keyId);
    await recordEvent(tx, pce.env, p.org, p, 'firewall_settings.update', [{ resource: { type: 'firewall_settings', href: `/orgs/${p.org}/sec_policy/draft/firewall_settings` }, change_type: 'update', after: input }]);
  });
}

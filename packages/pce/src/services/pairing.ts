/** Pairing profiles and their activation codes (the VEN side of pairing comes in issue 4). */
import { invalid, notFound } from '@palisade/core/errors.ts';
import { orgHref } from '@palisade/core/href.ts';
import type { PairingProfile, PairingProfileCreate } from '@palisade/core/model/pairing-profiles.ts';
import type { Principal } from '../auth/principal.ts';
import type { Pce } from '../pce.ts';
import type { StoreTx } from '../store/store.ts';
import { sha256Hex } from '../auth/secrets.ts';
import { recordEvent } from './events.ts';
import { resolveWorkloadLabels } from './workloads.ts';

export function renderProfile(org: number, p: PairingProfile & { created_at?: string; updated_at?: string }): unknown {
  const { id, ...rest } = p;
  return { href: orgHref(org, 'pairing_profiles', id), ...rest };
}

async function requireProfile(tx: StoreTx, org: number, id: string): Promise<PairingProfile> {
  const row = await tx.getDoc(org, 'pairing_profiles', id);
  if (!row) throw notFound('pairing_profile_not_found', `no pairing profile ${orgHref(org, 'pairing_profiles', id)}`);
  return JSON.parse(row.data) as PairingProfile;
}

export async function getProfile(pce: Pce, org: number, id: string): Promise<PairingProfile> {
  return pce.store.read((tx) => requireProfile(tx, org, id));
}

export async function createProfile(pce: Pce, p: Principal, input: PairingProfileCreate): Promise<PairingProfile> {
  return pce.store.transaction(async (tx) => {
    const labels = await resolveWorkloadLabels(tx, p.org, input.labels);
    const id = String(await tx.nextId(p.org, 'pairing_profiles'));
    const now = pce.env.now().toISOString();
    const prof = { ...input, id, labels: labels.map((l) => ({ href: orgHref(p.org, 'labels', l.id) })), created_at: now, updated_at: now };
    await tx.insertDoc({ org_id: p.org, type: 'pairing_profiles', id, data: JSON.stringify(prof), created_at: now, updated_at: now });
    await recordEvent(tx, pce.env, p.org, p, 'pairing_profile.create', [{ resource: { type: 'pairing_profile', href: orgHref(p.org, 'pairing_profiles', id), name: input.name }, change_type: 'create' }]);
    return prof;
  });
}

export async function updateProfile(pce: Pce, p: Principal, id: string, input: Partial<PairingProfileCreate>): Promise<void> {
  await pce.store.transaction(async (tx) => {
    const before = await requireProfile(tx, p.org, id);
    const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    if (input.labels) defined['labels'] = (await resolveWorkloadLabels(tx, p.org, input.labels)).map((l) => ({ href: orgHref(p.org, 'labels', l.id) }));
    const now = pce.env.now().toISOString();
    await tx.updateDoc(p.org, 'pairing_profiles', id, JSON.stringify({ ...before, ...defined, id, updated_at: now }), now);
    await recordEvent(tx, pce.env, p.org, p, 'pairing_profile.update', [{ resource: { type: 'pairing_profile', href: orgHref(p.org, 'pairing_profiles', id) }, change_type: 'update', after: defined }]);
  });
}

export async function deleteProfile(pce: Pce, p: Principal, id: string): Promise<void> {
  await pce.store.transaction(async (tx) => {
    await requireProfile(tx, p.org, id);
    await tx.deleteDoc(p.org, 'pairing_profiles', id);
    await recordEvent(tx, pce.env, p.org, p, 'pairing_profile.delete', [{ resource: { type: 'pairing_profile', href: orgHref(p.org, 'pairing_profiles', id) }, change_type: 'delete' }]);
  });
}

/** Each call answers a new activation code; only its hash is stored. */
export async function newActivationCode(pce: Pce, p: Principal, id: string): Promise<{ activation_code: string }> {
  return pce.store.transaction(async (tx) => {
    const prof = await requireProfile(tx, p.org, id);
    if (!prof.enabled) throw invalid('pairing_profile_disabled', `pairing profile "${prof.name}" is disabled; enable it to generate activation codes`);
    const code = pce.env.randomHex(20);
    const now = pce.env.now();
    await tx.insertActivationCode({
      code_hash: sha256Hex(code),
      org_id: p.org,
      pairing_profile_id: id,
      created_at: now.toISOString(),
      expires_at: prof.key_lifespan === 'unlimited' ? null : new Date(now.getTime() + prof.key_lifespan * 1000).toISOString(),
      uses_left: prof.allowed_uses_per_key === 'unlimited' ? null : prof.allowed_uses_per_key,
    });
    await recordEvent(tx, pce.env, p.org, p, 'pairing_profile.pairing_key.create', [{ resource: { type: 'pairing_profile', href: orgHref(p.org, 'pairing_profiles', id) }, change_type: 'update' }]);
    return { activation_code: code };
  });
}

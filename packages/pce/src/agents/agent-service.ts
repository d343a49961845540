/** Pairing and the agent side of the channel: activation, credentials, reports from VENs. */
import { invalid, PalisadeError, unauthenticated } from '@palisade/core/errors.ts';
import { orgHref, parseHref } from '@palisade/core/href.ts';
import { parseInput } from '@palisade/core/validate.ts';
import type { PairingProfile } from '@palisade/core/model/pairing-profiles.ts';
import type { Workload } from '@palisade/core/model/workloads.ts';
import type { z } from 'zod';
import type { Pce } from '../pce.ts';
import { safeEqualHex, sha256Hex } from '../auth/secrets.ts';
import { recordEvent } from '../services/events.ts';
import { writeWorkloads } from '../services/workloads.ts';
import { AckSchema } from './agent-schemas.ts';
import type { ActivateSchema, AgentEventsSchema, HeartbeatSchema, SecureConnectReportSchema } from './agent-schemas.ts';
import { agentIdOf, getVen, parseAgentId, putVen, type SecureConnectPeerState, type VenRecord } from './ven-record.ts';
import { pskDelivery, pskVens, rotating } from './psk-rotation.ts';
import { redeliverOrg } from './deliveries.ts';

export interface AgentIdentity {
  readonly org: number;
  readonly venId: string;
  readonly agentId: string;
}

const badCode = (): PalisadeError =>
  invalid('invalid_activation_code', 'the activation code is unknown, expired, used up, or its pairing profile is disabled; generate a new one on the PCE (pairing profile → pairing key)');

export async function activate(pce: Pce, input: z.output<typeof ActivateSchema>): Promise<unknown> {
  const codeHash = sha256Hex(input.activation_code);
  const venId = pce.env.uuid();
  const workloadId = pce.env.uuid();
  const secret = pce.env.randomHex(32);
  const out = await writeWorkloads(
    pce,
    0,
    async (tx) => {
      const code = await tx.getActivationCode(codeHash);
      const now = pce.env.now();
      if (!code || (code.expires_at !== null && Date.parse(code.expires_at) <= now.getTime()) || code.uses_left === 0) throw badCode();
      const org = code.org_id;
      const doc = await tx.getDoc(org, 'pairing_profiles', code.pairing_profile_id);
      const profile = doc ? (JSON.parse(doc.data) as PairingProfile) : undefined;
      if (!profile || !profile.enabled) throw badCode();
      if (code.uses_left !== null) await tx.setActivationCodeUses(codeHash, code.uses_left - 1);
      const iso = now.toISOString();
      const labelIds = profile.labels.flatMap((l) => {
        const p = parseHref(l.href);
        return p && /^\d+$/.test(p.id) ? [Number(p.id)] : [];
      });
      const existing = await tx.getLabels(org, labelIds);
      const w: Omit<Workload, 'id' | 'labels'> = {
        name: input.hostname,
        hostname: input.hostname,
        description: '',
        interfaces: input.interfaces,
        public_ip: null,
        os_type: input.os_type,
        os_version: input.os_version,
        enforcement_mode: profile.enforcement_mode,
        visibility_level: profile.visibility_level,
        ven_id: venId,
        created_at: iso,
        updated_at: iso,
      };
      await tx.insertWorkload({ org_id: org, id: workloadId, data: JSON.stringify(w), label_ids: existing.map((l) => l.id), created_at: iso, updated_at: iso });
      const ven: VenRecord = {
        id: venId,
        workload_id: workloadId,
        hostname: input.hostname,
        os_type: input.os_type,
        os_version: input.os_version,
        agent_version: input.agent_version,
        secret_hash: sha256Hex(secret),
        status: 'active',
        last_heartbeat_on: null,
        sync_state: 'pending',
        sync_message: null,
        delivered: 0,
        applied: 0,
        applied_hash: null,
        activated_on: iso,
      };
      await tx.insertDoc({ org_id: org, type: 'vens', id: venId, data: JSON.stringify(ven), created_at: iso, updated_at: iso });
      await recordEvent(tx, pce.env, org, { system: `agent ${input.hostname}` }, 'agent.activate', [
        { resource: { type: 'ven', href: orgHref(org, 'vens', venId), name: input.hostname }, change_type: 'create', after: { workload: orgHref(org, 'workloads', workloadId), pairing_profile: orgHref(org, 'pairing_profiles', code.pairing_profile_id) } },
      ]);
      return { org_id: org, agent_id: agentIdOf(org, venId), secret, ven: { href: orgHref(org, 'vens', venId) }, workload: { href: orgHref(org, 'workloads', workloadId) } };
    },
  );
  pce.workloadLists.invalidate(out.org_id);
  await pce.compute.workloadChanged(out.org_id, workloadId);
  return out;
}

const badCredentials = (): PalisadeError => unauthenticated('invalid_agent_credentials', 'the agent id or secret is wrong; re-activate the VEN if it was paired with another PCE');

/** What an HTTP Basic `agent_id:secret` header claims, before any record is read. */
interface AgentClaim {
  readonly org: number;
  readonly venId: string;
  readonly secretHash: string;
}

function agentClaim(header: string | undefined): AgentClaim {
  if (!header?.startsWith('Basic ')) throw badCredentials();
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const parsed = colon > 0 ? parseAgentId(decoded.slice(0, colon)) : undefined;
  if (!parsed) throw badCredentials();
  return { ...parsed, secretHash: sha256Hex(decoded.slice(colon + 1)) };
}

/** Throws unless `ven` is the claimed VEN, paired, with the claimed secret. */
function verifyClaim(claim: AgentClaim, ven: VenRecord | undefined): asserts ven is VenRecord {
  if (!ven) throw badCredentials();
  if (ven.status === 'unpaired' || ven.secret_hash === null) throw new PalisadeError('forbidden', [{ token: 'agent_unpaired', message: 'this VEN was unpaired; activate it again to pair' }]);
  if (!safeEqualHex(ven.secret_hash, claim.secretHash)) throw badCredentials();
}

/** Agent credentials: HTTP Basic `agent_id:secret`. */
export async function authenticateAgent(pce: Pce, header: string | undefined): Promise<AgentIdentity & { ven: VenRecord }> {
  const claim = agentClaim(header);
  const ven = await pce.store.read((tx) => getVen(tx, claim.org, claim.venId));
  verifyClaim(claim, ven);
  return { org: claim.org, venId: claim.venId, agentId: agentIdOf(claim.org, claim.venId), ven };
}

/**
 * An ack, authenticated inside the group commit that records it (the credentials checked
 * against the record the same transaction updates): 1,000 agents acknowledging a provision
 * cost no read each on the PCE's one reader connection. A PSK step or an error goes the
 * ordinary way. A malformed header is refused before the body is looked at; a wrong secret
 * with a malformed body is a 406 (the body is checked before the transaction).
 */
export async function authenticatedAck(pce: Pce, header: string | undefined, body: unknown): Promise<void> {
  const claim = agentClaim(header);
  const input = parseInput(AckSchema, body);
  if (input.psk_generation !== undefined || input.status === 'error') {
    await ack(pce, await authenticateAgent(pce, header), input);
    return;
  }
  await pce.venState.update(claim.org, claim.venId, (v) => applied(v, input), (v) => verifyClaim(claim, v));
}

function applied(v: VenRecord, input: z.output<typeof AckSchema>): VenRecord {
  return { ...v, applied: Math.max(v.applied, input.delivery), applied_hash: input.hash ?? v.applied_hash, sync_state: input.delivery >= v.delivered ? 'synced' : 'applying', sync_message: null, ...(input.psk_generation !== undefined ? { psk_generation: input.psk_generation } : {}) };
}

function updateVen(pce: Pce, a: Pick<AgentIdentity, 'org' | 'venId'>, fn: (v: VenRecord) => VenRecord): Promise<VenRecord | undefined> {
  return pce.venState.update(a.org, a.venId, fn);
}

export async function recordDelivered(pce: Pce, a: Pick<AgentIdentity, 'org' | 'venId'>, delivery: number): Promise<void> {
  // Lazy: written with the acks that follow (or within a second); an unpaired VEN stays as it is.
  await pce.venState.lazyUpdate(a.org, a.venId, (v) => (v.status === 'unpaired' ? v : { ...v, delivered: Math.max(v.delivered, delivery), sync_state: v.applied >= delivery ? v.sync_state : 'applying' }));
}

export async function ack(pce: Pce, a: AgentIdentity, input: z.output<typeof AckSchema>): Promise<void> {
  if (input.psk_generation !== undefined) {
    const step = input.psk_generation;
    await updateVen(pce, a, (v) => ({ ...v, psk_generation: step }));
    await advanceRotation(pce, a.org);
  }
  const v = await updateVen(pce, a, (v) => (input.status === 'applied' ? applied(v, input) : { ...v, sync_state: 'error', sync_message: input.message ?? 'the VEN could not apply the policy' }));
  if (v && input.status === 'error') {
    await pce.store.transaction((tx) =>
      recordEvent(tx, pce.env, a.org, { system: `agent ${v.hostname}` }, 'agent.policy_apply_failed', [{ resource: { type: 'ven', href: orgHref(a.org, 'vens', a.venId), name: v.hostname }, change_type: 'update', after: { delivery: input.delivery, message: input.message } }], { severity: 'error' }),
    );
  }
}

export async function heartbeat(pce: Pce, a: AgentIdentity, input: z.output<typeof HeartbeatSchema>): Promise<void> {
  const now = pce.env.now().toISOString();
  if (input.psk_generation !== undefined) {
    const step = input.psk_generation;
    await updateVen(pce, a, (v) => ({ ...v, psk_generation: step }));
    await advanceRotation(pce, a.org);
  }
  await updateVen(pce, a, (v) => ({
    ...v,
    last_heartbeat_on: now,
    status: input.suspended === undefined ? v.status : input.suspended ? 'suspended' : 'active',
    ...(input.sync_state ? { sync_state: input.sync_state, sync_message: input.message ?? null } : {}),
    ...(input.applied_delivery !== undefined ? { applied: Math.max(v.applied, input.applied_delivery) } : {}),
    ...(input.psk_generation !== undefined ? { psk_generation: input.psk_generation } : {}),
  }));
  if (input.interfaces) {
    const ven = await pce.store.read((tx) => getVen(tx, a.org, a.venId));
    if (!ven) return;
    const changed = await writeWorkloads(pce, a.org, async (tx) => {
      const row = await tx.getWorkload(a.org, ven.workload_id);
      if (!row) return false;
      const w = JSON.parse(row.data) as Omit<Workload, 'id' | 'labels'>;
      if (JSON.stringify(w.interfaces) === JSON.stringify(input.interfaces)) return false;
      await tx.updateWorkload({ ...row, data: JSON.stringify({ ...w, interfaces: input.interfaces, updated_at: now }), updated_at: now });
      return true;
    });
    if (changed) await pce.compute.workloadChanged(a.org, ven.workload_id);
  }
}

export async function agentEvents(pce: Pce, a: AgentIdentity, ven: VenRecord, input: z.output<typeof AgentEventsSchema>): Promise<void> {
  await pce.store.transaction(async (tx) => {
    for (const e of input.events) {
      await recordEvent(tx, pce.env, a.org, { system: `agent ${ven.hostname}` }, `agent.${e.type}`, [{ resource: { type: 'ven', href: orgHref(a.org, 'vens', a.venId), name: ven.hostname }, change_type: 'update', after: { message: e.message, details: e.details ?? {} } }], { severity: e.severity });
    }
  });
}

/** Unpair: the workload becomes unmanaged and the secret stops working. */
export async function unpairVen(pce: Pce, org: number, venId: string, by: { system: string }): Promise<VenRecord | undefined> {
  let workloadId: string | undefined;
  const ven = await writeWorkloads(pce, org, async (tx) => {
    const v = await getVen(tx, org, venId);
    if (!v || v.status === 'unpaired') return v;
    const now = pce.env.now().toISOString();
    await putVen(tx, org, { ...v, status: 'unpaired', secret_hash: null, sync_state: 'pending' }, now);
    const row = await tx.getWorkload(org, v.workload_id);
    if (row) {
      const w = JSON.parse(row.data) as Omit<Workload, 'id' | 'labels'>;
      await tx.updateWorkload({ ...row, data: JSON.stringify({ ...w, ven_id: null, updated_at: now }), updated_at: now });
      workloadId = row.id;
    }
    await recordEvent(tx, pce.env, org, by, 'agent.unpair', [{ resource: { type: 'ven', href: orgHref(org, 'vens', venId), name: v.hostname }, change_type: 'update', after: { status: 'unpaired' } }]);
    return v;
  });
  if (workloadId) await pce.compute.workloadChanged(org, workloadId);
  return ven;
}

/** A host's SecureConnect state per peer; an MTU above 1400 raises a warning event once. */
export async function reportSecureConnect(pce: Pce, a: AgentIdentity, ven: VenRecord, input: z.output<typeof SecureConnectReportSchema>): Promise<void> {
  const now = pce.env.now().toISOString();
  const mtu = JSON.stringify((input.mtu_warnings ?? []).map((m) => [m.interface, m.mtu]).sort());
  await updateVen(pce, a, (v) => {
    const before = new Map((v.secure_connect?.peers ?? []).map((p) => [p.workload.href, p]));
    const peers: SecureConnectPeerState[] = input.peers.map((p) => {
      const prev = before.get(p.workload.href);
      return { workload: { href: p.workload.href }, state: p.state, reason: p.reason, ike_version: p.ike_version, since: prev && prev.state === p.state ? prev.since : now };
    });
    return { ...v, secure_connect: { updated_on: now, peers }, mtu_warnings: mtu };
  });
  if ((input.mtu_warnings ?? []).length > 0 && mtu !== ven.mtu_warnings) {
    const list = (input.mtu_warnings ?? []).map((m) => `${m.interface} (MTU ${m.mtu})`).join(', ');
    await pce.store.transaction((tx) =>
      recordEvent(tx, pce.env, a.org, { system: `agent ${ven.hostname}` }, 'agent.secure_connect_mtu', [{ resource: { type: 'ven', href: orgHref(a.org, 'vens', a.venId), name: ven.hostname }, change_type: 'update', after: { mtu_warnings: input.mtu_warnings } }], {
        severity: 'warning',
        notifications: [{ token: 'secure_connect_mtu_above_1400', message: `SecureConnect is on and ${list} is above 1400: IPsec does not carry fragmented packets well; lower the MTU (TCP MSS is clamped for SecureConnect peers)` }],
      }),
    );
  }
}

/**
 * After a VEN reports its PSK step: when every VEN has accepted the new key (step 1), move
 * everyone to step 2 at once rather than at the next cache expiry.
 */
async function advanceRotation(pce: Pce, org: number): Promise<void> {
  const now = await pce.store.read(async (tx) => {
    const o = await tx.getOrg(org);
    return o && rotating(o) ? pskDelivery(o, await pskVens(tx, org)) : undefined;
  });
  if (now && now.generation !== pce.psk.lastStep(org)) await redeliverOrg(pce, org);
}

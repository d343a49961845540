/** What the PCE keeps about a VEN (a `vens` document), and how the API shows it. */
import { orgHref } from '@palisade/core/href.ts';
import type { OsType } from '@palisade/core/model/common.ts';
import type { StoreTx } from '../store/store.ts';

export type SyncState = 'pending' | 'applying' | 'synced' | 'error';

export interface VenRecord {
  readonly id: string;
  readonly workload_id: string;
  readonly hostname: string;
  readonly os_type: OsType;
  readonly os_version: string;
  readonly agent_version: string;
  /** sha256 of the agent secret; null once unpaired. Never rendered. */
  readonly secret_hash: string | null;
  readonly status: 'active' | 'suspended' | 'unpaired';
  readonly last_heartbeat_on: string | null;
  readonly sync_state: SyncState;
  readonly sync_message: string | null;
  readonly delivered: number;
  readonly applied: number;
  readonly applied_hash: string | null;
  readonly activated_on: string;
  /** The PSK generation the host reported using (absent before SecureConnect). */
  readonly psk_generation?: number;
  /** The last SecureConnect report of the host's charon. */
  readonly secure_connect?: { readonly updated_on: string; readonly peers: readonly SecureConnectPeerState[] };
  /** The MTU warnings last reported, so a repeated report raises no new event. */
  readonly mtu_warnings?: string;
}

export interface SecureConnectPeerState {
  readonly workload: { readonly href: string };
  readonly state: 'up' | 'down' | 'error';
  readonly reason?: string | undefined;
  readonly ike_version?: 'ikev1' | 'ikev2' | undefined;
  /** When the state last changed. */
  readonly since: string;
}

/** The opaque credential id a VEN authenticates with: org and VEN id. */
export function agentIdOf(org: number, venId: string): string {
  return `${org}-${venId}`;
}

export function parseAgentId(agentId: string): { org: number; venId: string } | undefined {
  const m = /^([1-9][0-9]{0,9})-([A-Za-z0-9-]{1,64})$/.exec(agentId);
  return m?.[1] && m[2] ? { org: Number(m[1]), venId: m[2] } : undefined;
}

export async function getVen(tx: StoreTx, org: number, id: string): Promise<VenRecord | undefined> {
  const d = await tx.getDoc(org, 'vens', id);
  return d ? (JSON.parse(d.data) as VenRecord) : undefined;
}

export async function putVen(tx: StoreTx, org: number, v: VenRecord, now: string): Promise<void> {
  await tx.updateDoc(org, 'vens', v.id, JSON.stringify(v), now);
}

const OFFLINE_AFTER_MS = 90_000;

export function renderVen(org: number, v: VenRecord, now: Date, connected: boolean): unknown {
  const last = v.last_heartbeat_on ? Date.parse(v.last_heartbeat_on) : 0;
  return {
    href: orgHref(org, 'vens', v.id),
    hostname: v.hostname,
    os_type: v.os_type,
    os_version: v.os_version,
    version: v.agent_version,
    status: v.status,
    online: v.status !== 'unpaired' && (connected || now.getTime() - last < OFFLINE_AFTER_MS),
    last_heartbeat_on: v.last_heartbeat_on,
    activated_on: v.activated_on,
    policy_sync: { state: v.sync_state, message: v.sync_message, delivered: v.delivered, applied: v.applied },
    secure_connect: { psk_generation: v.psk_generation ?? null, updated_on: v.secure_connect?.updated_on ?? null, peers_up: v.secure_connect?.peers.filter((p) => p.state === 'up').length ?? 0, peers_total: v.secure_connect?.peers.length ?? 0 },
    workload: { href: orgHref(org, 'workloads', v.workload_id) },
  };
}

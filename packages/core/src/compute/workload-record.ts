/**
 * The engine's record of one workload: the input, its parsed addresses, the resolutions it is
 * a member of, its current plan, and the SecureConnect peer entries other plans use for it.
 * Mutable engine state (see engine.ts); what leaves the engine is frozen.
 */
import { formatV4, formatV6, parseAddress } from './address-ranges.ts';
import { Fnv64, type Hash64 } from './hash.ts';
import { ikeVersion, secureConnectCapable } from './ike-matrix.ts';
import type { Resolution } from './resolution.ts';
import type { ComputeWorkload, PlanWorkload, SecureConnectAuth, SecureConnectPeer, WorkloadPlan } from './types.ts';

export interface HashedPeer {
  readonly peer: SecureConnectPeer;
  readonly hash: Hash64;
}

/** Everything computed from the input alone. */
export interface DerivedWorkload {
  readonly v4: readonly number[];
  readonly v6: readonly bigint[];
  /** Addresses that did not parse, for a diagnostic. */
  readonly badAddresses: readonly string[];
  readonly capable: boolean;
  readonly header: PlanWorkload;
  readonly headerHash: Hash64;
}

export function deriveWorkload(w: ComputeWorkload): DerivedWorkload {
  const v4 = new Set<number>();
  const v6 = new Map<string, bigint>();
  const bad: string[] = [];
  for (const a of w.addresses) {
    const p = parseAddress(a.trim());
    if (!p) bad.push(a);
    else if (p.family === 4) v4.add(p.v);
    else v6.set(p.v.toString(16), p.v);
  }
  const sorted4 = [...v4].sort((a, b) => a - b);
  const sorted6 = [...v6.values()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const addresses = [...sorted4.map(formatV4), ...sorted6.map(formatV6)];
  const header: PlanWorkload = Object.freeze({
    id: w.id,
    href: w.href,
    name: w.name,
    os_type: w.os_type,
    os_version: w.os_version,
    addresses: Object.freeze(addresses),
  });
  const h = new Fnv64().str(w.id).str(w.href).str(w.name).str(w.os_type).str(w.os_version);
  for (const a of addresses) h.str(a);
  return { v4: sorted4, v6: sorted6, badAddresses: bad, capable: secureConnectCapable(w), header, headerHash: h.digest() };
}

export class WorkloadRecord {
  readonly idx: number;
  w: ComputeWorkload;
  d: DerivedWorkload;
  /** Resolutions this workload is a member of (unordered). */
  readonly resolutions: Resolution[] = [];
  plan: WorkloadPlan | undefined;
  /** This workload as somebody's SecureConnect peer, per IKE version seen from the other side. */
  private peers = new Map<string, HashedPeer>();

  constructor(idx: number, w: ComputeWorkload) {
    this.idx = idx;
    this.w = w;
    this.d = deriveWorkload(w);
  }

  set(w: ComputeWorkload): void {
    this.w = w;
    this.d = deriveWorkload(w);
    this.peers = new Map();
  }

  /** This workload as the SecureConnect peer of `other`. */
  peerFor(other: WorkloadRecord, auth: SecureConnectAuth, authKey: string): HashedPeer {
    const ike = ikeVersion(other.w, this.w);
    const k = `${ike ?? 'none'}|${authKey}`;
    const cached = this.peers.get(k);
    if (cached) return cached;
    const peer: SecureConnectPeer = Object.freeze({
      workload: this.w.href,
      name: this.w.name,
      addresses: this.d.header.addresses,
      ike_version: ike,
      auth,
      capable: this.d.capable,
    });
    const h = new Fnv64().str(peer.workload).str(peer.name).str(ike ?? '').str(authKey).u32(this.d.capable ? 1 : 0);
    for (const a of peer.addresses) h.str(a);
    const out = { peer, hash: h.digest() };
    this.peers.set(k, out);
    return out;
  }
}

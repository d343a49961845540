/**
 * The engine's record of one workload: the input, its parsed addresses, the resolutions it is
 * a member of, its current plan, and the SecureConnect peer entries other plans use for it.
 * Mutable engine state (see engine.ts); what leaves the engine is frozen.
 */
import { formatV6, parseAddress } from './address-ranges.ts';
import { Fnv64, type Hash64 } from './hash.ts';
import { ikeClass, ikeVersionOf, secureConnectCapable, type IkeClass } from './ike-matrix.ts';
import type { LabelInterner } from './match-program.ts';
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
  readonly ikeClass: IkeClass;
  readonly header: PlanWorkload;
  readonly headerHash: Hash64;
}

export function deriveWorkload(w: ComputeWorkload): DerivedWorkload {
  // Hosts have one or two addresses: arrays and linear checks beat Sets here (100k calls).
  const v4: number[] = [];
  const v4s: string[] = [];
  const v6: bigint[] = [];
  let bad: string[] | undefined;
  for (const raw of w.addresses) {
    const a = raw.trim();
    const p = parseAddress(a);
    if (!p) (bad ??= []).push(raw);
    else if (p.family === 4) {
      if (!v4.includes(p.v)) {
        v4.push(p.v);
        v4s.push(a); // parseAddress accepts canonical dotted quads only
      }
    } else if (!v6.includes(p.v)) v6.push(p.v);
  }
  let addresses: string[];
  if (v4.length <= 1 && v6.length === 0) addresses = v4s;
  else {
    const order = v4.map((v, i) => i).sort((a, b) => (v4[a] ?? 0) - (v4[b] ?? 0));
    const s4 = order.map((i) => v4[i] ?? 0);
    v4.splice(0, v4.length, ...s4);
    v6.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    addresses = [...order.map((i) => v4s[i] ?? ''), ...v6.map(formatV6)];
  }
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
  return { v4, v6, badAddresses: bad ?? NO_STRINGS, capable: secureConnectCapable(w), ikeClass: ikeClass(w), header, headerHash: h.digest() };
}

const NO_STRINGS: readonly string[] = Object.freeze([]);

export class WorkloadRecord {
  readonly idx: number;
  w: ComputeWorkload;
  d: DerivedWorkload;
  /** Position in href order (peers are listed by href); kept by the engine. */
  hrefRank = 0;
  /** Interned label ids, sorted. */
  labelInts: readonly number[];
  /** Sorted ranks of the sides this workload is a member of; undefined when to be gathered again. */
  ranks: Int32Array | undefined;
  /** Resolutions this workload is a member of (unordered). */
  readonly resolutions: Resolution[] = [];
  plan: WorkloadPlan | undefined;
  /** This workload as somebody's SecureConnect peer, per IKE version seen from the other side. */
  private peerV1: HashedPeer | undefined;
  private peerV2: HashedPeer | undefined;
  private peerNone: HashedPeer | undefined;
  private peerAuth: Hash64 | undefined;

  constructor(idx: number, w: ComputeWorkload, interner: LabelInterner) {
    this.idx = idx;
    this.w = w;
    this.d = deriveWorkload(w);
    this.labelInts = interner.internList(w.labels);
  }

  set(w: ComputeWorkload, interner: LabelInterner): void {
    this.w = w;
    this.d = deriveWorkload(w);
    this.labelInts = interner.internList(w.labels);
    this.peerAuth = undefined;
    this.ranks = undefined;
  }

  /** This workload as the SecureConnect peer of a workload of IKE class `viewer`. */
  peerFor(viewer: IkeClass, auth: SecureConnectAuth, authHash: Hash64): HashedPeer {
    if (this.peerAuth !== authHash) {
      this.peerV1 = this.peerV2 = this.peerNone = undefined;
      this.peerAuth = authHash;
    }
    const ike = ikeVersionOf(viewer, this.d.ikeClass);
    const cached = ike === 'ikev1' ? this.peerV1 : ike === 'ikev2' ? this.peerV2 : this.peerNone;
    if (cached) return cached;
    const peer: SecureConnectPeer = Object.freeze({
      workload: this.w.href,
      name: this.w.name,
      addresses: this.d.header.addresses,
      ike_version: ike,
      auth,
      capable: this.d.capable,
    });
    // The header hash covers href, name and addresses.
    const hash = new Fnv64()
      .hash(this.d.headerHash)
      .str(ike ?? '')
      .hash(authHash)
      .u32(this.d.capable ? 1 : 0)
      .digest();
    const out = { peer, hash };
    if (ike === 'ikev1') this.peerV1 = out;
    else if (ike === 'ikev2') this.peerV2 = out;
    else this.peerNone = out;
    return out;
  }
}

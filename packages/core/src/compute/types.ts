/**
 * The inputs and the output of policy compute (DESIGN §2–§4). Inputs are the stored model
 * types as the PCE holds them; the output is one frozen `WorkloadPlan` per workload, the only
 * thing renderers (nftables, strongSwan, Windows) ever read.
 */
import type { Diagnostic } from '../diagnostics.ts';
import type { EnforcementMode, OsType, VisibilityLevel } from '../model/common.ts';
import type { FirewallSettings } from '../model/firewall-settings.ts';
import type { IpList } from '../model/ip-lists.ts';
import type { LabelGroup } from '../model/labels.ts';
import type { RuleSet } from '../model/rule-sets.ts';
import type { Service } from '../model/services.ts';
import type { VirtualService } from '../model/virtual-services.ts';

/** One version of the policy objects: the active version (a number) or the draft. */
export interface PolicySnapshot {
  readonly org: number;
  readonly version: number | 'draft';
  readonly labelGroups: readonly LabelGroup[];
  readonly ipLists: readonly IpList[];
  readonly services: readonly Service[];
  readonly ruleSets: readonly RuleSet[];
  readonly virtualServices: readonly VirtualService[];
  readonly firewallSettings: FirewallSettings;
}

/** The view of a workload that compute needs. Workloads are not versioned (DESIGN §2). */
export interface ComputeWorkload {
  readonly id: string;
  readonly name: string;
  readonly href: string;
  /** Label ids (as strings), at most one per key. */
  readonly labels: readonly string[];
  /** Interface addresses, IPv4 and IPv6 (no prefix length). */
  readonly addresses: readonly string[];
  readonly os_type: OsType;
  readonly os_version: string;
  readonly enforcement_mode: EnforcementMode;
  readonly visibility_level: VisibilityLevel;
  /** A VEN is paired with it. */
  readonly managed: boolean;
}

/**
 * The key of each label. Rule actors AND labels of different keys and OR labels of one key
 * (Illumio's semantics), so compute must know keys; `Label` objects fit this shape as they are.
 */
export interface LabelKeyRef {
  readonly id: string | number;
  readonly key: string;
}

/** A normalized port/protocol: `proto` -1 is every protocol; `to_port` only for a range. */
export interface ServiceSpec {
  readonly proto: number;
  readonly port?: number;
  readonly to_port?: number;
  readonly icmp_type?: number;
  readonly icmp_code?: number;
}

/**
 * A named set of peer addresses, shared by every entry (and every plan) that names it. Items
 * are sorted, disjoint and merged: an address, a CIDR (`10.0.0.0/8`) or a range (`a-b`).
 * The name is derived from the actors and scope that define the set, never from its members,
 * so a membership change is a set delta under the same name (DESIGN §7).
 */
export interface AddressSet {
  readonly name: string;
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  /** From IP lists; the agent resolves them, compute cannot (it does no I/O). */
  readonly fqdns: readonly string[];
}

export interface AllowEntry {
  /** Name of an `AddressSet` of the plan: the consumers (inbound) or providers (outbound). */
  readonly peers: string;
  readonly services: readonly ServiceSpec[];
  /** Href of the rule this entry comes from. */
  readonly rule: string;
  readonly sec_connect: boolean;
}

export interface DenyEntry {
  readonly peers: string;
  readonly services: readonly ServiceSpec[];
  readonly rule: string;
}

export type IkeVersion = 'ikev1' | 'ikev2';

export type SecureConnectAuth =
  | { readonly method: 'psk' }
  /** `ca_identity` null means the org chose certificates without a CA: an error diagnostic says so. */
  | { readonly method: 'certificate'; readonly ca_identity: string | null };

/** One SecureConnect peer host: all traffic with it is IPsec, on every port (DESIGN §4 item 2). */
export interface SecureConnectPeer {
  readonly workload: string;
  readonly name: string;
  readonly addresses: readonly string[];
  /** From the OS pair (DESIGN §4 item 7); null when the peer's OS cannot do IPsec at all. */
  readonly ike_version: IkeVersion | null;
  readonly auth: SecureConnectAuth;
  /**
   * False for an idle, unmanaged, AIX or Solaris peer: no SA can come up, yet IPsec is still
   * required with it, so traffic with it is dropped (fail closed, DESIGN §4 items 5–6).
   */
  readonly capable: boolean;
}

export interface PlanWorkload {
  readonly id: string;
  readonly href: string;
  readonly name: string;
  readonly os_type: OsType;
  readonly os_version: string;
  /** The workload's own addresses, canonical and sorted (IPv4 first). */
  readonly addresses: readonly string[];
}

/**
 * The policy one workload's agent must enforce. Deep-frozen. The policy version is not part
 * of it (the delivery carries it), so a provision that changes nothing for a workload leaves
 * its plan and hash unchanged.
 */
export interface WorkloadPlan {
  readonly workload: PlanWorkload;
  readonly enforcement_mode: EnforcementMode;
  readonly visibility_level: VisibilityLevel;
  /** Every set the entries name, sorted by name. */
  readonly address_sets: readonly AddressSet[];
  /** Where this workload is a provider: from consumers to its own services. */
  readonly inbound: readonly AllowEntry[];
  /** Where this workload is a consumer: to the providers' services. */
  readonly outbound: readonly AllowEntry[];
  readonly deny_inbound: readonly DenyEntry[];
  readonly deny_outbound: readonly DenyEntry[];
  readonly secure_connect: {
    /** Sorted by workload href; empty for a workload that cannot do SecureConnect. */
    readonly peers: readonly SecureConnectPeer[];
  };
  readonly diagnostics: readonly Diagnostic[];
  /** FNV-1a 64 (hex) over the canonical form; equal plans have equal hashes. */
  readonly hash: string;
}

/**
 * Plan fields a delta delivery may leave out when they equal the base's (the agent channel's
 * `?deltas=1`; address sets and the hash have rules of their own). One list for the PCE that
 * writes deltas and the VEN that reads them.
 */
export const PLAN_DELTA_FIELDS = ['workload', 'enforcement_mode', 'visibility_level', 'inbound', 'outbound', 'deny_inbound', 'deny_outbound', 'secure_connect', 'diagnostics'] as const satisfies readonly (keyof WorkloadPlan)[];

/** What an incremental change did. */
export interface ChangeResult {
  /** Workloads whose plan hash changed (new workloads included), sorted. */
  readonly changed: readonly string[];
  /** Workloads whose plan no longer exists. */
  readonly removed: readonly string[];
  /** How many plans were rebuilt to find out (≥ changed). */
  readonly recomputed: number;
}

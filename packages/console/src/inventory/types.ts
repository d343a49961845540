/** What the inventory pages read from the API (the fields they use; Illumio v2 shapes). */
import type { LabelLike } from '../components/label-chips.tsx';

export interface LabelRef extends LabelLike {
  readonly href: string;
}

export interface Label extends LabelRef {
  readonly created_at?: string;
  readonly updated_at?: string;
}

export interface LabelDimension {
  readonly href?: string;
  readonly key: string;
  readonly display_name: string;
  readonly builtin?: boolean;
}

export type EnforcementMode = 'idle' | 'visibility_only' | 'selective' | 'full';
export type VisibilityLevel = 'flow_off' | 'flow_drops' | 'flow_summary' | 'enhanced_data_collection';

export interface Interface {
  readonly name: string;
  readonly address: string;
  readonly cidr_block?: number;
}

export interface Workload {
  readonly href: string;
  readonly name: string | null;
  readonly hostname: string | null;
  readonly description?: string;
  readonly interfaces: readonly Interface[];
  readonly public_ip?: string | null;
  readonly os_type?: string;
  readonly os_version?: string;
  readonly labels: readonly LabelRef[];
  readonly enforcement_mode: EnforcementMode;
  readonly visibility_level: VisibilityLevel;
  readonly managed: boolean;
  readonly ven: { readonly href: string } | null;
  readonly created_at?: string;
  readonly updated_at?: string;
}

export interface Ven {
  readonly href: string;
  readonly hostname: string;
  readonly version?: string;
  readonly status: string;
  readonly online: boolean;
  readonly last_heartbeat_on: string | null;
  readonly activated_on?: string | null;
  readonly policy_sync: { readonly state: string; readonly message?: string | null; readonly delivered?: unknown; readonly applied?: unknown };
  readonly secure_connect?: { readonly psk_generation: number | null; readonly peers_up: number; readonly peers_total: number; readonly updated_on: string | null };
  readonly workload: { readonly href: string };
}

export interface SecureConnectPeer {
  readonly workload: { readonly href: string; readonly name: string };
  readonly addresses: readonly string[];
  readonly ike_version: string | number;
  readonly auth: string;
  readonly state: string;
  readonly reason?: string;
  readonly since?: string;
}

export interface SecureConnectState {
  readonly reported_on: string | null;
  readonly peers: readonly SecureConnectPeer[];
}

export interface IpRange {
  readonly from_ip: string;
  readonly to_ip?: string;
  readonly exclusion?: boolean;
  readonly description?: string;
}

export interface IpList {
  readonly href: string;
  readonly name: string;
  readonly description?: string;
  readonly ip_ranges: readonly IpRange[];
  readonly fqdns: readonly { readonly fqdn: string; readonly description?: string }[];
  readonly builtin?: boolean;
}

export interface ServicePort {
  readonly proto: number;
  readonly port?: number;
  readonly to_port?: number;
  readonly icmp_type?: number;
  readonly icmp_code?: number;
}

export interface Service {
  readonly href: string;
  readonly name: string;
  readonly description?: string;
  readonly service_ports: readonly ServicePort[];
  readonly builtin?: boolean;
}

export interface LabelGroup {
  readonly href: string;
  readonly key: string;
  readonly name: string;
  readonly description?: string;
  readonly labels: readonly { readonly href: string }[];
  readonly sub_groups: readonly { readonly href: string }[];
}

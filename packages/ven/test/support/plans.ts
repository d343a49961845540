/** Small hand-made plans for the VEN tests, in the shape the PCE computes. */
import type { AllowEntry, DenyEntry, WorkloadPlan } from '@palisade/core/compute/index.ts';
import type { EnforcementMode } from '@palisade/core/model/common.ts';

export interface TestPlanOptions {
  readonly mode?: EnforcementMode;
  /** Set name → IPv4 members. */
  readonly sets?: Readonly<Record<string, readonly string[]>>;
  readonly inbound?: readonly { peers: string; port: number }[];
  readonly outbound?: readonly { peers: string; port: number }[];
  readonly denyInbound?: readonly { peers: string; port: number }[];
  readonly hash?: string;
}

function allow(e: { peers: string; port: number }, i: number): AllowEntry {
  return { peers: e.peers, services: [{ proto: 6, port: e.port }], rule: `/orgs/1/sec_policy/active/rule_sets/1/sec_rules/${i + 1}`, sec_connect: false };
}

function deny(e: { peers: string; port: number }, i: number): DenyEntry {
  return { peers: e.peers, services: [{ proto: 6, port: e.port }], rule: `/orgs/1/sec_policy/active/rule_sets/1/deny_rules/${i + 1}` };
}

let counter = 0;

export function testPlan(o: TestPlanOptions = {}): WorkloadPlan {
  const sets = o.sets ?? { ps_0000000000000001: ['192.0.2.20', '192.0.2.21'] };
  counter++;
  return {
    workload: { id: 'wl-1', href: '/orgs/1/workloads/wl-1', name: 'h1', os_type: 'linux', os_version: 'Debian 12', addresses: ['192.0.2.1'] },
    enforcement_mode: o.mode ?? 'full',
    visibility_level: 'flow_summary',
    address_sets: Object.entries(sets)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([name, ipv4]) => ({ name, ipv4, ipv6: [], fqdns: [] })),
    inbound: (o.inbound ?? [{ peers: Object.keys(sets)[0] ?? '', port: 443 }]).map(allow),
    outbound: (o.outbound ?? []).map(allow),
    deny_inbound: (o.denyInbound ?? []).map(deny),
    deny_outbound: [],
    secure_connect: { peers: [] },
    diagnostics: [],
    hash: o.hash ?? counter.toString(16).padStart(16, '0'),
  };
}

export const ctx = { pce: { addresses: ['192.0.2.254'], port: 8443 } } as const;

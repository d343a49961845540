/**
 * Plans from the real policy engine (`@palisade/core` compute), so the renderer is shown to
 * take what compute produces, not only hand-written JSON. A small org: web and db tiers, an
 * IP list of office addresses, a deny rule, one SecureConnect rule, all three enforcing modes.
 */
import { computePlans } from '@palisade/core/compute/index.ts';
import type { ComputeWorkload, PolicySnapshot, WorkloadPlan } from '@palisade/core/compute/index.ts';

const ORG = 1;
const labelRef = (id: string) => ({ label: { href: `/orgs/${ORG}/labels/${id}` } });
const ipListRef = (id: string) => ({ ip_list: { href: `/orgs/${ORG}/sec_policy/active/ip_lists/${id}` } });

function workload(name: string, labels: string[], addresses: string[], mode: ComputeWorkload['enforcement_mode']): ComputeWorkload {
  const id = `wl-${name}`;
  return { id, name, href: `/orgs/${ORG}/workloads/${id}`, labels, addresses, os_type: 'linux', os_version: 'debian 12', enforcement_mode: mode, visibility_level: 'flow_summary', managed: true };
}

export function enginePlans(): ReadonlyMap<string, WorkloadPlan> {
  const labels = [
    { id: '1', key: 'role', value: 'web' },
    { id: '2', key: 'role', value: 'db' },
    { id: '3', key: 'env', value: 'prod' },
  ];
  const workloads = [
    workload('web1', ['1', '3'], ['192.0.2.10', '2001:db8::10'], 'full'),
    workload('web2', ['1', '3'], ['192.0.2.11', '2001:db8::11'], 'visibility_only'),
    workload('db1', ['2', '3'], ['192.0.2.20'], 'selective'),
    workload('db2', ['2', '3'], ['192.0.2.21', '2001:db8::21'], 'full'),
  ];
  const snapshot: PolicySnapshot = {
    org: ORG,
    version: 1,
    labelGroups: [],
    ipLists: [
      { id: '1', name: 'office', description: '', ip_ranges: [{ from_ip: '203.0.113.0/25', exclusion: false }, { from_ip: '198.51.100.10', to_ip: '198.51.100.20', exclusion: false }, { from_ip: '2001:db8:f::/48', exclusion: false }], fqdns: [] },
      { id: '2', name: 'quarantine', description: '', ip_ranges: [{ from_ip: '203.0.113.200', exclusion: false }], fqdns: [] },
    ],
    services: [],
    ruleSets: [
      {
        id: '1',
        name: 'prod',
        description: '',
        enabled: true,
        scopes: [[labelRef('3')]],
        rules: [
          { id: '1', enabled: true, description: '', providers: [labelRef('1')], consumers: [ipListRef('1')], ingress_services: [{ proto: 6, port: 443 }, { proto: 1, icmp_type: 8 }], sec_connect: false, unscoped_consumers: true },
          { id: '2', enabled: true, description: '', providers: [labelRef('2')], consumers: [labelRef('1')], ingress_services: [{ proto: 6, port: 5432 }], sec_connect: false, unscoped_consumers: false },
          { id: '3', enabled: true, description: '', providers: [labelRef('2')], consumers: [labelRef('2')], ingress_services: [{ proto: 6, port: 5433, to_port: 5440 }], sec_connect: true, unscoped_consumers: false },
        ],
        deny_rules: [{ id: '4', enabled: true, description: '', providers: [labelRef('2')], consumers: [ipListRef('2')], ingress_services: [{ proto: -1 }] }],
      },
    ],
    virtualServices: [],
    firewallSettings: { ike_authentication_type: 'psk', ike_ca_identity: null },
  };
  return computePlans({ snapshot, workloads, labels }).plans;
}

/** Palisade's additions for policy compute: a workload's computed plan, and policy check. */
import { invalid, notFound } from '@palisade/core/errors.ts';
import type { Pce } from '../pce.ts';
import { requireWorkload, workloadIdOf } from '../services/workloads.ts';
import { getVen } from '../agents/ven-record.ts';
import type { RouteRegistry } from './route-registry.ts';

const PROTOCOLS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };

function intParam(q: URLSearchParams, name: string, max: number): number | undefined {
  const raw = q.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) > max) throw invalid('invalid_query', `${name} must be an integer from 0 to ${max}`);
  return Number(raw);
}

export function computeRoutes(r: RouteRegistry, pce: Pce): void {
  r.add({ method: 'get', path: '/orgs/:org/workloads/:id/policy', summary: 'The computed policy (plan) of a workload against the active version, with its diagnostics', tag: 'policy', palisade: true }, async (q) => {
    const id = workloadIdOf(q.params['id'] ?? '');
    await pce.store.read((tx) => requireWorkload(tx, q.org, id));
    const { plan, version } = await pce.compute.plan(q.org, id);
    if (!plan) throw notFound('workload_not_found', `no plan for workload ${id}`);
    return { status: 200, body: { workload: { href: plan.workload.href }, policy_version: version, hash: plan.hash, diagnostics: plan.diagnostics, plan } };
  });
  r.add({ method: 'get', path: '/orgs/:org/workloads/:id/secure_connect', summary: "A workload's SecureConnect peers (from its plan) and each one's SA state as its VEN reports it", tag: 'secure_connect', palisade: true }, async (q) => {
    const id = workloadIdOf(q.params['id'] ?? '');
    const row = await pce.store.read((tx) => requireWorkload(tx, q.org, id));
    const { plan } = await pce.compute.plan(q.org, id);
    const venId = (JSON.parse(row.data) as { ven_id: string | null }).ven_id;
    const ven = venId ? await pce.store.read((tx) => getVen(tx, q.org, venId)) : undefined;
    const reported = new Map((ven?.secure_connect?.peers ?? []).map((p) => [p.workload.href, p]));
    const peers = (plan?.secure_connect.peers ?? []).map((p) => {
      const r = reported.get(p.workload);
      const state = !p.capable ? 'blocked' : (r?.state ?? 'unknown');
      const reason = !p.capable ? `${p.name} cannot do SecureConnect (idle, unmanaged, AIX or Solaris): traffic with it is dropped` : (r?.reason ?? (r ? undefined : 'no report from the VEN yet'));
      return { workload: { href: p.workload, name: p.name }, addresses: p.addresses, ike_version: p.ike_version, auth: p.auth.method, state, ...(reason ? { reason } : {}), ...(r ? { since: r.since } : {}) };
    });
    return { status: 200, body: { workload: { href: `/orgs/${q.org}/workloads/${id}` }, reported_on: ven?.secure_connect?.updated_on ?? null, peers } };
  });
  r.add(
    {
      method: 'get',
      path: '/orgs/:org/policy_check',
      summary: 'Decide a connection: src and dst (workload href or IP), proto (tcp, udp, icmp, … or a number), port; policy=active (default) or draft',
      tag: 'policy',
      palisade: true,
    },
    async (q) => {
      const src = q.query.get('src');
      const dst = q.query.get('dst');
      if (!src || !dst) throw invalid('invalid_query', 'src and dst are required: a workload href (/orgs/1/workloads/…) or an IP address');
      const protoRaw = (q.query.get('proto') ?? 'tcp').toLowerCase();
      const proto = PROTOCOLS[protoRaw] ?? (/^\d{1,3}$/.test(protoRaw) && Number(protoRaw) <= 255 ? Number(protoRaw) : undefined);
      if (proto === undefined) throw invalid('invalid_query', `proto "${protoRaw}" is not tcp, udp, icmp, icmpv6, sctp or a protocol number`);
      const port = intParam(q.query, 'port', 65535);
      const icmpType = intParam(q.query, 'icmp_type', 255);
      const policy = q.query.get('policy') ?? 'active';
      if (policy !== 'active' && policy !== 'draft') throw invalid('invalid_query', 'policy must be active or draft');
      for (const [name, v] of [['src', src], ['dst', dst]] as const) {
        if (v.startsWith('/') && !v.startsWith(`/orgs/${q.org}/workloads/`)) throw invalid('invalid_query', `${name}: "${v}" is not a workload href of org ${q.org}`);
      }
      const result = await pce.compute.check(q.org, { src, dst, proto, ...(port !== undefined ? { port } : {}), ...(icmpType !== undefined ? { icmp_type: icmpType } : {}) }, policy);
      return { status: 200, body: { policy, ...result } };
    },
  );
}

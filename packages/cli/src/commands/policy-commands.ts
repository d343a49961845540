/** `palisade policy check` and `palisade policy show`: the compute engine from the CLI (issue 3). */
import { invalid } from '@palisade/core/errors.ts';
import { bool, need, type AdminCommand } from '../admin-command.ts';
import type { ApiClient } from '../api-client.ts';
import { json, obj } from '../output.ts';
import { workloadHref } from '../pce-lookup.ts';

const IP = /^[0-9A-Fa-f:.]+$/;

/** An endpoint: an IP address as is, else a workload hostname, id or href. */
async function endpoint(api: ApiClient, text: string): Promise<string> {
  return IP.test(text) && /[.:]/.test(text) ? text : workloadHref(api, text);
}

/** `tcp/443`, `udp/53`, `icmp`, `icmp/8`, `6/22`. */
export function parseService(text: string): { proto: string; port?: string; icmpType?: string } {
  const m = /^(tcp|udp|sctp|icmp|icmpv6|\d{1,3})(?:\/(\d{1,5}))?$/i.exec(text.trim());
  const proto = m?.[1]?.toLowerCase();
  if (!proto) throw invalid('invalid_flag', `--service "${text}" is not PROTO[/PORT], e.g. tcp/443, udp/53, icmp/8`);
  const n = m?.[2];
  if (proto.startsWith('icmp')) return n ? { proto, icmpType: n } : { proto };
  return n ? { proto, port: n } : { proto };
}

export const POLICY_COMMANDS: readonly AdminCommand[] = [
  {
    noun: 'policy',
    verb: 'check',
    summary: 'would this connection be allowed? policy check --src web1 --dst 192.0.2.20 --service tcp/5432 [--draft]',
    options: [
      { flags: '--src <endpoint>', description: 'source: workload hostname, id or href, or an IP address' },
      { flags: '--dst <endpoint>', description: 'destination: workload hostname, id or href, or an IP address' },
      { flags: '--service <proto/port>', description: 'tcp/443, udp/53, icmp/8, …', default: 'tcp' },
      { flags: '--draft', description: 'check against the draft instead of the active policy' },
    ],
    run: async ({ io, json: asJson, flags, api }) => {
      const svc = parseService(need(flags, 'service', '--service'));
      const srcText = need(flags, 'src', '--src');
      const dstText = need(flags, 'dst', '--dst');
      const a = await api();
      const r = obj(
        await a.get(a.orgPath('/policy_check'), {
          src: await endpoint(a, srcText),
          dst: await endpoint(a, dstText),
          proto: svc.proto,
          port: svc.port,
          icmp_type: svc.icmpType,
          policy: bool(flags, 'draft') ? 'draft' : 'active',
        }),
      );
      if (asJson) return json(io, r);
      io.out(`${String(r['decision'])}: ${String(r['reason'] ?? '')}`);
      for (const rule of (r['rules'] as { href: string; kind: string; sec_connect: boolean }[] | undefined) ?? []) {
        io.out(`  ${rule.kind}${rule.sec_connect ? ' (SecureConnect)' : ''} ${rule.href}`);
      }
    },
  },
  {
    noun: 'policy',
    verb: 'show',
    summary: "a workload's computed policy (plan) against the active version",
    args: ['<workload>'],
    run: async ({ io, json: asJson, args, api }) => {
      const a = await api();
      const href = await workloadHref(a, args[0] ?? '');
      const r = obj(await a.get(`${href}/policy`));
      if (asJson) return json(io, r);
      const plan = obj(r['plan']);
      const n = (k: string) => ((plan[k] as unknown[] | undefined) ?? []).length;
      io.out(`policy version ${String(r['policy_version'])}, mode ${String(plan['enforcement_mode'])}, hash ${String(r['hash'])}`);
      io.out(`  inbound ${n('inbound')}, outbound ${n('outbound')}, deny ${n('deny_inbound') + n('deny_outbound')}, address sets ${n('address_sets')}, SecureConnect peers ${((obj(plan['secure_connect'])['peers'] as unknown[] | undefined) ?? []).length}`);
      for (const d of (r['diagnostics'] as { severity: string; message: string }[] | undefined) ?? []) io.out(`  ${d.severity}: ${d.message}`);
    },
  },
];

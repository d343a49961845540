/** `palisade ip-lists list|create` and `palisade services list|create` (draft objects). */
import { invalid } from '@palisade/core/errors.ts';
import { list, need, str, type AdminCommand } from '../admin-command.ts';
import { arr, field, json, obj, table } from '../output.ts';
import { parsePorts, portText } from '../policy-syntax.ts';

const PVERSION = { flags: '--pversion <v>', description: 'policy version to read: draft, active or a number', default: 'draft' } as const;

function ipRange(s: string): Record<string, unknown> {
  const exclusion = s.startsWith('!');
  const text = exclusion ? s.slice(1) : s;
  const dash = text.indexOf('-');
  const r = dash < 0 ? { from_ip: text } : { from_ip: text.slice(0, dash), to_ip: text.slice(dash + 1) };
  return { ...r, ...(exclusion ? { exclusion: true } : {}) };
}

function rangeText(r: unknown): string {
  const o = obj(r);
  return `${o['exclusion'] === true ? '!' : ''}${field(o, 'from_ip')}${o['to_ip'] ? `-${field(o, 'to_ip')}` : ''}`;
}

export const POLICY_OBJECT_COMMANDS: readonly AdminCommand[] = [
  {
    noun: 'ip-lists',
    verb: 'list',
    summary: 'list IP lists',
    options: [PVERSION],
    run: async ({ io, json: asJson, flags, api }) => {
      const a = await api();
      const { items } = await a.list(a.orgPath(`/sec_policy/${str(flags, 'pversion') ?? 'draft'}/ip_lists`));
      if (asJson) return json(io, items);
      table(io, ['HREF', 'NAME', 'RANGES'], items.map((l) => [field(l, 'href'), field(l, 'name'), [...arr(obj(l)['ip_ranges']).map(rangeText), ...arr(obj(l)['fqdns']).map((f) => field(f, 'fqdn'))].join(',')]));
    },
  },
  {
    noun: 'ip-lists',
    verb: 'create',
    summary: 'create an IP list in the draft: ip-lists create corp --ranges 10.0.0.0/8,192.0.2.1-192.0.2.9,!10.9.0.0/16',
    args: ['<name>'],
    options: [
      { flags: '--ranges <ranges>', description: 'CIDRs, addresses or FROM-TO ranges; ! excludes (comma separated or repeated)', repeat: true },
      { flags: '--fqdns <names>', description: 'domain names (comma separated or repeated)', repeat: true },
      { flags: '--description <text>', description: 'description' },
    ],
    run: async ({ io, json: asJson, flags, args, api }) => {
      const ranges = list(flags, 'ranges');
      const fqdns = list(flags, 'fqdns');
      if (ranges.length === 0 && fqdns.length === 0) throw invalid('missing_flag', 'an IP list needs --ranges or --fqdns');
      const a = await api();
      const description = str(flags, 'description');
      const created = await a.post(a.orgPath('/sec_policy/draft/ip_lists'), {
        name: args[0] ?? '',
        ...(description !== undefined ? { description } : {}),
        ip_ranges: ranges.map(ipRange),
        fqdns: fqdns.map((fqdn) => ({ fqdn })),
      });
      if (asJson) return json(io, created);
      io.out(`created IP list ${field(created, 'name')} ${field(created, 'href')} (draft: provision to apply)`);
    },
  },
  {
    noun: 'services',
    verb: 'list',
    summary: 'list services',
    options: [PVERSION],
    run: async ({ io, json: asJson, flags, api }) => {
      const a = await api();
      const { items } = await a.list(a.orgPath(`/sec_policy/${str(flags, 'pversion') ?? 'draft'}/services`));
      if (asJson) return json(io, items);
      table(io, ['HREF', 'NAME', 'PORTS'], items.map((s) => [field(s, 'href'), field(s, 'name'), arr(obj(s)['service_ports']).map(portText).join(',')]));
    },
  },
  {
    noun: 'services',
    verb: 'create',
    summary: 'create a service in the draft: services create https --ports tcp/443,udp/443',
    args: ['<name>'],
    options: [
      { flags: '--ports <ports>', description: 'tcp/443, udp/53-55, icmp, icmp/8, all (comma separated or repeated)', repeat: true },
      { flags: '--description <text>', description: 'description' },
    ],
    run: async ({ io, json: asJson, flags, args, api }) => {
      const ports = parsePorts(list(flags, 'ports'), '--ports');
      if (ports.length === 0) need(flags, 'ports', '--ports');
      const a = await api();
      const description = str(flags, 'description');
      const created = await a.post(a.orgPath('/sec_policy/draft/services'), { name: args[0] ?? '', ...(description !== undefined ? { description } : {}), service_ports: ports });
      if (asJson) return json(io, created);
      io.out(`created service ${field(created, 'name')} ${field(created, 'href')} (draft: provision to apply)`);
    },
  },
];

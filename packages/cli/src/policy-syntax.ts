/**
 * The compact syntax rules are written in on the command line.
 * Actors: `ams` (all workloads), `label:role=web` (or just `role=web`), `label_group:NAME`,
 * `ip_list:NAME` (`ip_list:any` for the built-in Any list), `workload:HOSTNAME`.
 * Services: `tcp/443`, `udp/53-55`, `icmp`, `icmp/8` (type), `icmpv6`, `sctp/9`, `all`
 * (every protocol), `service:NAME`.
 */
import { invalid } from '@palisade/core/errors.ts';
import type { ApiClient } from './api-client.ts';
import { fetchLabels, labelHref, policyObjectHref, workloadHref, type LabelRef } from './pce-lookup.ts';
import { arr, field, obj } from './output.ts';

const PROTOCOLS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, icmpv6: 58, sctp: 132 };
const PROTO_NAMES = Object.fromEntries(Object.entries(PROTOCOLS).map(([k, v]) => [v, k]));

export type Actor = Record<string, unknown>;

export async function parseActors(api: ApiClient, specs: readonly string[], flag: string): Promise<Actor[]> {
  if (specs.length === 0) throw invalid('missing_flag', `${flag} is required: e.g. ${flag} label:role=web,ams,ip_list:any`);
  let labels: LabelRef[] | undefined;
  const out: Actor[] = [];
  for (const spec of specs) {
    const i = spec.indexOf(':');
    const kind = i < 0 ? (spec === 'ams' ? 'ams' : spec.includes('=') ? 'label' : '') : spec.slice(0, i);
    const rest = i < 0 ? spec : spec.slice(i + 1);
    switch (kind) {
      case 'ams':
        out.push({ actors: 'ams' });
        break;
      case 'label':
        labels ??= await fetchLabels(api);
        out.push({ label: { href: await labelHref(api, rest, labels) } });
        break;
      case 'label_group':
        out.push({ label_group: { href: await policyObjectHref(api, 'label_groups', rest) } });
        break;
      case 'ip_list': {
        let name = rest;
        if (rest.toLowerCase() === 'any') {
          const { items } = await api.list(api.orgPath('/sec_policy/draft/ip_lists'));
          name = field(items.find((o) => field(o, 'name').startsWith('Any')), 'name') || rest;
        }
        out.push({ ip_list: { href: await policyObjectHref(api, 'ip_lists', name) } });
        break;
      }
      case 'workload':
        out.push({ workload: { href: await workloadHref(api, rest) } });
        break;
      default:
        throw invalid('invalid_actor', `${flag} "${spec}" is not an actor: write ams, label:KEY=VALUE, label_group:NAME, ip_list:NAME (ip_list:any) or workload:HOSTNAME`);
    }
  }
  return out;
}

/** Port/protocol entries only (for `services create`). */
export function parsePorts(specs: readonly string[], flag: string): Record<string, number>[] {
  return specs.map((s): Record<string, number> => {
    const m = /^([a-z0-9]+)(?:\/(\d+)(?:-(\d+))?)?$/i.exec(s.trim());
    const bad = (): never => {
      throw invalid('invalid_service', `${flag} "${s}" is not a port/protocol: write tcp/443, udp/53-55, icmp, icmp/8, icmpv6 or all`);
    };
    if (!m) return bad();
    const name = (m[1] ?? '').toLowerCase();
    if (name === 'all' && m[2] === undefined) return { proto: -1 };
    const proto = PROTOCOLS[name] ?? (/^\d+$/.test(name) ? Number(name) : undefined);
    if (proto === undefined || proto > 255) return bad();
    if (m[2] === undefined) return { proto };
    if (proto === 1 || proto === 58) {
      if (m[3] !== undefined) return bad();
      return { proto, icmp_type: Number(m[2]) };
    }
    return { proto, port: Number(m[2]), ...(m[3] !== undefined ? { to_port: Number(m[3]) } : {}) };
  });
}

export async function parseServices(api: ApiClient, specs: readonly string[], flag: string): Promise<Record<string, unknown>[]> {
  if (specs.length === 0) throw invalid('missing_flag', `${flag} is required: e.g. ${flag} tcp/443,udp/53-55,icmp or service:NAME`);
  const out: Record<string, unknown>[] = [];
  for (const s of specs) {
    if (s.startsWith('service:')) out.push({ href: await policyObjectHref(api, 'services', s.slice('service:'.length)) });
    else out.push(...parsePorts([s], flag));
  }
  return out;
}

export function portText(p: unknown): string {
  const o = obj(p);
  if (typeof o['href'] === 'string') return `service:${o['href']}`;
  const proto = typeof o['proto'] === 'number' ? o['proto'] : -1;
  if (proto === -1) return 'all';
  const name = PROTO_NAMES[proto] ?? String(proto);
  if (typeof o['port'] === 'number') return `${name}/${o['port']}${typeof o['to_port'] === 'number' && o['to_port'] !== o['port'] ? `-${o['to_port']}` : ''}`;
  if (typeof o['icmp_type'] === 'number') return `${name}/${o['icmp_type']}`;
  return name;
}

/** An actor back in the compact syntax, labels by key=value. */
export function actorText(a: unknown, labels: readonly LabelRef[]): string {
  const o = obj(a);
  if (o['actors'] === 'ams') return 'ams';
  for (const kind of ['label', 'label_group', 'ip_list', 'workload', 'virtual_service']) {
    const href = field(o[kind], 'href');
    if (!href) continue;
    if (kind === 'label') {
      const l = labels.find((x) => x.href === href);
      if (l) return `label:${l.key}=${l.value}`;
    }
    return `${kind}:${href}`;
  }
  return JSON.stringify(a);
}

export function actorsText(list: unknown, labels: readonly LabelRef[]): string {
  return arr(list)
    .map((a) => actorText(a, labels))
    .join(',');
}

/**
 * Rule actors and services as people read them: `role=web`, `group: web servers`, `all
 * workloads`… The API answers hrefs only; a NameBook (href → display name) built from the
 * inventory lists turns them into words, and an href it does not know stays visible as is.
 */
import { servicePortText } from '../inventory/inventory-text.ts';
import type { ServicePort } from '../inventory/types.ts';

export type ActorKind = 'ams' | 'label' | 'label_group' | 'workload' | 'ip_list' | 'virtual_service';

/** An actor in the API's shape: exactly one of these. */
export interface ApiActor {
  readonly actors?: 'ams';
  readonly label?: { readonly href: string };
  readonly label_group?: { readonly href: string };
  readonly workload?: { readonly href: string };
  readonly ip_list?: { readonly href: string };
  readonly virtual_service?: { readonly href: string };
}

export type ApiService = { readonly href: string } | ServicePort;

export const ACTOR_KINDS: readonly ActorKind[] = ['ams', 'label', 'label_group', 'workload', 'ip_list', 'virtual_service'];

export const ACTOR_KIND_TITLES: Record<ActorKind, string> = {
  ams: 'All workloads',
  label: 'Label',
  label_group: 'Label group',
  workload: 'Workload',
  ip_list: 'IP list',
  virtual_service: 'Virtual service',
};

/** Names by href. Policy hrefs are looked up in their draft form, whatever version they name. */
export type NameBook = ReadonlyMap<string, string>;

/** `/orgs/1/sec_policy/7/ip_lists/2` → `/orgs/1/sec_policy/draft/ip_lists/2`. */
export function draftHref(href: string): string {
  return href.replace(/\/sec_policy\/(?:active|\d+)\//, '/sec_policy/draft/');
}

export function nameOf(names: NameBook, href: string): string {
  return names.get(draftHref(href)) ?? href;
}

export function actorKind(a: ApiActor): ActorKind | undefined {
  if (a.actors === 'ams') return 'ams';
  return ACTOR_KINDS.find((k) => k !== 'ams' && a[k] !== undefined);
}

export function actorHref(a: ApiActor): string | undefined {
  const k = actorKind(a);
  return k === undefined || k === 'ams' ? undefined : a[k]?.href;
}

export interface ActorView {
  readonly kind: ActorKind | 'unknown';
  readonly text: string;
}

export function describeActor(a: ApiActor, names: NameBook): ActorView {
  const kind = actorKind(a);
  if (kind === undefined) return { kind: 'unknown', text: JSON.stringify(a) };
  if (kind === 'ams') return { kind, text: 'All workloads' };
  const href = actorHref(a) ?? '';
  const name = nameOf(names, href);
  // Labels read as key=value already; other kinds say what they are.
  return { kind, text: kind === 'label' ? name : `${ACTOR_KIND_TITLES[kind]}: ${name}` };
}

export function describeService(s: ApiService, names: NameBook): string {
  return 'href' in s ? nameOf(names, s.href) : servicePortText(s);
}

/** The API shape of a picked actor. */
export function actorOfPick(kind: ActorKind, href?: string): ApiActor {
  if (kind === 'ams') return { actors: 'ams' };
  return { [kind]: { href: href ?? '' } };
}

const PROTO_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, sctp: 132, icmp: 1, icmpv6: 58 };

/**
 * `443/tcp`, `8000-8080/udp`, `icmp`, `tcp`, or as the console writes them (`TCP 443`,
 * `UDP 5000–5100`) → a port entry; undefined when it is not one.
 */
export function parsePort(text: string): ServicePort | undefined {
  const written = /^\s*([a-z][a-z0-9]*)\s+(\d{1,5})(?:\s*[-–]\s*(\d{1,5}))?\s*$/i.exec(text);
  const m = written ? [written[0], written[2], written[3], written[1]] : /^\s*(?:(\d{1,5})(?:\s*[-–]\s*(\d{1,5}))?\s*\/\s*)?([a-z0-9]+)\s*$/i.exec(text);
  if (!m) return undefined;
  const protoText = (m[3] ?? '').toLowerCase();
  const proto = PROTO_NUMBERS[protoText] ?? (/^\d+$/.test(protoText) ? Number(protoText) : undefined);
  if (proto === undefined || proto > 255) return undefined;
  if (m[1] === undefined) return { proto };
  const port = Number(m[1]);
  const to = m[2] === undefined ? undefined : Number(m[2]);
  if (![6, 17, 132].includes(proto) || port > 65535 || (to !== undefined && (to > 65535 || to < port))) return undefined;
  return to === undefined || to === port ? { proto, port } : { proto, port, to_port: to };
}

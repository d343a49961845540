/**
 * A `WorkloadPlan` that came from outside (the PCE's policy event, last-plan.json) → a
 * checked one. Shapes are checked here; addresses and services are checked again by the
 * renderer before any text reaches nft. Bad input is an `invalid` error naming the field.
 */
import { invalid } from '@palisade/core/errors.ts';
import type { EnforcementMode, OsType, VisibilityLevel } from '@palisade/core/model/common.ts';
import type { AddressSet, AllowEntry, DenyEntry, SecureConnectPeer, ServiceSpec, WorkloadPlan } from '@palisade/core/compute/index.ts';

type Obj = Record<string, unknown>;

/**
 * The allowed values, held to core's types by the compiler (`satisfies Record<T, 0>`: a
 * missing or an extra key is a type error). Not imported from `model/common.ts` at run time:
 * that module builds zod schemas when loaded, and zod is ~14 MB of an idle agent's memory.
 */
function valuesOf<T extends string>(record: Record<T, 0>): readonly T[] {
  return Object.keys(record) as T[];
}
const ENFORCEMENT_MODES = valuesOf({ idle: 0, visibility_only: 0, selective: 0, full: 0 } satisfies Record<EnforcementMode, 0>);
const VISIBILITY_LEVELS = valuesOf({ flow_off: 0, flow_drops: 0, flow_summary: 0, enhanced_data_collection: 0 } satisfies Record<VisibilityLevel, 0>);
const OS_TYPES = valuesOf({ linux: 0, windows: 0, aix: 0, solaris: 0 } satisfies Record<OsType, 0>);

function bad(path: string, what: string): never {
  throw invalid('invalid_plan', `${path} ${what}`, path);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, 'must be an object');
  return v as Obj;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) bad(path, 'must be an array');
  return v as unknown[];
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') bad(path, 'must be a string');
  return v as string;
}

function strings(v: unknown, path: string): string[] {
  return arr(v, path).map((s, i) => str(s, `${path}[${i}]`));
}

function oneOf<T extends string>(v: unknown, allowed: readonly T[], path: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) bad(path, `must be one of ${allowed.join(', ')}`);
  return v as T;
}

function optInt(o: Obj, k: string, path: string): { [key: string]: number } {
  const v = o[k];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'number' || !Number.isInteger(v)) bad(`${path}.${k}`, 'must be an integer');
  return { [k]: v as number };
}

function service(v: unknown, path: string): ServiceSpec {
  const o = obj(v, path);
  const proto = o['proto'];
  if (typeof proto !== 'number' || !Number.isInteger(proto) || proto < -1 || proto > 255) bad(`${path}.proto`, 'must be an IP protocol number or -1');
  return { proto: proto as number, ...optInt(o, 'port', path), ...optInt(o, 'to_port', path), ...optInt(o, 'icmp_type', path), ...optInt(o, 'icmp_code', path) };
}

function denyEntry(v: unknown, path: string): DenyEntry {
  const o = obj(v, path);
  return { peers: str(o['peers'], `${path}.peers`), services: arr(o['services'], `${path}.services`).map((s, i) => service(s, `${path}.services[${i}]`)), rule: str(o['rule'], `${path}.rule`) };
}

function allowEntry(v: unknown, path: string): AllowEntry {
  const o = obj(v, path);
  return { ...denyEntry(v, path), sec_connect: o['sec_connect'] === true };
}

function addressSet(v: unknown, path: string): AddressSet {
  const o = obj(v, path);
  return { name: str(o['name'], `${path}.name`), ipv4: strings(o['ipv4'], `${path}.ipv4`), ipv6: strings(o['ipv6'], `${path}.ipv6`), fqdns: strings(o['fqdns'] ?? [], `${path}.fqdns`) };
}

function peer(v: unknown, path: string): SecureConnectPeer {
  const o = obj(v, path);
  const auth = obj(o['auth'], `${path}.auth`);
  const ike = o['ike_version'];
  return {
    workload: str(o['workload'], `${path}.workload`),
    name: str(o['name'], `${path}.name`),
    addresses: strings(o['addresses'], `${path}.addresses`),
    ike_version: ike === 'ikev1' || ike === 'ikev2' ? ike : null,
    auth: auth['method'] === 'certificate' ? { method: 'certificate', ca_identity: typeof auth['ca_identity'] === 'string' ? auth['ca_identity'] : null } : { method: 'psk' },
    capable: o['capable'] === true,
  };
}

export function parseWorkloadPlan(v: unknown, path = 'plan'): WorkloadPlan {
  const o = obj(v, path);
  const w = obj(o['workload'], `${path}.workload`);
  const sc = obj(o['secure_connect'] ?? { peers: [] }, `${path}.secure_connect`);
  const diagnostics = arr(o['diagnostics'] ?? [], `${path}.diagnostics`).map((d, i) => {
    const x = obj(d, `${path}.diagnostics[${i}]`);
    return { severity: oneOf(x['severity'], ['error', 'warning'] as const, `${path}.diagnostics[${i}].severity`), token: str(x['token'], `${path}.diagnostics[${i}].token`), message: str(x['message'], `${path}.diagnostics[${i}].message`) };
  });
  return {
    workload: {
      id: str(w['id'], `${path}.workload.id`),
      href: str(w['href'], `${path}.workload.href`),
      name: str(w['name'], `${path}.workload.name`),
      os_type: oneOf<OsType>(w['os_type'], OS_TYPES, `${path}.workload.os_type`),
      os_version: str(w['os_version'] ?? '', `${path}.workload.os_version`),
      addresses: strings(w['addresses'], `${path}.workload.addresses`),
    },
    enforcement_mode: oneOf<EnforcementMode>(o['enforcement_mode'], ENFORCEMENT_MODES, `${path}.enforcement_mode`),
    visibility_level: oneOf<VisibilityLevel>(o['visibility_level'], VISIBILITY_LEVELS, `${path}.visibility_level`),
    address_sets: arr(o['address_sets'], `${path}.address_sets`).map((s, i) => addressSet(s, `${path}.address_sets[${i}]`)),
    inbound: arr(o['inbound'], `${path}.inbound`).map((e, i) => allowEntry(e, `${path}.inbound[${i}]`)),
    outbound: arr(o['outbound'], `${path}.outbound`).map((e, i) => allowEntry(e, `${path}.outbound[${i}]`)),
    deny_inbound: arr(o['deny_inbound'] ?? [], `${path}.deny_inbound`).map((e, i) => denyEntry(e, `${path}.deny_inbound[${i}]`)),
    deny_outbound: arr(o['deny_outbound'] ?? [], `${path}.deny_outbound`).map((e, i) => denyEntry(e, `${path}.deny_outbound[${i}]`)),
    secure_connect: { peers: arr(sc['peers'], `${path}.secure_connect.peers`).map((p, i) => peer(p, `${path}.secure_connect.peers[${i}]`)) },
    diagnostics,
    hash: str(o['hash'], `${path}.hash`),
  };
}

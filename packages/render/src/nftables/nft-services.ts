/**
 * A plan entry's services → nft match expressions, one per rule. Services are grouped so an
 * entry costs few rules whatever its port count: all ports of one protocol in one anonymous
 * set (`tcp dport { 22, 443, 8000-8080 }`), all bare protocols in one (`meta l4proto { tcp, 47 }`),
 * all ICMP types without a code in one; an ICMP type with a code is a rule of its own.
 */
import { invalid } from '@palisade/core';
import type { Family } from '@palisade/core';
import type { ServiceSpec } from '@palisade/core/compute/index.ts';

const TCP = 6;
const UDP = 17;
const SCTP = 132;
const ICMP = 1;
const ICMPV6 = 58;
const PORTED: ReadonlyMap<number, string> = new Map([
  [TCP, 'tcp'],
  [UDP, 'udp'],
  [SCTP, 'sctp'],
]);
const PROTO_NAMES: ReadonlyMap<number, string> = new Map([...PORTED, [ICMP, 'icmp'], [ICMPV6, 'ipv6-icmp']]);

function checkInt(value: number | undefined, max: number, what: string, where: string): void {
  if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > max)) {
    throw invalid('invalid_service', `${where}: ${what} ${String(value)} is not an integer from 0 to ${max}.`, where);
  }
}

function anonymous(items: readonly string[]): string {
  return items.length === 1 ? (items[0] ?? '') : `{ ${items.join(', ')} }`;
}

/**
 * The service part of each rule for one family: `''` means any traffic (proto -1); an empty
 * list means the entry has nothing in this family (only ICMPv4 services, seen from IPv6).
 */
export function serviceMatches(services: readonly ServiceSpec[], family: Family, where: string): readonly string[] {
  for (const s of services) {
    if (s.proto === -1) return [''];
    checkInt(s.proto, 255, 'protocol', where);
    checkInt(s.port, 65535, 'port', where);
    checkInt(s.to_port, 65535, 'to_port', where);
    checkInt(s.icmp_type, 255, 'icmp_type', where);
    checkInt(s.icmp_code, 255, 'icmp_code', where);
  }
  const icmpProto = family === 4 ? ICMP : ICMPV6;
  const icmpKeyword = family === 4 ? 'icmp' : 'icmpv6';
  const bare: number[] = [];
  const ports = new Map<number, string[]>();
  const icmpTypes: number[] = [];
  const icmpTypeCodes: string[] = [];
  for (const s of services) {
    if (s.proto === ICMP || s.proto === ICMPV6) {
      if (s.proto !== icmpProto) continue;
      if (s.icmp_type === undefined) bare.push(s.proto);
      else if (s.icmp_code === undefined) icmpTypes.push(s.icmp_type);
      else icmpTypeCodes.push(`${icmpKeyword} type ${s.icmp_type} ${icmpKeyword} code ${s.icmp_code}`);
    } else if (PORTED.has(s.proto) && s.port !== undefined) {
      const to = s.to_port ?? s.port;
      if (to < s.port) throw invalid('invalid_service', `${where}: port range ${s.port}-${to} is reversed.`, where);
      const list = ports.get(s.proto) ?? [];
      list.push(to > s.port ? `${s.port}-${to}` : String(s.port));
      ports.set(s.proto, list);
    } else {
      bare.push(s.proto);
    }
  }
  const out: string[] = [];
  const bareNames = [...new Set(bare)].sort((a, b) => a - b).map((p) => PROTO_NAMES.get(p) ?? String(p));
  if (bareNames.length > 0) out.push(`meta l4proto ${anonymous(bareNames)}`);
  for (const proto of [...ports.keys()].sort((a, b) => a - b)) {
    out.push(`${PORTED.get(proto) ?? ''} dport ${anonymous([...new Set(ports.get(proto))])}`);
  }
  const types = [...new Set(icmpTypes)].sort((a, b) => a - b).map(String);
  if (types.length > 0) out.push(`${icmpKeyword} type ${anonymous(types)}`);
  out.push(...icmpTypeCodes);
  return out;
}

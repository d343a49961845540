/**
 * A plan → the table Palisade owns, as data (sets with their elements, chains as rule lines).
 * `nftables-renderer.ts` writes it out whole; `nftables-set-delta.ts` compares two of them.
 * Rules grow with plan entries (× 2 families × 2 set kinds × a few service groups), never
 * with peers: peers live in named sets, single addresses in hash sets and CIDRs and ranges in
 * interval sets (nft-elements.ts says why).
 */
import { invalid, parseCidr } from '@palisade/core';
import type { EnforcementMode, Family } from '@palisade/core';
import type { AllowEntry, DenyEntry, WorkloadPlan } from '@palisade/core/compute/index.ts';
import { logStatement } from './log-prefixes.ts';
import type { LogDirection } from './log-prefixes.ts';
import { splitElements } from './nft-elements.ts';
import { nftComment, nftNetworkSetName, nftSetName, nftSetStem, nftTableName } from './nft-names.ts';
import { SC_PEERS_STEM, scPeerElements, scPeersSetName, secureConnectRules } from './nft-secure-connect.ts';
import { serviceMatches } from './nft-services.ts';
import { withFlowAccounting, type FlowSet } from './nft-flow-accounting.ts';

export interface NftRenderContext {
  /** Where the VEN reaches its PCE: always allowed out, whatever the plan says. */
  readonly pce: { readonly addresses: readonly string[]; readonly port: number };
  /** The one table Palisade owns (family `inet`); default `palisade`. */
  readonly table?: string;
  /**
   * `secure-connect`: a suspended VEN (DESIGN §3) keeps SecureConnect and nothing else — only
   * the always-rules and the SecureConnect section, policy accept, no plan entries.
   */
  readonly only?: 'secure-connect';
}

export interface NftSet {
  readonly name: string;
  readonly family: Family;
  /** `flags interval` (CIDRs and ranges); otherwise a hash set of single addresses. */
  readonly interval: boolean;
  readonly elements: readonly string[];
}

/** A commented group of rule lines, so the rendered chain reads in sections. */
export interface NftRuleSection {
  readonly title: string;
  readonly rules: readonly string[];
}

export interface NftChain {
  /** `flows_in`/`flows_out`: flow accounting (`nft-flow-accounting.ts`). */
  readonly name: 'input' | 'output' | 'flows_in' | 'flows_out';
  readonly hook: 'input' | 'output';
  /** Default `filter`. */
  readonly priority?: string;
  readonly policy: 'accept' | 'drop';
  readonly sections: readonly NftRuleSection[];
}

export interface NftTable {
  readonly name: string;
  readonly sets: readonly NftSet[];
  readonly chains: readonly NftChain[];
  /** Dynamic flow-accounting sets (no elements in the script); absent at `flow_off`. */
  readonly flowSets?: readonly FlowSet[];
}

const DHCP = ['meta nfproto ipv4 udp sport { 67, 68 } udp dport { 67, 68 } accept', 'meta nfproto ipv6 udp sport { 546, 547 } udp dport { 546, 547 } accept'];
// Accepted before `ct state invalid drop` so that ND never depends on how conntrack classifies it (`untracked` on the kernel checked).
const NEIGHBOUR_DISCOVERY = 'icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } ip6 hoplimit 255 accept';

function anonymous(items: readonly string[]): string {
  return items.length === 1 ? (items[0] ?? '') : `{ ${items.join(', ')} }`;
}

/**
 * The connection to the PCE is never cut. Outbound: to its address and port. Inbound: from
 * its address and port too, not only `established` — a connection opened before the table
 * existed was never seen by conntrack as new, so with a default drop its packets would look
 * like new inbound traffic.
 */
function pceRules(ctx: NftRenderContext, direction: LogDirection): string[] {
  const { addresses, port } = ctx.pce;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid('invalid_pce_port', `PCE port ${String(port)} is not an integer from 1 to 65535.`, 'pce.port');
  if (addresses.length === 0) throw invalid('pce_addresses_required', 'The PCE has no address: rendering a firewall now would cut the VEN off from it. Give at least one PCE IP address.', 'pce.addresses');
  const byFamily: Record<Family, string[]> = { 4: [], 6: [] };
  for (const [i, a] of addresses.entries()) {
    const r = parseCidr(a);
    if (!r) throw invalid('invalid_pce_address', `PCE address ${JSON.stringify(a)} is not an IP address or CIDR (names are resolved by the VEN, not here).`, `pce.addresses[${i}]`);
    byFamily[r.family].push(a);
  }
  const out: string[] = [];
  const [addr, portMatch] = direction === 'out' ? ['daddr', 'dport'] : ['saddr', 'sport'];
  if (byFamily[4].length > 0) out.push(`ip ${addr} ${anonymous(byFamily[4])} tcp ${portMatch} ${port} accept`);
  if (byFamily[6].length > 0) out.push(`ip6 ${addr} ${anonymous(byFamily[6])} tcp ${portMatch} ${port} accept`);
  return out;
}

/** Before SecureConnect: loopback never, and ND (on-link by hop limit 255) must not depend on an SA (NUD probes a peer's own address). */
function firstRules(direction: LogDirection): string[] {
  return [direction === 'in' ? 'iif "lo" accept' : 'oif "lo" accept', NEIGHBOUR_DISCOVERY];
}

function alwaysRules(direction: LogDirection, mode: EnforcementMode, ctx: NftRenderContext): string[] {
  return ['ct state established,related accept', ...pceRules(ctx, direction), ...DHCP, ...(mode === 'full' ? ['ct state invalid drop'] : [])];
}

type Verdict = (entry: AllowEntry | DenyEntry) => string;

function entryRules(entries: readonly (AllowEntry | DenyEntry)[], direction: LogDirection, field: string, known: ReadonlySet<string>, verdict: Verdict): string[] {
  const out: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const where = `${field}[${i}]`;
    if (!known.has(entry.peers)) throw invalid('unknown_address_set', `${where}: peers ${JSON.stringify(entry.peers)} is not one of the plan's address sets.`, where);
    for (const family of [4, 6] as const) {
      const services = serviceMatches(entry.services, family, `${where}.services`);
      for (const set of [nftSetName(entry.peers, family), nftNetworkSetName(entry.peers, family)]) {
        const peer = `${family === 4 ? 'ip' : 'ip6'} ${direction === 'in' ? 'saddr' : 'daddr'} @${set}`;
        for (const service of services) out.push([peer, service, verdict(entry), nftComment(entry.rule)].filter((p) => p !== '').join(' '));
      }
    }
  }
  return out;
}

/** Suspended: loopback and ND, the SecureConnect section, established/PCE/DHCP; everything else passes. */
function secureConnectOnlyChain(direction: LogDirection, ctx: NftRenderContext): NftChain {
  const sections: NftRuleSection[] = [
    { title: 'always: loopback, neighbour discovery', rules: firstRules(direction) },
    { title: 'SecureConnect peers: MSS clamp, IKE and ESP pass, anything else only as IPsec', rules: secureConnectRules(direction) },
    { title: 'always: established, PCE, DHCP', rules: alwaysRules(direction, 'visibility_only', ctx) },
  ];
  return { name: direction === 'in' ? 'input' : 'output', hook: direction === 'in' ? 'input' : 'output', policy: 'accept', sections };
}

function chain(plan: WorkloadPlan, direction: LogDirection, ctx: NftRenderContext, known: ReadonlySet<string>): NftChain {
  const mode = plan.enforcement_mode;
  const full = mode === 'full';
  const denies = direction === 'in' ? plan.deny_inbound : plan.deny_outbound;
  const allows = direction === 'in' ? plan.inbound : plan.outbound;
  const field = direction === 'in' ? 'inbound' : 'outbound';
  // SecureConnect entries pass only as IPsec: a missing SA is a drop, never plaintext (DESIGN §7).
  const ipsec = direction === 'in' ? 'meta secpath exists ' : 'rt ipsec exists ';
  const denyVerdict = mode === 'visibility_only' ? `counter ${logStatement('pdeny', direction)} accept` : `counter ${logStatement('deny', direction)} drop`;
  const allowVerdict: Verdict = (e) => `${'sec_connect' in e && e.sec_connect ? ipsec : ''}counter accept`;
  const tail = full ? `counter limit rate 10/second ${logStatement('drop', direction)}` : `counter ${logStatement('pblk', direction)} accept`;
  const sections: NftRuleSection[] = [
    { title: 'always: loopback, neighbour discovery', rules: firstRules(direction) },
    { title: 'SecureConnect peers: MSS clamp, IKE and ESP pass, anything else only as IPsec', rules: secureConnectRules(direction) },
    { title: 'always: established, PCE, DHCP', rules: alwaysRules(direction, mode, ctx) },
    { title: mode === 'visibility_only' ? 'deny rules: logged as potentially blocked, not enforced' : 'deny rules', rules: entryRules(denies, direction, `deny_${field}`, known, () => denyVerdict) },
    { title: 'allow rules', rules: entryRules(allows, direction, field, known, allowVerdict) },
    { title: full ? 'default deny' : 'what full enforcement would block', rules: [tail] },
  ];
  return { name: direction === 'in' ? 'input' : 'output', hook: direction === 'in' ? 'input' : 'output', policy: full ? 'drop' : 'accept', sections };
}

/**
 * The table for a plan, or null in `idle` (the VEN installs nothing). With `only:
 * 'secure-connect'` (suspended) the table holds only the SecureConnect peer sets and chains of
 * `secureConnectOnlyChain`.
 */
export function buildNftTable(plan: WorkloadPlan, ctx: NftRenderContext): NftTable | null {
  const name = nftTableName(ctx.table);
  if (plan.enforcement_mode === 'idle') return null;
  if (ctx.only !== undefined && ctx.only !== 'secure-connect') throw invalid('invalid_render_option', `only must be 'secure-connect', not ${JSON.stringify(ctx.only)}.`, 'only');
  if (ctx.only === 'secure-connect') {
    const scOnly = scPeerElements(plan);
    return {
      name,
      sets: [
        { name: scPeersSetName(4), family: 4, interval: false, elements: scOnly[4] },
        { name: scPeersSetName(6), family: 6, interval: false, elements: scOnly[6] },
      ],
      chains: [secureConnectOnlyChain('in', ctx), secureConnectOnlyChain('out', ctx)],
    };
  }
  const sets: NftSet[] = [];
  const known = new Set<string>();
  const stems = new Map<string, string>();
  for (const [i, s] of plan.address_sets.entries()) {
    const where = `address_sets[${i}]`;
    if (known.has(s.name)) throw invalid('duplicate_address_set', `${where}: the plan names set ${JSON.stringify(s.name)} twice.`, where);
    const stem = nftSetStem(s.name);
    if (stem === SC_PEERS_STEM) throw invalid('address_set_name_clash', `${where}: set ${JSON.stringify(s.name)} maps to the SecureConnect peer sets' nft name.`, where);
    const other = stems.get(stem);
    if (other !== undefined) throw invalid('address_set_name_clash', `${where}: sets ${JSON.stringify(other)} and ${JSON.stringify(s.name)} map to one nft name.`, where);
    known.add(s.name);
    stems.set(stem, s.name);
    for (const family of [4, 6] as const) {
      const split = splitElements(family === 4 ? s.ipv4 : s.ipv6, family, `${where}.ipv${family}`);
      sets.push({ name: nftSetName(s.name, family), family, interval: false, elements: split.addresses }, { name: nftNetworkSetName(s.name, family), family, interval: true, elements: split.networks });
    }
  }
  // Always declared, empty or not: a first SecureConnect peer is a set delta too.
  const scPeers = scPeerElements(plan);
  sets.push({ name: scPeersSetName(4), family: 4, interval: false, elements: scPeers[4] }, { name: scPeersSetName(6), family: 6, interval: false, elements: scPeers[6] });
  sets.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return withFlowAccounting(plan, { name, sets, chains: [chain(plan, 'in', ctx, known), chain(plan, 'out', ctx, known)] });
}

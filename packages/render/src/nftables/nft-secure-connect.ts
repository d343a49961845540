/**
 * SecureConnect in nftables (DESIGN §4 items 2, 6, 9, 10; LAB.md "IPsec-only firewall rules").
 * Every SecureConnect peer, capable or not, is in `sc_peers_v4`/`sc_peers_v6` (hash sets: peers
 * are single addresses), so a peer that joins or leaves is a set delta. With a peer:
 * - IKE (UDP 500/4500 on our side) and ESP always pass, whatever the rest of the policy says;
 * - every other packet must be IPsec (`meta secpath exists` in, `rt ipsec exists` out) or it
 *   is dropped: host to host, all ports and protocols. A missing SA (charon stopped, an
 *   incapable peer, no ESP in the kernel) is a drop, never plaintext. IPsec traffic is not
 *   accepted here: it goes on to the mode's rules like any other;
 * - TCP MSS is clamped so a full segment plus ESP fits a 1500-byte link.
 * The section comes before `ct state established`: a connection that was set up in clear (before
 * the pair became SecureConnect) or whose SA went away must not go on in clear.
 */
import { invalid, parseIp } from '@palisade/core';
import type { Family } from '@palisade/core';
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import { logStatement } from './log-prefixes.ts';
import type { LogDirection } from './log-prefixes.ts';
import { splitElements } from './nft-elements.ts';

export const SC_PEERS_STEM = 'sc_peers';

export function scPeersSetName(family: Family): string {
  return `${SC_PEERS_STEM}_v${family}`;
}

/**
 * A fixed MSS, not `rt mtu`: the SYN that brings an on-demand SA up (`start_action = trap`)
 * has no IPsec route yet, and in the input hook `rt mtu` is the local route's. 1360 + TCP 20
 * + IPv6 40 + UDP encapsulation 8 + ESP (SPI/seq 8, IV 8, ICV 16, trailer 2–5) ≤ 1465 < 1500,
 * for both families, with and without NAT traversal. Only ever lowered.
 */
export const SC_TCP_MSS = 1360;

/** The peers' addresses by family (deduplicated, so two peers sharing one address is fine). */
export function scPeerElements(plan: WorkloadPlan): Record<Family, readonly string[]> {
  const byFamily: Record<Family, string[]> = { 4: [], 6: [] };
  for (const [i, peer] of plan.secure_connect.peers.entries()) {
    for (const [j, a] of peer.addresses.entries()) {
      const ip = parseIp(a);
      const where = `secure_connect.peers[${i}].addresses[${j}]`;
      if (!ip) throw invalid('invalid_peer_address', `${where}: ${JSON.stringify(a)} is not an IP address.`, where);
      byFamily[ip.family].push(a);
    }
  }
  return { 4: splitElements(byFamily[4], 4, 'secure_connect.peers').addresses, 6: splitElements(byFamily[6], 6, 'secure_connect.peers').addresses };
}

/** The rules of the SecureConnect section of one chain (both families; empty sets match nothing). */
export function secureConnectRules(direction: LogDirection): string[] {
  const out: string[] = [];
  for (const family of [4, 6] as const) {
    const peer = `${family === 4 ? 'ip' : 'ip6'} ${direction === 'in' ? 'saddr' : 'daddr'} @${scPeersSetName(family)}`;
    // Our IKE ports only: inbound to them, outbound from them (only charon binds 500/4500), so
    // NAT traversal works (the peer's port may be rewritten) without opening other UDP ports.
    const ike = direction === 'in' ? 'udp dport { 500, 4500 }' : 'udp sport { 500, 4500 }';
    const ipsecMissing = direction === 'in' ? 'meta secpath missing' : 'rt ipsec missing';
    out.push(
      `${peer} tcp flags syn tcp option maxseg size > ${SC_TCP_MSS} tcp option maxseg size set ${SC_TCP_MSS} counter`,
      `${peer} ${ike} counter accept`,
      // ESP itself; outbound the encrypted packet passes this hook a second time (LAB.md).
      `${peer} meta l4proto esp counter accept`,
      `${peer} ${ipsecMissing} counter limit rate 10/second ${logStatement('clear', direction)}`,
      `${peer} ${ipsecMissing} counter drop`,
    );
  }
  return out;
}

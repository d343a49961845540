/**
 * WorkloadPlan → one PowerShell script for the NetSecurity module (Windows Server 2012+):
 * Windows Firewall rules and IPsec connection security rules, all in one group that Palisade
 * owns. The script removes only that group's objects before adding the new ones: rules of other
 * groups and pre-existing IPsec configuration are left alone (DESIGN §4 item 11). Returns text,
 * runs nothing. No secret is in the text: the PSK is read from the VEN's key file when the
 * script runs, so the script can be logged and kept as a golden.
 */
import { invalid, parseCidr, parseIp } from '@palisade/core';
import type { AddressSet, AllowEntry, DenyEntry, SecureConnectPeer, ServiceSpec, WorkloadPlan } from '@palisade/core/compute/index.ts';
import { connectionStem } from '../strongswan/swanctl-renderer.ts';

export interface WindowsRenderContext {
  /** Where the VEN reaches its PCE: always allowed out. */
  readonly pce: { readonly addresses: readonly string[]; readonly port: number };
  /** PSK authentication: files holding the org key (64 hex), read when the script runs. */
  readonly psk?: { readonly file: string; readonly previousFile?: string };
  /** Certificate authentication: nothing but the CA; Windows picks a machine certificate it issued. */
  readonly certificate?: { readonly ca: string };
  /** The firewall/IPsec group Palisade owns; default `Palisade`. */
  readonly group?: string;
}

/** A PowerShell single-quoted string. PowerShell also takes the typographic quotes as quotes. */
function ps(text: string): string {
  return `'${text.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
}

function psList(items: readonly string[]): string {
  return items.length === 1 ? ps(items[0] ?? '') : `@(${items.map(ps).join(', ')})`;
}

function checkedAddresses(items: readonly string[], where: string): string[] {
  for (const a of items) {
    const dash = a.indexOf('-');
    const ok = dash === -1 ? parseCidr(a) !== undefined : parseIp(a.slice(0, dash)) !== undefined && parseIp(a.slice(dash + 1)) !== undefined;
    if (!ok) throw invalid('invalid_address_set_item', `${where}: ${JSON.stringify(a)} is not an IP address, CIDR or a-b range.`, where);
  }
  return [...items];
}

const PROTO: ReadonlyMap<number, string> = new Map([
  [6, 'TCP'],
  [17, 'UDP'],
  [1, 'ICMPv4'],
  [58, 'ICMPv6'],
]);

/** The protocol/port part of a firewall rule for one service. */
function serviceArgs(s: ServiceSpec, inbound: boolean, where: string): string {
  if (s.proto === -1) return '-Protocol Any';
  if (!Number.isInteger(s.proto) || s.proto < 0 || s.proto > 255) throw invalid('invalid_service', `${where}: protocol ${String(s.proto)} is not an integer from 0 to 255.`, where);
  const proto = PROTO.get(s.proto) ?? String(s.proto);
  if ((s.proto === 6 || s.proto === 17) && s.port !== undefined) {
    const to = s.to_port ?? s.port;
    if (![s.port, to].every((p) => Number.isInteger(p) && p >= 0 && p <= 65535) || to < s.port) throw invalid('invalid_service', `${where}: port ${s.port}-${to} is not a range within 0-65535.`, where);
    return `-Protocol ${proto} -${inbound ? 'LocalPort' : 'RemotePort'} ${ps(to > s.port ? `${s.port}-${to}` : String(s.port))}`;
  }
  if ((s.proto === 1 || s.proto === 58) && s.icmp_type !== undefined) {
    const parts = [s.icmp_type, ...(s.icmp_code === undefined ? [] : [s.icmp_code])];
    if (!parts.every((n) => Number.isInteger(n) && n >= 0 && n <= 255)) throw invalid('invalid_service', `${where}: ICMP type/code must be integers from 0 to 255.`, where);
    return `-Protocol ${proto} -IcmpType ${ps(parts.join(':'))}`;
  }
  return `-Protocol ${proto}`;
}

interface RuleWriter {
  readonly out: string[];
  n: number;
}

function firewallRule(w: RuleWriter, args: string): void {
  w.n++;
  w.out.push(`New-NetFirewallRule -Group $Group -Name ${ps(`Palisade-${String(w.n).padStart(4, '0')}`)} ${args} | Out-Null`);
}

function entryRules(w: RuleWriter, entries: readonly (AllowEntry | DenyEntry)[], inbound: boolean, action: 'Allow' | 'Block', sets: ReadonlyMap<string, AddressSet>, field: string): void {
  for (const [i, entry] of entries.entries()) {
    const where = `${field}[${i}]`;
    const set = sets.get(entry.peers);
    if (!set) throw invalid('unknown_address_set', `${where}: peers ${JSON.stringify(entry.peers)} is not one of the plan's address sets.`, where);
    const remote = checkedAddresses([...set.ipv4, ...set.ipv6], `${where}.peers`);
    // An empty -RemoteAddress would mean Any on Windows: an empty set gets no rule at all.
    if (remote.length === 0) {
      w.out.push(`# ${field}[${i}] ${entry.rule.replace(/[^\x20-\x7e]/g, '?')}: no peer addresses (yet), no rule`);
      continue;
    }
    const sc = 'sec_connect' in entry && entry.sec_connect ? ' -Authentication Required -Encryption Required' : '';
    for (const [j, s] of entry.services.entries()) {
      firewallRule(
        w,
        `-DisplayName ${ps(`Palisade ${entry.rule}`)} -Direction ${inbound ? 'Inbound' : 'Outbound'} -Action ${action} -Profile Any -RemoteAddress ${psList(remote)} ${serviceArgs(s, inbound, `${where}.services[${j}]`)}${sc}`,
      );
    }
  }
}

function header(plan: WorkloadPlan, what: string): string {
  return `# Palisade plan ${plan.hash.replace(/[^0-9A-Za-z]/g, '')} (${plan.enforcement_mode}): ${what}. Rendered by @palisade/render; do not edit.`;
}

/** The Palisade group's objects, removed before the new ones go in (IPsec rules before the sets they name). */
const REMOVE = [
  'Get-NetIPsecRule -Group $Group -ErrorAction SilentlyContinue | Remove-NetIPsecRule',
  'Get-NetIPsecMainModeRule -Group $Group -ErrorAction SilentlyContinue | Remove-NetIPsecMainModeRule',
  "Get-NetIPsecPhase1AuthSet -ErrorAction SilentlyContinue | Where-Object { $_.Name -like 'Palisade-*' } | Remove-NetIPsecPhase1AuthSet",
  "Get-NetIPsecMainModeCryptoSet -ErrorAction SilentlyContinue | Where-Object { $_.Name -like 'Palisade-*' } | Remove-NetIPsecMainModeCryptoSet",
  "Get-NetIPsecQuickModeCryptoSet -ErrorAction SilentlyContinue | Where-Object { $_.Name -like 'Palisade-*' } | Remove-NetIPsecQuickModeCryptoSet",
  'Get-NetFirewallRule -Group $Group -ErrorAction SilentlyContinue | Remove-NetFirewallRule',
];

function secureConnectLines(out: string[], w: RuleWriter, peers: readonly SecureConnectPeer[], ctx: WindowsRenderContext): void {
  const all = checkedAddresses(
    peers.flatMap((p) => p.addresses),
    'secure_connect.peers',
  );
  if (all.length === 0) return;
  const cert = peers.some((p) => p.auth.method === 'certificate');
  out.push('', '# SecureConnect (DESIGN §4): IKE and ESP with every peer, whatever the rest of the policy says');
  for (const dir of ['Inbound', 'Outbound'] as const) {
    firewallRule(w, `-DisplayName 'Palisade SecureConnect IKE' -Direction ${dir} -Action Allow -Profile Any -RemoteAddress ${psList(all)} -Protocol UDP -LocalPort @('500', '4500')`);
    firewallRule(w, `-DisplayName 'Palisade SecureConnect ESP' -Direction ${dir} -Action Allow -Profile Any -RemoteAddress ${psList(all)} -Protocol 50`);
  }
  out.push('# Phase 1 authentication: the org PSK or a machine certificate from the org CA');
  if (cert) {
    const caPeer = peers.find((p) => p.auth.method === 'certificate' && p.auth.ca_identity !== null);
    const ca = caPeer?.auth.method === 'certificate' ? caPeer.auth.ca_identity : null;
    if (ca === null) throw invalid('ca_identity_required', 'Certificate authentication without a CA identity in the org settings.', 'secure_connect.peers');
    if (ctx.certificate && ctx.certificate.ca !== ca) throw invalid('certificate_ca_mismatch', `The context CA ${JSON.stringify(ctx.certificate.ca)} is not the org's ${JSON.stringify(ca)}.`, 'certificate.ca');
    out.push(`$p1 = @(New-NetIPsecAuthProposal -Machine -Cert -Authority ${ps(ca)} -AuthorityType Root)`);
  } else {
    if (!ctx.psk) throw invalid('psk_required', 'The org authenticates with a pre-shared key; give the key file in psk.file.', 'psk');
    // Read at run time: the key never appears in the script. The first proposal is the one Windows offers.
    out.push(`$p1 = @(New-NetIPsecAuthProposal -Machine -PreSharedKey (Get-Content -LiteralPath ${ps(ctx.psk.file)} -Raw).Trim())`);
    if (ctx.psk.previousFile !== undefined) out.push(`$p1 += New-NetIPsecAuthProposal -Machine -PreSharedKey (Get-Content -LiteralPath ${ps(ctx.psk.previousFile)} -Raw).Trim()`);
  }
  out.push(
    "New-NetIPsecPhase1AuthSet -Name 'Palisade-P1' -DisplayName 'Palisade phase 1' -Proposal $p1 | Out-Null",
    // The proposals of the swanctl renderer: IKE AES/SHA with DH 14, ESP AES-GCM.
    "New-NetIPsecMainModeCryptoSet -Name 'Palisade-MM' -DisplayName 'Palisade main mode' -Proposal @((New-NetIPsecMainModeCryptoProposal -Encryption AES256 -Hash SHA256 -KeyExchange DH14), (New-NetIPsecMainModeCryptoProposal -Encryption AES128 -Hash SHA1 -KeyExchange DH14)) | Out-Null",
    "New-NetIPsecQuickModeCryptoSet -Name 'Palisade-QM' -DisplayName 'Palisade quick mode' -Proposal @((New-NetIPsecQuickModeCryptoProposal -Encapsulation ESP -Encryption AESGCM256 -ESPHash AESGMAC256), (New-NetIPsecQuickModeCryptoProposal -Encapsulation ESP -Encryption AESGCM128 -ESPHash AESGMAC128)) | Out-Null",
    `New-NetIPsecMainModeRule -Group $Group -Name 'Palisade-MM' -DisplayName 'Palisade main mode' -RemoteAddress ${psList(all)} -MainModeCryptoSet 'Palisade-MM' -Phase1AuthSet 'Palisade-P1' | Out-Null`,
    '# One transport-mode rule per peer, all protocols: host to host, required both ways. A peer that',
    '# cannot do IPsec gets one too: no SA can come up, so traffic with it is blocked (fail closed).',
  );
  for (const [i, peer] of peers.entries()) {
    const addrs = checkedAddresses(peer.addresses, `secure_connect.peers[${i}].addresses`);
    if (addrs.length === 0) continue;
    // IKEv1 only toward Windows 2008 (the plan says so); IKEv2 otherwise, also when no IKE can work.
    const keyModule = peer.ike_version === 'ikev1' ? 'IKEv1' : 'IKEv2';
    const why = peer.capable && peer.ike_version !== null ? '' : ' (cannot do SecureConnect: blocked)';
    out.push(
      `New-NetIPsecRule -Group $Group -Name ${ps(`Palisade-sc-${connectionStem(peer)}`)} -DisplayName ${ps(`Palisade SecureConnect ${peer.name}${why}`)} -Mode Transport -Protocol Any -RemoteAddress ${psList(addrs)} -InboundSecurity Require -OutboundSecurity Require -KeyModule ${keyModule} -Phase1AuthSet 'Palisade-P1' -QuickModeCryptoSet 'Palisade-QM' | Out-Null`,
    );
  }
}

/** The whole script. In `idle` it only removes Palisade's objects and gives the profiles back to their defaults. */
export function renderWindows(plan: WorkloadPlan, ctx: WindowsRenderContext): string {
  const group = ctx.group ?? 'Palisade';
  if (!/^[A-Za-z][A-Za-z0-9 _-]{0,63}$/.test(group)) throw invalid('invalid_group', `Group ${JSON.stringify(group)} must be letters, digits, space, _ or -.`, 'group');
  const mode = plan.enforcement_mode;
  const out = [
    header(plan, mode === 'idle' ? `removes the ${group} firewall and IPsec rules, installs nothing` : `replaces the ${group} firewall and IPsec rules`),
    '#Requires -Modules NetSecurity',
    "$ErrorActionPreference = 'Stop'",
    `$Group = ${ps(group)}`,
    '# Only our own group: rules of other groups and IPsec configuration made by others stay (DESIGN §4 item 11).',
    ...REMOVE,
  ];
  if (mode === 'idle') {
    out.push("Set-NetFirewallProfile -Profile Domain, Private, Public -DefaultInboundAction NotConfigured -DefaultOutboundAction NotConfigured");
    return `${out.join('\n')}\n`;
  }
  // Default block both ways only in full; visibility_only and selective block nothing by default.
  const def = mode === 'full' ? 'Block' : 'Allow';
  out.push(`Set-NetFirewallProfile -Profile Domain, Private, Public -Enabled True -DefaultInboundAction ${def} -DefaultOutboundAction ${def}`);
  const w: RuleWriter = { out, n: 0 };
  const pce = checkedAddresses(ctx.pce.addresses, 'pce.addresses');
  if (pce.length === 0) throw invalid('pce_addresses_required', 'The PCE has no address: rendering a firewall now would cut the VEN off from it.', 'pce.addresses');
  if (!Number.isInteger(ctx.pce.port) || ctx.pce.port < 1 || ctx.pce.port > 65535) throw invalid('invalid_pce_port', `PCE port ${String(ctx.pce.port)} is not an integer from 1 to 65535.`, 'pce.port');
  out.push('', '# always: the PCE');
  firewallRule(w, `-DisplayName 'Palisade PCE' -Direction Outbound -Action Allow -Profile Any -RemoteAddress ${psList(pce)} -Protocol TCP -RemotePort ${ps(String(ctx.pce.port))}`);
  secureConnectLines(out, w, plan.secure_connect.peers, ctx);
  const sets = new Map(plan.address_sets.map((s) => [s.name, s]));
  if (mode === 'visibility_only') {
    out.push('', '# deny rules: not enforced in visibility_only');
  } else {
    out.push('', '# deny rules (Windows: a block rule wins over any allow rule)');
    entryRules(w, plan.deny_inbound, true, 'Block', sets, 'deny_inbound');
    entryRules(w, plan.deny_outbound, false, 'Block', sets, 'deny_outbound');
  }
  out.push('', '# allow rules (SecureConnect entries: IPsec required)');
  entryRules(w, plan.inbound, true, 'Allow', sets, 'inbound');
  entryRules(w, plan.outbound, false, 'Allow', sets, 'outbound');
  return `${out.join('\n')}\n`;
}

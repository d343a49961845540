/**
 * WorkloadPlan → strongSwan `swanctl.conf` (DESIGN §4, §7; LAB.md "strongSwan"). Returns text,
 * runs nothing. The secrets (the org PSK, a PKCS#12 password) are a separate string that the
 * VEN writes to a root-only file and `swanctl.conf` includes, so the config itself can be
 * logged, diffed and kept as a golden.
 *
 * One connection per capable peer and remote address (a transport SA is between exactly two
 * addresses; IPv4 and IPv6 each get their own connection, because an IKE SA runs over one
 * family and its CHILD SA's `dynamic` selectors cover only that family's pair — a single
 * connection listing both families would protect one family and leave the other to the
 * nftables drop). Children are host to host (`dynamic` selectors: all protocols and ports),
 * transport mode, `start_action = trap`: the first packet brings the SA up, from either side.
 * Incapable peers get no connection: nftables drops plaintext with them (fail closed).
 */
import { invalid, parseIp } from '@palisade/core';
import type { Family } from '@palisade/core';
import { fnv64 } from '@palisade/core/compute/index.ts';
import type { IkeVersion, SecureConnectPeer, WorkloadPlan } from '@palisade/core/compute/index.ts';

export interface SwanctlRenderContext {
  /**
   * The org PSK (64 hex characters, DESIGN §4 item 8), used as ASCII bytes like Windows does.
   * `current` authenticates this host; `previous` is also accepted from peers (IKEv2 only:
   * see README "PSK rotation").
   */
  readonly psk?: { readonly current: string; readonly previous?: string };
  /** Certificate authentication: the identity certificate the VEN picked (issuer = the org CA). */
  readonly certificate?: SwanctlCertificate;
  /** This host's addresses for IKE; default the plan's own. */
  readonly localAddresses?: readonly string[];
}

export interface SwanctlCertificate {
  /** Subject DN of the local identity certificate: our IKE identity. */
  readonly identity: string;
  /** The CA's DN; must equal the plan's `ca_identity`. */
  readonly ca: string;
  /** CA certificate file name in `x509ca/` (PEM or DER). */
  readonly caFile: string;
  /** Identity certificate file in `x509/` (its key in `private/`), or … */
  readonly certFile?: string;
  /** … a PKCS#12 container in `pkcs12/` (charon finds the certificate by `identity`). */
  readonly pkcs12?: { readonly file: string; readonly password?: string };
}

export interface SwanctlFiles {
  readonly 'swanctl.conf': string;
  /** Content of `SWANCTL_SECRETS_FILE` (0600), included by `swanctl.conf`; absent when there is no secret. */
  readonly secrets?: string;
}

/** The secrets file's name, beside `swanctl.conf`. */
export const SWANCTL_SECRETS_FILE = 'palisade-secrets.conf';

/**
 * IKE proposals. IKEv2 (Linux, Windows 2012+): AEAD first, then CBC+HMAC with DH 14, which every
 * Windows 2012+ accepts. IKEv1 (Windows 2008): no AEAD in IKEv1 phase 1; AES/SHA with DH 14 is
 * what Windows 2008 offers (its `aes128-sha1` default included).
 */
export const IKE_PROPOSALS: Readonly<Record<IkeVersion, string>> = {
  ikev2: 'aes256gcm16-prfsha384-ecp384, aes128gcm16-prfsha256-x25519, aes256-sha256-modp2048',
  ikev1: 'aes256-sha256-modp2048, aes128-sha1-modp2048',
};
/** ESP: AES-GCM only (Windows quick mode `AESGCM256`/`AESGCM128` with `AESGMAC`); no PFS, like Windows' default. */
export const ESP_PROPOSALS = 'aes256gcm16, aes128gcm16';

const HEX64 = /^[0-9a-fA-F]{64}$/;
/** What may go unquoted-safe into a quoted swanctl value: no quote, backslash or line break. */
const SAFE_VALUE = /^[^"\\\r\n]*$/;
/** File names: no directory parts, nothing a shell or the config parser would read twice. */
const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function quoted(value: string, what: string, where: string): string {
  if (!SAFE_VALUE.test(value)) throw invalid('invalid_swanctl_value', `${where}: ${what} must not contain quotes, backslashes or line breaks.`, where);
  return `"${value}"`;
}

function fileName(value: string, where: string): string {
  if (!FILE_NAME.test(value)) throw invalid('invalid_file_name', `${where}: ${JSON.stringify(value)} is not a plain file name (letters, digits, . _ -).`, where);
  return value;
}

function psk(value: string, where: string): string {
  if (!HEX64.test(value)) throw invalid('invalid_psk', `${where}: the PSK must be 64 hex characters.`, where);
  return `"${value}"`;
}

/**
 * The stable part of a connection name: the peer's workload id (last href segment) when it is
 * a short plain token, else FNV-1a 64 of the href. Not the name: a rename must not re-key.
 */
export function connectionStem(peer: SecureConnectPeer): string {
  const id = peer.workload.slice(peer.workload.lastIndexOf('/') + 1);
  return /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/.test(id) ? id : fnv64(peer.workload).hex;
}

function byFamily(addresses: readonly string[], where: string): Record<Family, string[]> {
  const out: Record<Family, string[]> = { 4: [], 6: [] };
  for (const [i, a] of addresses.entries()) {
    const ip = parseIp(a);
    if (!ip) throw invalid('invalid_address', `${where}[${i}]: ${JSON.stringify(a)} is not an IP address.`, `${where}[${i}]`);
    out[ip.family].push(a);
  }
  return out;
}

interface Connection {
  readonly name: string;
  readonly peer: SecureConnectPeer;
  readonly version: IkeVersion;
  readonly local: readonly string[];
  readonly remote: string;
}

function comment(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

function authLines(out: string[], side: 'local' | 'remote', conn: Connection, cert: SwanctlCertificate | undefined): void {
  out.push(`\t\t${side} {`);
  if (cert) {
    out.push('\t\t\tauth = pubkey');
    if (side === 'local') {
      out.push(`\t\t\tid = ${quoted(cert.identity, 'the certificate identity', 'certificate.identity')}`);
      if (cert.certFile !== undefined) out.push(`\t\t\tcerts = ${fileName(cert.certFile, 'certificate.certFile')}`);
    } else {
      // The PCE never sees certificates, so a peer's subject is unknown: any identity the org
      // CA vouches for (cacerts) — and only that CA — is accepted.
      out.push('\t\t\tid = %any', `\t\t\tcacerts = ${fileName(cert.caFile, 'certificate.caFile')}`);
    }
  } else {
    // PSK identities are the addresses, as Windows uses them.
    out.push('\t\t\tauth = psk', `\t\t\tid = ${side === 'local' ? (conn.local[0] ?? '%any') : conn.remote}`);
  }
  out.push('\t\t}');
}

function connectionLines(out: string[], conn: Connection, cert: SwanctlCertificate | undefined): void {
  const v1 = conn.version === 'ikev1';
  out.push(
    `\t# ${comment(conn.peer.name)} (${comment(conn.peer.workload)}), ${conn.version}`,
    `\t${conn.name} {`,
    `\t\tversion = ${v1 ? 1 : 2}`,
    `\t\tlocal_addrs = ${conn.local.join(', ')}`,
    `\t\tremote_addrs = ${conn.remote}`,
    `\t\tproposals = ${IKE_PROPOSALS[conn.version]}`,
    '\t\tmobike = no',
    '\t\tdpd_delay = 30s',
    // Never give up on a peer while it is wanted: an attempt toward an absent peer keeps
    // retransmitting (every 10 s at most, strongswan.conf) and reaches it as soon as it is back.
    '\t\tkeyingtries = 0',
    // IKEv1 cannot rekey an IKE SA, only re-authenticate; IKEv2 rekeys without re-authenticating.
    ...(v1 ? ['\t\trekey_time = 0s', '\t\treauth_time = 4h'] : ['\t\trekey_time = 4h', '\t\treauth_time = 0s']),
  );
  authLines(out, 'local', conn, cert);
  authLines(out, 'remote', conn, cert);
  out.push(
    '\t\tchildren {',
    `\t\t\t${conn.name} {`,
    '\t\t\t\tmode = transport',
    `\t\t\t\tesp_proposals = ${ESP_PROPOSALS}`,
    // On demand: a trap policy per child; the first packet either way brings the SA up.
    '\t\t\t\tstart_action = trap',
    // The trap stays after a dead peer (start_action), so clearing is enough: the next packet retries.
    '\t\t\t\tdpd_action = clear',
    '\t\t\t\trekey_time = 1h',
    '\t\t\t}',
    '\t\t}',
    '\t}',
  );
}

/** ICMPv6 router solicitation/advertisement, neighbour solicitation/advertisement, redirect. */
const ND_TYPES = [133, 134, 135, 136, 137] as const;

/**
 * IPv6 neighbour discovery must not be caught by the host-to-host policies: the kernel applies
 * XFRM policies to ND too, so a trap policy swallows the neighbour solicitation that IKE itself
 * needs (checked: the acquire for `ipv6-icmp/136` and IKE never reaching the peer). Pass
 * (shunt) policies for the ND types keep them in clear; nftables accepts them only with hop
 * limit 255 (on-link). For ICMP charon puts the type in both selectors' port fields.
 */
function ndBypass(out: string[]): void {
  out.push('\t# IPv6 neighbour discovery outside IPsec (else the trap policies catch the ND that IKE needs)', '\tpalisade-nd-bypass {', '\t\tchildren {');
  for (const t of ND_TYPES) {
    out.push(`\t\t\tnd-${t} {`, `\t\t\t\tlocal_ts = ::/0[ipv6-icmp/${t}]`, `\t\t\t\tremote_ts = ::/0[ipv6-icmp/${t}]`, '\t\t\t\tmode = pass', '\t\t\t\tstart_action = trap', '\t\t\t}');
  }
  out.push('\t\t}', '\t}');
}

function header(plan: WorkloadPlan, what: string): string {
  return `# Palisade plan ${plan.hash.replace(/[^0-9A-Za-z]/g, '')} (${plan.enforcement_mode}): ${what}. Rendered by @palisade/render; do not edit.`;
}

/**
 * The connections and secrets for a plan. No connection (and no secrets) in `idle`, without
 * capable peers, or for a local workload that cannot do SecureConnect (its plan has no peers).
 */
export function renderSwanctl(plan: WorkloadPlan, ctx: SwanctlRenderContext): SwanctlFiles {
  const local = byFamily(ctx.localAddresses ?? plan.workload.addresses, ctx.localAddresses ? 'localAddresses' : 'workload.addresses');
  const conns: Connection[] = [];
  const skipped: string[] = [];
  const peers = plan.enforcement_mode === 'idle' ? [] : plan.secure_connect.peers;
  let usesPsk = false;
  let usesCert = false;
  for (const [i, peer] of peers.entries()) {
    const where = `secure_connect.peers[${i}]`;
    const label = `${comment(peer.name)} (${comment(peer.workload)})`;
    if (!peer.capable || peer.ike_version === null) {
      skipped.push(`${label}: cannot do SecureConnect, no connection; nftables drops plaintext with it`);
      continue;
    }
    if (peer.auth.method === 'certificate') {
      if (peer.auth.ca_identity === null) {
        skipped.push(`${label}: certificate authentication without a CA identity in the org settings, no connection; nftables drops plaintext with it`);
        continue;
      }
      if (!ctx.certificate) throw invalid('certificate_required', `${where}: the org authenticates with certificates; give an identity certificate issued by ${JSON.stringify(peer.auth.ca_identity)}.`, 'certificate');
      if (ctx.certificate.ca !== peer.auth.ca_identity) throw invalid('certificate_ca_mismatch', `${where}: the certificate's CA ${JSON.stringify(ctx.certificate.ca)} is not the org's ${JSON.stringify(peer.auth.ca_identity)}.`, 'certificate.ca');
      usesCert = true;
    } else {
      if (!ctx.psk) throw invalid('psk_required', `${where}: the org authenticates with a pre-shared key; give it in psk.current.`, 'psk');
      usesPsk = true;
    }
    const remote = byFamily(peer.addresses, `${where}.addresses`);
    const stem = `conn-${connectionStem(peer)}`;
    for (const family of [4, 6] as const) {
      const mine = local[family];
      if (mine.length === 0) continue;
      for (const [j, addr] of remote[family].entries()) {
        conns.push({ name: `${stem}-v${family}${j === 0 ? '' : `-${j}`}`, peer, version: peer.ike_version, local: mine, remote: addr });
      }
    }
  }
  if (usesPsk && usesCert) throw invalid('mixed_ike_auth', 'The plan mixes PSK and certificate peers; the org has one authentication method.', 'secure_connect.peers');

  const out = [header(plan, conns.length === 0 ? 'no SecureConnect connections' : `${conns.length} SecureConnect connection${conns.length === 1 ? '' : 's'}`)];
  for (const s of skipped) out.push(`# ${s}`);
  out.push('connections {');
  for (const c of conns) connectionLines(out, c, usesCert ? ctx.certificate : undefined);
  if (conns.some((c) => c.remote.includes(':'))) ndBypass(out);
  out.push('}');

  const secrets: string[] = [];
  if (conns.length > 0 && usesPsk && ctx.psk) {
    secrets.push(...pskSecrets(conns, local, ctx.psk));
  }
  if (conns.length > 0 && usesCert && ctx.certificate?.pkcs12) {
    const p12 = ctx.certificate.pkcs12;
    secrets.push('pkcs12-palisade {', `\tfile = ${fileName(p12.file, 'certificate.pkcs12.file')}`);
    if (p12.password !== undefined) secrets.push(`\tsecret = ${quoted(p12.password, 'the PKCS#12 password', 'certificate.pkcs12.password')}`);
    secrets.push('}');
  }
  if (secrets.length === 0) return { 'swanctl.conf': `${out.join('\n')}\n` };
  // The secrets file holds sections of `secrets { }` (an include lands in the enclosing section).
  out.push('secrets {', `\tinclude ${SWANCTL_SECRETS_FILE}`, '}');
  return { 'swanctl.conf': `${out.join('\n')}\n`, secrets: `# Palisade SecureConnect secrets: root only (0600). Rendered by @palisade/render; do not edit.\n${secrets.join('\n')}\n` };
}

/**
 * One `ike-` secret per peer with our and its addresses as ids (a perfect match on both), and
 * during a rotation one `ike-…-previous` per peer naming only the peer's addresses: it ranks
 * below the current one, so we always authenticate with `current`, while an IKEv2 verifier
 * tries every matching key (README "PSK rotation").
 */
function pskSecrets(conns: readonly Connection[], local: Record<Family, string[]>, key: { readonly current: string; readonly previous?: string }): string[] {
  const current = psk(key.current, 'psk.current');
  const previous = key.previous === undefined ? undefined : psk(key.previous, 'psk.previous');
  const out: string[] = [];
  const seen = new Set<string>();
  const mine = [...local[4], ...local[6]];
  for (const c of conns) {
    const stem = c.name.replace(/-v[46](-\d+)?$/, '');
    if (seen.has(stem)) continue;
    seen.add(stem);
    const theirs = conns.filter((x) => x.peer === c.peer).map((x) => x.remote);
    const ids = [...mine, ...theirs];
    out.push(`ike-${stem.slice(5)} {`, ...ids.map((id, i) => `\tid-${i + 1} = ${id}`), `\tsecret = ${current}`, '}');
    if (previous !== undefined) out.push(`ike-${stem.slice(5)}-previous {`, ...theirs.map((id, i) => `\tid-${i + 1} = ${id}`), `\tsecret = ${previous}`, '}');
  }
  return out;
}

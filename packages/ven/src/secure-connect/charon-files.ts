/**
 * The VEN's own charon (LAB.md "strongSwan"): everything under `<data-dir>/ipsec/` — its
 * strongswan.conf (explicit plugin list: the default `lookip`/`error-notify` sockets under /run
 * would clash with any other charon on the host; `install_routes = no`: transport mode, routing
 * unchanged), its vici socket, its file log, and the swanctl directory the VEN renders into.
 */
import { join } from 'node:path';

export const CHARON_PLUGINS = 'random nonce openssl pem pkcs1 pkcs8 pkcs12 x509 revocation constraints pubkey kdf gcm aes sha1 sha2 hmac gmp curve25519 kernel-netlink socket-default vici updown';
/** swanctl parses credentials itself before sending them over vici; a short list keeps it fast. */
export const SWANCTL_PLUGINS = 'random nonce openssl pem pkcs1 pkcs7 pkcs8 pkcs12 x509 pubkey sha1 sha2 hmac aes';

export interface CharonPaths {
  readonly dir: string;
  readonly conf: string;
  readonly vici: string;
  readonly viciUri: string;
  readonly log: string;
  readonly pidFile: string;
  readonly swanctlDir: string;
  readonly swanctlConf: string;
  readonly secrets: string;
}

export function charonPaths(dataDir: string): CharonPaths {
  const dir = join(dataDir, 'ipsec');
  const vici = join(dir, 'charon.vici');
  const swanctlDir = join(dir, 'swanctl');
  return {
    dir,
    conf: join(dir, 'strongswan.conf'),
    vici,
    viciUri: `unix://${vici}`,
    log: join(dir, 'charon.log'),
    pidFile: join(dir, 'charon.pid'),
    swanctlDir,
    swanctlConf: join(swanctlDir, 'swanctl.conf'),
    secrets: join(swanctlDir, 'palisade-secrets.conf'),
  };
}

/** strongswan.conf, one key per line (LAB.md: `a { b = c  d = e }` on one line fails). */
export function strongswanConf(p: CharonPaths): string {
  return [
    '# Palisade VEN: its own charon. Written by the VEN; do not edit.',
    'charon-systemd {',
    `\tload = ${CHARON_PLUGINS}`,
    '\tinstall_routes = no',
    // Many peers from one host: the half-open limits throttle setup otherwise (LAB.md).
    '\tinit_limit_half_open = 0',
    '\tblock_threshold = 1000',
    '\tcookie_threshold = 1000',
    '\tcookie_threshold_ip = 1000',
    '\tfilelog {',
    '\t\tcharon {',
    `\t\t\tpath = ${p.log}`,
    '\t\t\tflush_line = yes',
    '\t\t\tdefault = 1',
    '\t\t}',
    '\t}',
    '\tjournal {',
    '\t\tdefault = -1',
    '\t}',
    '\tplugins {',
    '\t\tvici {',
    `\t\t\tsocket = ${p.viciUri}`,
    '\t\t}',
    '\t}',
    '}',
    'swanctl {',
    `\tload = ${SWANCTL_PLUGINS}`,
    `\tsocket = ${p.viciUri}`,
    '}',
    '',
  ].join('\n');
}

export function charonEnv(p: CharonPaths): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin', STRONGSWAN_CONF: p.conf, SWANCTL_DIR: p.swanctlDir };
}

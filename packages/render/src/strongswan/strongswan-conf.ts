/**
 * strongswan.conf for one charon of Palisade's own (LAB.md "strongSwan"): an explicit plugin
 * list (the default `lookip`/`error-notify` sockets under /run would clash with any other
 * charon on the host), `install_routes = no` (transport mode: routing unchanged), its own
 * vici socket and file log, half-open limits raised for bulk SA setup, and one key per line
 * (`a { b = c  d = e }` on one line fails to parse).
 */
export const CHARON_PLUGINS =
  'random nonce openssl pem pkcs1 pkcs8 pkcs12 x509 revocation constraints pubkey kdf gcm aes sha1 sha2 hmac gmp curve25519 kernel-netlink socket-default vici updown';
/** swanctl parses credentials itself before sending them over vici; a short list keeps it fast. */
export const SWANCTL_PLUGINS = 'random nonce openssl pem pkcs1 pkcs7 pkcs8 pkcs12 x509 pubkey sha1 sha2 hmac aes';

export interface StrongswanConfOptions {
  /** Path of charon's file log. */
  readonly log: string;
  /** The vici socket URI, `unix:///…/charon.vici`. */
  readonly vici: string;
  /** Extra log levels per subsystem (`{ike: 2, cfg: 2}`); the default level is 1. */
  readonly logLevels?: Readonly<Record<string, number>>;
}

export function renderStrongswanConf(o: StrongswanConfOptions): string {
  const levels = Object.entries(o.logLevels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `\t\t\t${k} = ${v}`);
  return [
    '# Palisade: its own charon. Rendered by Palisade; do not edit.',
    'charon-systemd {',
    `\tload = ${CHARON_PLUGINS}`,
    '\tinstall_routes = no',
    '\tinit_limit_half_open = 0',
    '\tblock_threshold = 1000',
    '\tcookie_threshold = 1000',
    '\tcookie_threshold_ip = 1000',
    '\tfilelog {',
    '\t\tcharon {',
    `\t\t\tpath = ${o.log}`,
    '\t\t\tflush_line = yes',
    '\t\t\tdefault = 1',
    ...levels,
    '\t\t}',
    '\t}',
    '\tjournal {',
    '\t\tdefault = -1',
    '\t}',
    '\tplugins {',
    '\t\tvici {',
    `\t\t\tsocket = ${o.vici}`,
    '\t\t}',
    '\t}',
    '}',
    'swanctl {',
    `\tload = ${SWANCTL_PLUGINS}`,
    `\tsocket = ${o.vici}`,
    '}',
    '',
  ].join('\n');
}

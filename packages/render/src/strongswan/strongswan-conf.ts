/**
 * strongswan.conf for one charon of Palisade's own (LAB.md "strongSwan"): an explicit plugin
 * list (the default `lookip`/`error-notify` sockets under /run would clash with any other
 * charon on the host), `install_routes = no` (transport mode: routing unchanged), its own
 * vici socket and file log, half-open limits raised for bulk SA setup, and one key per line
 * (`a { b = c  d = e }` on one line fails to parse).
 *
 * Recovery after a peer comes back (a restarted host, a charon that died) is bounded here and by
 * `keyingtries = 0` in swanctl.conf. With charon's defaults an attempt toward an absent peer
 * retransmits after 4, 7, 13, 23 and 42 s, gives up 165 s after it began, and charon sets the
 * kernel's larval (acquire) state to live just as long (`net.core.xfrm_acq_expires`): a peer back
 * after the last retransmission (90 s) was not tried again before the attempt expired, and
 * packets meanwhile raise no new acquire, so the pair stayed apart for up to ~2 min and longer
 * when the applications' own retries (TCP SYN backoff) missed the next window. Now:
 * - `retransmit_limit = 10`: an attempt in progress retransmits at least every 10 s, so a peer
 *   that answers again is reached within 10 s;
 * - `xfrm_acq_expires = 10`: a larval state lasts 10 s, so after an attempt that ended for good
 *   (the peer answered before its connections were loaded: NO_PROPOSAL_CHOSEN, or an
 *   authentication failure) the next packet raises a new acquire within 10 s. While an attempt
 *   is in progress charon ignores those acquires ("connection attempt pending").
 *
 * The file log names the IKE SA on each line (`ike_name`) and carries a timestamp.
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
    '\tretransmit_limit = 10',
    '\tfilelog {',
    '\t\tcharon {',
    `\t\t\tpath = ${o.log}`,
    '\t\t\tflush_line = yes',
    '\t\t\tike_name = yes',
    '\t\t\ttime_format = %Y-%m-%dT%H:%M:%S',
    '\t\t\ttime_add_ms = yes',
    '\t\t\tdefault = 1',
    ...levels,
    '\t\t}',
    '\t}',
    '\tjournal {',
    '\t\tdefault = -1',
    '\t}',
    '\tplugins {',
    '\t\tkernel-netlink {',
    '\t\t\txfrm_acq_expires = 10',
    '\t\t}',
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

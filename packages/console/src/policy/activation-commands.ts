/**
 * The commands an operator copies to pair a host with this PCE: install the VEN, then
 * `palisade ven activate` with the flags packages/cli/src/commands/ven-commands.ts takes.
 * An https PCE is pinned by its certificate's SHA-256 fingerprint (printed by `palisade pce
 * start`); the browser cannot read it, so the operator supplies it or computes it on the host
 * with the openssl line given here.
 */

export interface ActivationInput {
  /** The PCE URL agents reach (defaults to the console's own origin). */
  readonly pceUrl: string;
  readonly activationCode: string;
  /** `AB:CD:…`; empty when not known yet. */
  readonly fingerprint: string;
}

export interface ActivationCommands {
  readonly install: string;
  readonly fingerprint?: string;
  readonly activate: string;
  readonly run: string;
}

/** POSIX shell single quotes: safe for any URL or code a user may paste. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9@%+=:,./_-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function hostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname.replace(/^\[|\]$/g, '')}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/** Debian host: what the VEN runs (nftables, tcpdump for flows, charon for SecureConnect), then the repo in /opt/palisade as the systemd unit expects. */
const INSTALL = [
  '# Node.js 20 or later, nftables, tcpdump (flows), charon (SecureConnect)',
  'sudo apt-get install -y nodejs npm git nftables tcpdump strongswan-swanctl charon-systemd',
  'sudo git clone https://github.com/palisade/palisade /opt/palisade',
  'cd /opt/palisade && sudo npm ci && sudo npm run build:ven',
  'sudo ln -sf /opt/palisade/bin/palisade.mjs /usr/local/bin/palisade',
  'sudo cp packaging/systemd/palisade-ven.service /etc/systemd/system/',
].join('\n');

export function activationCommands(input: ActivationInput): ActivationCommands {
  const https = input.pceUrl.startsWith('https:');
  const fp = input.fingerprint.trim();
  const activate = [
    'sudo palisade ven activate',
    `--pce ${shellQuote(input.pceUrl)}`,
    `--activation-code ${shellQuote(input.activationCode)}`,
    ...(https ? [`--fingerprint ${fp ? shellQuote(fp) : '"$FP"'}`] : []),
  ].join(' ');
  return {
    install: INSTALL,
    ...(https && !fp
      ? { fingerprint: `FP=$(openssl s_client -connect ${hostPort(input.pceUrl)} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 | cut -d= -f2)   # check it against "palisade pce start"` }
      : {}),
    activate,
    run: 'sudo systemctl enable --now palisade-ven',
  };
}

/**
 * What the guest test files share: whether they can run (else they fail with the reason, or
 * skip with PALISADE_SKIP_GUEST=1), the `RESULT name=value` lines a guest script prints, and
 * the shell helpers the scripts use on the wire.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { PolicySnapshot } from '@palisade/core/compute/index.ts';
import { guestAvailable, type GuestResult } from '../../support/qemu-guest.ts';

function strongswanMissing(): string | undefined {
  const plugins = ['openssl', 'gcm', 'kernel-netlink', 'vici', 'curve25519'].map((p) => `/usr/lib/ipsec/plugins/libstrongswan-${p}.so`);
  const missing = ['/usr/sbin/charon-systemd', '/usr/sbin/swanctl', ...plugins].filter((p) => !existsSync(p));
  return missing.length > 0 ? `strongSwan missing (${missing.join(', ')}): run scripts/install-test-deps.sh` : undefined;
}

/** QEMU guest and strongSwan present? */
export function guestTestAvailability(): { ok: boolean; why?: string } {
  const g = guestAvailable();
  if (!g.ok) return g;
  const ss = strongswanMissing();
  return ss === undefined ? { ok: true } : { ok: false, why: ss };
}

/** The `skip` option of a guest test: false unless PALISADE_SKIP_GUEST=1 (never skipped silently). */
export function guestSkip(name: string, avail: { ok: boolean; why?: string }): string | false {
  if (process.env['PALISADE_SKIP_GUEST'] !== '1') return false;
  const why = `PALISADE_SKIP_GUEST=1${avail.ok ? '' : ` (${avail.why ?? ''})`}`;
  process.stderr.write(`${name}: skipped: ${why}\n`);
  return why;
}

export function parseResults(output: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of output.split('\n')) {
    const m = /^RESULT ([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined) out.set(m[1], m[2] ?? '');
  }
  return out;
}

/** Typed access to the RESULT lines; every read first fails with the reason when there was no guest run. */
export class GuestResults {
  result: GuestResult | undefined;
  private r = new Map<string, string>();

  constructor(private readonly avail: { ok: boolean; why?: string }) {}

  set(result: GuestResult): void {
    this.result = result;
    this.r = parseResults(result.output);
    process.stderr.write(`guest: ${result.ms} ms from QEMU start to exit, rc ${result.rc}\n${[...this.r].map(([k, v]) => `  ${k}=${v}`).join('\n')}\n`);
  }

  get(k: string): string | undefined {
    assert.ok(this.avail.ok, this.avail.why);
    assert.ok(this.result, 'the guest did not run');
    return this.r.get(k);
  }

  num(k: string): number {
    const v = this.get(k);
    assert.ok(v !== undefined && /^-?\d+$/.test(v), `RESULT ${k} missing or not a number: ${String(v)}`);
    return Number(v);
  }

  str(k: string): string {
    const v = this.get(k);
    assert.ok(v !== undefined, `RESULT ${k} missing`);
    return v;
  }

  /** The guest ran and its script exited 0. */
  ran(): void {
    assert.ok(this.avail.ok, this.avail.why);
    assert.ok(this.result, 'the guest did not run');
    assert.equal(this.result.rc, 0, `guest script exit code\n${this.result.output.slice(-4000)}`);
  }
}

/**
 * A netdev ingress table on `dev`: what arrives on the wire, before XFRM decapsulation.
 * Counters: ESP, IKE (UDP 500/4500), plaintext TCP, and "clear" = every IPv4 packet that is
 * neither ESP nor IKE; only packets from `from` (the hosts, not a gateway) are counted.
 */
export function wireNft(dev: string, from = '0.0.0.0/0'): string {
  return `table netdev wire
delete table netdev wire
table netdev wire {
\tcounter esp_pkts {
\t}
\tcounter tcp_pkts {
\t}
\tcounter ike_pkts {
\t}
\tcounter clear_pkts {
\t}
\tchain ingress {
\t\ttype filter hook ingress device "${dev}" priority -500; policy accept;
\t\tmeta protocol != ip accept
\t\tip saddr != ${from} accept
\t\tip protocol esp counter name "esp_pkts" accept
\t\tudp dport { 500, 4500 } counter name "ike_pkts" accept
\t\tip protocol tcp counter name "tcp_pkts"
\t\tcounter name "clear_pkts"
\t}
}
`;
}

/** Shell (dash) helpers of the guest scripts; `$RUN` is the run dir. */
export const GUEST_SHELL = String.raw`
now() { cut -d' ' -f1 /proc/uptime; }
# every result also goes to $RUN/timeline with the guest's uptime (PALISADE_KEEP_GUEST=1 keeps it)
res() { echo "RESULT $1=$2"; echo "$(now) $1" >> $RUN/timeline; }
# wire <ns> <esp|ike|tcp|clear>: packets of a counter of the wire table
wire() { ip netns exec $1 nft list counter netdev wire $2_pkts | awk '$1 == "packets" { print $2 }'; }
# snap <ns> <prefix>: all four wire counters in one nft call, into $<prefix>_esp, _ike, _tcp, _clear
snap() { eval "$(ip netns exec $1 nft list counters table netdev wire | awk -v p=$2 '$1 == "counter" { n = $2; sub(/_pkts/, "", n) } $1 == "packets" { print p "_" n "=" $2 }')"; }
# drops <ns> <input|output>: packets of the VEN table's "IPv4 SecureConnect peer, not IPsec: drop" rule
drops() { ip netns exec $1 nft list chain inet palisade $2 2>/dev/null | grep 'sc_peers_v4' | sed -n 's/.*missing counter packets \([0-9]*\) bytes [0-9]* drop.*/\1/p' | head -n1; }
# xfrm <ns>: sum of the packet counters of the namespace's XFRM states
xfrm() { ip netns exec $1 ip -s xfrm state | awk '/\(packets\)/ { n = $2; sub(/\(packets\)/, "", n); t += n } END { print t + 0 }'; }
nstates() { ip netns exec $1 ip xfrm state | grep -c '^src'; }
npolicies() { ip netns exec $1 ip xfrm policy | grep -c '^src'; }
# probe <ns> <ip> <port> [timeout]: one TCP connection, prints what the server said (empty on failure)
probe() { ip netns exec $1 timeout "${'$'}{4:-6}" bash -c 'exec 3<>/dev/tcp/$0/$1 && head -n1 <&3' $2 $3 2>/dev/null; }
# serve <ns> <port>...: busybox nc answering "pong-<ns>-<port>"
serve() {
  _ns=$1; shift
  for _p in "$@"; do
    printf '#!/bin/sh\necho pong-%s-%s\n' $_ns $_p > /run/reply-$_ns-$_p
    chmod +x /run/reply-$_ns-$_p
    ip netns exec $_ns busybox nc -ll -p $_p -e /run/reply-$_ns-$_p &
  done
}
# wait_until <seconds> <command…>: polls the command every 0.5 s; status 1 when it never succeeded
wait_until() { _n=$(($1 * 2)); shift; _i=0; until "$@"; do _i=$((_i + 1)); [ $_i -ge $_n ] && return 1; sleep 0.5; done; }
`;

/**
 * A policy of one SecureConnect rule (PSK): label `providers` ← label `consumers` on `ports`
 * (tcp), org 1, label ids as given; for `computePlans`.
 */
export function secureConnectSnapshot(providers: string, consumers: string, ports: readonly number[]): PolicySnapshot {
  const ref = (id: string): { label: { href: string } } => ({ label: { href: `/orgs/1/labels/${id}` } });
  return {
    org: 1,
    version: 1,
    labelGroups: [],
    ipLists: [],
    services: [],
    virtualServices: [],
    firewallSettings: { ike_authentication_type: 'psk', ike_ca_identity: null },
    ruleSets: [
      {
        id: '1',
        name: 'secure-connect',
        description: '',
        enabled: true,
        scopes: [[]],
        rules: [{ id: '1', enabled: true, description: '', providers: [ref(providers)], consumers: [ref(consumers)], ingress_services: ports.map((port) => ({ proto: 6, port })), sec_connect: true, unscoped_consumers: false }],
        deny_rules: [],
      },
    ],
  };
}

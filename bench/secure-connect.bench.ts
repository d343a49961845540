/**
 * Issue 5 figures: SecureConnect at scale on one host, on a real kernel IPsec stack (the QEMU
 * guest of test/support/qemu-guest.ts: Debian's kernel under TCG, since this machine's kernel
 * has no ESP).
 *
 * What runs, and what it measures:
 * - The host under test, namespace `h` (10.1.0.1), runs its own charon with the product's
 *   strongswan.conf (`renderStrongswanConf`) and the product's swanctl.conf: the plan the
 *   policy engine computes for a hub with N SecureConnect peers (one rule hub ↔ spoke,
 *   `computePlans`), rendered by `renderSwanctl` (one connection per peer, trap policies),
 *   loaded the way the VEN loads it (`swanctl --load-all`, no `--clear`: that would drop every credential for a moment).
 * - The N peers are N addresses (10.1.1.1 …) on one interface of namespace `r`, answered by
 *   ONE remote charon with one wildcard responder connection (`local_addrs = 10.1.0.0/16`):
 *   scaffolding that stands for N hosts. So the figures are those of the host under test
 *   (N connections, N IKE SAs, 2N ESP SAs in its kernel) with a single, shared responder on
 *   the other side (which does the same crypto as N responders would, on the same 2 vCPUs).
 * - "Up" = from the first packet to each peer (one UDP datagram per peer, sent together: the
 *   trap policies bring the SAs up on demand, as in production) until the host's kernel holds
 *   2N ESP SAs (`ip xfrm state`), timed in the guest.
 * - Peer change with N = 500 up: the plan with one peer gone and another added, rendered and
 *   loaded; the time of that load, then the unique ids of the 499 untouched peers' IKE SAs
 *   before and after (all must be unchanged), then the new peer brought up.
 * - Configuration size: bytes of swanctl.conf and of the secrets file for 100 and 500 peers.
 * Under TCG every instruction is emulated (IKE's ECDH, ESP's AES-GCM): times are upper bounds
 * for orchestration and key exchange on an emulated CPU, comparable between 100 and 500, not
 * a native figure. No throughput is measured (TCG throughput means nothing).
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { computePlans } from '@palisade/core/compute/index.ts';
import type { ComputeWorkload, WorkloadPlan } from '@palisade/core/compute/index.ts';
import { renderStrongswanConf, renderSwanctl, SWANCTL_SECRETS_FILE } from '@palisade/render';
import { guestAvailable, runInGuest } from '../test/support/qemu-guest.ts';
import { parseResults, secureConnectSnapshot } from '../test/guest/support/guest-test.ts';

const ORG = 1;
const HUB = '10.1.0.1';
const PSK = randomBytes(32).toString('hex');
const SIZES = [100, 500] as const;
const MAX = 500;

const spokeAddress = (i: number): string => `10.1.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;

function workload(name: string, address: string, label: string): ComputeWorkload {
  const id = `wl-${name}`;
  return { id, name, href: `/orgs/${ORG}/workloads/${id}`, labels: [label], addresses: [address], os_type: 'linux', os_version: 'debian 12', enforcement_mode: 'full', visibility_level: 'flow_off', managed: true };
}

/** The hub's plan with the spokes `indexes` as SecureConnect peers (the real policy engine). */
function hubPlan(indexes: readonly number[]): WorkloadPlan {
  const snapshot = secureConnectSnapshot('1', '2', [5432]);
  const workloads = [workload('hub', HUB, '1'), ...indexes.map((i) => workload(`spoke-${i}`, spokeAddress(i), '2'))];
  const plan = computePlans({ snapshot, workloads, labels: [{ id: '1', key: 'role' }, { id: '2', key: 'role' }] }).plans.get('wl-hub');
  if (!plan) throw new Error('no plan for the hub');
  if (plan.secure_connect.peers.length !== indexes.length) throw new Error(`the hub has ${plan.secure_connect.peers.length} SecureConnect peers, expected ${indexes.length}`);
  return plan;
}

/** The stand-in for N peers: one responder connection for every address of `r`. */
const REMOTE_SWANCTL = `connections {
\tspokes {
\t\tversion = 2
\t\tlocal_addrs = 10.1.0.0/16
\t\tremote_addrs = ${HUB}
\t\tproposals = aes256gcm16-prfsha384-ecp384, aes128gcm16-prfsha256-x25519, aes256-sha256-modp2048
\t\tmobike = no
\t\tlocal {
\t\t\tauth = psk
\t\t}
\t\tremote {
\t\t\tauth = psk
\t\t\tid = ${HUB}
\t\t}
\t\tchildren {
\t\t\tspokes {
\t\t\t\tmode = transport
\t\t\t\tesp_proposals = aes256gcm16, aes128gcm16
\t\t\t}
\t\t}
\t}
}
secrets {
\tike-spokes {
\t\tsecret = "${PSK}"
\t}
}
`;

const range = (n: number, from = 0): number[] => Array.from({ length: n }, (_, i) => from + i);
const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

const SCRIPT = String.raw`
set -u
W=/run/scb
mkdir -p $W/h/swanctl $W/r/swanctl
now() { cut -d' ' -f1 /proc/uptime; }
res() { echo "RESULT $1=$2"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
modprobe -a esp4 xfrm_user gcm seqiv echainiv veth ctr ghash_generic drbg jitterentropy_rng
ip netns add warm
ip -n warm xfrm state add src 10.255.0.1 dst 10.255.0.2 proto esp spi 0x100 mode transport aead 'rfc4106(gcm(aes))' 0x$(printf '%072d' 0) 128
ip netns add h
ip netns add r
ip link add vh netns h type veth peer name vr netns r
ip -n h link set lo up
ip -n r link set lo up
ip -n h addr add 10.1.0.1/16 dev vh
ip -n r -batch $RUN/r-addrs
ip -n h link set vh up
ip -n r link set vr up
for ns in h r; do cp $RUN/$ns-strongswan.conf $W/$ns/strongswan.conf; done
cp $RUN/r-swanctl.conf $W/r/swanctl/swanctl.conf
sw() { ns=$1; shift; ip netns exec $ns env STRONGSWAN_CONF=$W/$ns/strongswan.conf SWANCTL_DIR=$W/$ns/swanctl swanctl "$@"; }
start() {
  rm -f $W/$1/charon.vici
  ip netns exec $1 env STRONGSWAN_CONF=$W/$1/strongswan.conf charon-systemd > $W/$1/charon.out 2>&1 &
  echo $! > $W/$1/charon.pid
  i=0; while [ ! -S $W/$1/charon.vici ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}
stop() { kill -TERM $(cat $W/$1/charon.pid); i=0; while kill -0 $(cat $W/$1/charon.pid) 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; }
# hub <conf-name>: the rendered config into h's swanctl dir, loaded like the VEN loads it
hub() { cp $RUN/h-$1.conf $W/h/swanctl/swanctl.conf && cp $RUN/h-$1.secrets $W/h/swanctl/${SWANCTL_SECRETS_FILE} && sw h --load-all --noprompt > $W/h/load-$1.out 2>&1; }
esp() { ip -n h xfrm state count | awk '{ print $NF }'; }
# up <peers-file> <expected ESP SAs>: one datagram to each peer, again every 10 s to those still
# without an SA (like an application retrying: a larval acquire state expires after 30 s), until
# the SAs are there or 900 s passed; prints the seconds, and "+N missing" when it gave up
up() {
  t=$(now)
  while :; do
    ip netns exec h bash -c 'while read -r a; do echo x 2>/dev/null > /dev/udp/$a/9; done < $0' $1
    i=0; while [ "$(esp)" -lt $2 ] && [ $i -lt 20 ]; do sleep 0.5; i=$((i + 1)); done
    [ "$(esp)" -ge $2 ] && { since $t; return; }
    [ "$(awk -v a="$t" -v b="$(now)" 'BEGIN { print (b - a > 900) }')" = 1 ] && { echo "$(since $t)+$(( $2 - $(esp) ))missing"; return; }
  done
}
# up_one <address>: one datagram to a new peer, then wait for its two ESP SAs
up_one() {
  t=$(now)
  ip netns exec h bash -c 'echo x 2>/dev/null > /dev/udp/$0/9' $1
  i=0; while [ "$(ip -n h xfrm state | grep -c "^src.* $1$\|^src $1 ")" -lt 2 ] && [ $i -lt 600 ]; do sleep 0.5; i=$((i + 1)); done
  since $t
}
ike_ids() { sw h --list-sas --raw 2>/dev/null | sed -n 's/.*{\(conn-[^ ]*\) {uniqueid=\([0-9]*\) version=[0-9] state=ESTABLISHED.*/\1 \2/p' | sort; }

for n in ${SIZES.join(' ')}; do
  start r; sw r --load-all --noprompt > $W/r/load.out 2>&1
  start h
  t=$(now); hub p$n; res load_$n "$?"; res load_s_$n "$(since $t)"
  res up_s_$n "$(up $RUN/peers-$n $((2 * n)))"
  res esp_sas_$n "$(esp)"
  res ike_sas_$n "$(ike_ids | wc -l)"
  if [ $n = ${MAX} ]; then
    ike_ids > $W/before
    t=$(now); hub change; res change_load "$?"; res change_load_s "$(since $t)"
    ike_ids > $W/after
    res change_untouched_same_id "$(comm -12 $W/before $W/after | grep -vc '^conn-wl-spoke-${MAX - 1}-v4 ')"
    res change_removed_sa_left "$(grep -c '^conn-wl-spoke-${MAX - 1}-v4 ' $W/after)"
    res change_esp_sas_after_load "$(esp)"
    res change_new_up_s "$(up_one ${'$'}(cat $RUN/peers-new))"
    res change_ike_sas "$(ike_ids | wc -l)"
  fi
  stop h; stop r
  ip -n h xfrm state flush; ip -n h xfrm policy flush; ip -n r xfrm state flush; ip -n r xfrm policy flush
done
res end_s "$(now)"
`;

async function main(): Promise<void> {
  const avail = guestAvailable();
  if (!avail.ok) {
    console.log(`secure-connect: skipped, ${avail.why ?? 'no guest'}`);
    return;
  }
  const files: Record<string, string> = {
    'r-addrs': range(MAX + 1).map((i) => `addr add ${spokeAddress(i)}/16 dev vr`).join('\n') + '\n',
    'r-swanctl.conf': REMOTE_SWANCTL,
    'h-strongswan.conf': renderStrongswanConf({ log: '/run/scb/h/charon.log', vici: 'unix:///run/scb/h/charon.vici' }),
    'r-strongswan.conf': renderStrongswanConf({ log: '/run/scb/r/charon.log', vici: 'unix:///run/scb/r/charon.vici' }),
    'peers-new': `${spokeAddress(MAX)}\n`,
  };
  console.log('configuration size (renderSwanctl, PSK, one IPv4 address per peer):');
  for (const n of SIZES) {
    const t0 = performance.now();
    const r = renderSwanctl(hubPlan(range(n)), { psk: { current: PSK } });
    const ms = performance.now() - t0;
    files[`h-p${n}.conf`] = r['swanctl.conf'];
    files[`h-p${n}.secrets`] = r.secrets ?? '';
    files[`peers-${n}`] = range(n).map(spokeAddress).join('\n') + '\n';
    console.log(`  ${n} peers: swanctl.conf ${r['swanctl.conf'].length.toLocaleString('en')} bytes (${Math.round(r['swanctl.conf'].length / n)} per peer), secrets ${(r.secrets ?? '').length.toLocaleString('en')} bytes; plan + render ${ms.toFixed(0)} ms`);
  }
  // 500 peers with the last one replaced by a new address: one connection removed, one added.
  const change = renderSwanctl(hubPlan([...range(MAX - 1), MAX]), { psk: { current: PSK } });
  files['h-change.conf'] = change['swanctl.conf'];
  files['h-change.secrets'] = change.secrets ?? '';

  const loadBefore = load();
  const g = await runInGuest(SCRIPT, { timeoutSec: 2400, files });
  const r = parseResults(g.output);
  const v = (k: string): string => r.get(k) ?? '?';
  if (g.rc !== 0) console.log(`guest script exit ${g.rc}:\n${g.output.slice(-2000)}`);
  console.log(`in the QEMU guest (TCG, 2 vCPUs; host load average before ${loadBefore}, after ${load()}); guest run ${(g.ms / 1000).toFixed(0)} s:`);
  for (const n of SIZES) {
    console.log(`  ${n} peers: swanctl --load-all ${v(`load_s_${n}`)} s; first packet → ${2 * n} ESP SAs ${v(`up_s_${n}`)} s (ESP SAs ${v(`esp_sas_${n}`)}, IKE SAs ${v(`ike_sas_${n}`)})`);
  }
  console.log(`  peer change with ${MAX} up (one peer removed, one added): load ${v('change_load_s')} s; untouched IKE SAs with the same unique id after it: ${v('change_untouched_same_id')} of ${MAX - 1}; ESP SAs right after the load ${v('change_esp_sas_after_load')} (the removed peer's IKE SA left: ${v('change_removed_sa_left')}); new peer up in ${v('change_new_up_s')} s; IKE SAs then ${v('change_ike_sas')}`);
}

await main();

/**
 * SecureConnect on a real kernel: two hosts in network namespaces inside a QEMU guest running
 * Debian's kernel (this machine's kernel has no ESP; see test/support/qemu-guest.ts), one
 * charon per namespace. The configs are the product's own: plans computed by the policy engine
 * (`computePlans`: two hosts, one SecureConnect rule, tcp 8080 and 9090, full enforcement),
 * rendered by `renderSwanctl` (transport mode, `start_action = trap`, PSK) and `renderNftables`
 * (SecureConnect peer section: IKE and ESP pass, anything else with the peer only as IPsec).
 * One boot runs every scenario (boots are slow); the guest script prints `RESULT name=value`
 * lines that the assertions read.
 *
 * What is proved:
 * - TCP on two ports, both directions, works and is ESP on the wire: ingress counters on each
 *   veth (a netdev hook, before XFRM decapsulation: what a capture on the wire would see)
 *   count ESP and not one IPv4 packet that is neither ESP nor IKE, and the XFRM states' packet
 *   counters grow;
 * - with one side's charon stopped (SAs and policies gone on both sides), new connections fail
 *   and not one clear packet (TCP, ICMP, …) reaches the wire; the drop rule's counter grows.
 *   Control: with that side's table removed too, the same attempt puts plaintext TCP on the wire;
 * - IKEv1 (Main + Quick Mode, transport) between the two works too.
 *
 * Without a guest (QEMU or the kernel missing) this FAILS with the reason; set
 * PALISADE_SKIP_GUEST=1 to skip it instead.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { computePlans } from '@palisade/core/compute/index.ts';
import type { ComputeWorkload, WorkloadPlan } from '@palisade/core/compute/index.ts';
import { renderNftables, renderStrongswanConf, renderSwanctl, SWANCTL_SECRETS_FILE } from '@palisade/render';
import type { NftRenderContext } from '@palisade/render';
import { runInGuest } from '../support/qemu-guest.ts';
import { GUEST_SHELL, GuestResults, guestSkip, guestTestAvailability, secureConnectSnapshot, wireNft } from './support/guest-test.ts';

const A = '198.51.100.1';
const B = '198.51.100.2';
const PSK = randomBytes(32).toString('hex');

const avail = guestTestAvailability();
const skip = guestSkip('test/guest/ipsec-kernel', avail);

/** strongswan.conf of one namespace's charon: the product's, with IKE and kernel logs verbose. */
function strongswanConf(dir: string): string {
  return renderStrongswanConf({ log: `${dir}/charon.log`, vici: `unix://${dir}/charon.vici`, logLevels: { ike: 2, knl: 2 } });
}

const ORG = 1;

function workload(name: string, address: string, os: ComputeWorkload['os_type'], osVersion: string): ComputeWorkload {
  const id = `wl-${name}`;
  return { id, name, href: `/orgs/${ORG}/workloads/${id}`, labels: ['1'], addresses: [address], os_type: os, os_version: osVersion, enforcement_mode: 'full', visibility_level: 'flow_summary', managed: true };
}

/**
 * Plans the real policy engine computes for two `role=db` hosts with one SecureConnect rule
 * between them (tcp 8080 and 9090), full enforcement. With `bIsWindows2008` the pair speaks
 * IKEv1 (DESIGN §4 item 7): that is how the IKEv1 configs are made (both sides still run charon).
 */
function plans(bIsWindows2008: boolean): { a: WorkloadPlan; b: WorkloadPlan } {
  const snapshot = secureConnectSnapshot('1', '1', [8080, 9090]);
  const workloads = [workload('a', A, 'linux', 'debian 12'), bIsWindows2008 ? workload('b', B, 'windows', '2008 R2') : workload('b', B, 'linux', 'debian 12')];
  const result = computePlans({ snapshot, workloads, labels: [{ id: '1', key: 'role' }] });
  const a = result.plans.get('wl-a');
  const b = result.plans.get('wl-b');
  if (!a || !b) throw new Error('the engine made no plan for a or b');
  return { a, b };
}

/** The one connection of a rendered swanctl.conf (its child has the same name). */
function connectionName(conf: string): string {
  const m = /^connections \{\n(?:\s*#.*\n)*\s*([A-Za-z0-9._-]+) \{/m.exec(conf);
  if (!m?.[1]) throw new Error(`no connection in rendered swanctl.conf:\n${conf}`);
  return m[1];
}

const NFT_CTX: NftRenderContext = { pce: { addresses: ['198.51.100.254'], port: 8443 } };
const v2 = plans(false);
const v1 = plans(true);
const rendered = {
  a: { v2: renderSwanctl(v2.a, { psk: { current: PSK } }), v1: renderSwanctl(v1.a, { psk: { current: PSK } }) },
  b: { v2: renderSwanctl(v2.b, { psk: { current: PSK } }), v1: renderSwanctl(v1.b, { psk: { current: PSK } }) },
};
const CONN = { a: { v2: connectionName(rendered.a.v2['swanctl.conf']), v1: connectionName(rendered.a.v1['swanctl.conf']) }, b: { v2: connectionName(rendered.b.v2['swanctl.conf']), v1: connectionName(rendered.b.v1['swanctl.conf']) } };

const files: Record<string, string> = {
  'a-strongswan.conf': strongswanConf('/run/pal/a'),
  'b-strongswan.conf': strongswanConf('/run/pal/b'),
  'a-palisade.nft': renderNftables(v2.a, NFT_CTX),
  'b-palisade.nft': renderNftables(v2.b, NFT_CTX),
  'a-wire.nft': wireNft('va'),
  'b-wire.nft': wireNft('vb'),
};
for (const ns of ['a', 'b'] as const) {
  for (const v of ['v1', 'v2'] as const) {
    files[`${ns}-swanctl-${v}.conf`] = rendered[ns][v]['swanctl.conf'];
    files[`${ns}-secrets-${v}.conf`] = rendered[ns][v].secrets ?? '';
  }
}

/** The guest script (dash). Every fact the test checks is a `RESULT name=value` line. */
const SCRIPT = String.raw`${GUEST_SHELL}
set -u
W=/run/pal
A=${A}
B=${B}
mkdir -p $W/a/swanctl $W/b/swanctl
res boot_s "$(now)"

modprobe -a esp4 xfrm_user gcm seqiv echainiv nft_xfrm xt_policy; res modprobe "$?"
# The first AES-GCM SA makes the kernel build rfc4106(gcm(aes)) (module requests, self-tests):
# ~9 s under TCG. Done here in the background, in a scratch namespace, while the rest sets up.
# Everything else the rendered tables and the SAs make the kernel load, in one modprobe: each
# on-demand load spawns its own modprobe, seconds apiece under TCG.
modprobe -a veth nf_conntrack nft_ct nft_log nfnetlink_log nft_limit nft_objref ctr ghash_clmulni_intel ghash_generic drbg jitterentropy_rng
res preload "$?"
res t_modprobe "$(now)"
ip netns add warm
ip -n warm xfrm state add src 10.255.0.1 dst 10.255.0.2 proto esp spi 0x100 mode transport aead 'rfc4106(gcm(aes))' 0x$(printf '%072d' 0) 128 &
warm_pid=$!

ip netns add a
ip netns add b
ip link add va netns a type veth peer name vb netns b
ip -n a link set lo up
ip -n b link set lo up
ip -n a addr add $A/24 dev va
ip -n b addr add $B/24 dev vb
ip -n a link set va up
ip -n b link set vb up
for ns in a b; do
  ip netns exec $ns nft -f $RUN/$ns-wire.nft || res wire_load_$ns failed
  cp $RUN/$ns-strongswan.conf $W/$ns/strongswan.conf
  # a tiny TCP server on two ports in each namespace: it answers "pong-<ns>-<port>"
  for port in 8080 9090; do
    printf '#!/bin/sh\necho pong-%s-%s\n' $ns $port > $W/$ns/reply-$port
    chmod +x $W/$ns/reply-$port
    ip netns exec $ns busybox nc -ll -p $port -e $W/$ns/reply-$port &
  done
done

res t_servers "$(now)"
sw() { ns=$1; shift; ip netns exec $ns env STRONGSWAN_CONF=$W/$ns/strongswan.conf SWANCTL_DIR=$W/$ns/swanctl swanctl "$@"; }
start_charon() {
  rm -f $W/$1/charon.vici
  ip netns exec $1 env STRONGSWAN_CONF=$W/$1/strongswan.conf charon-systemd > $W/$1/charon.out 2>&1 &
  echo $! > $W/$1/charon.pid
  i=0
  while [ ! -S $W/$1/charon.vici ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
  [ -S $W/$1/charon.vici ] || res charon_start_$1 failed
}
stop_charon() {
  pid=$(cat $W/$1/charon.pid)
  kill -TERM $pid
  i=0
  while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  kill -0 $pid 2>/dev/null && res charon_stop_$1 failed
}
load() {
  cp $RUN/$1-swanctl-$2.conf $W/$1/swanctl/swanctl.conf && cp $RUN/$1-secrets-$2.conf $W/$1/swanctl/${SWANCTL_SECRETS_FILE} &&
    sw $1 --load-all --noprompt > $W/$1/load-$2.out 2>&1
  res load_$1_$2 "$?"
}
sleep 1

# --- control: before any IPsec, plaintext TCP is visible on the wire (the counters work)
t0=$(wire b tcp)
r=$(probe a $B 8080); res control_reply "$r"
res control_wire_tcp "$(( $(wire b tcp) - t0 ))"

res t_control "$(now)"
# --- IKEv2, transport mode, PSK
for ns in a b; do ip netns exec $ns nft -f $RUN/$ns-palisade.nft; res nft_load_$ns "$?"; done
res t_nft "$(now)"
wait $warm_pid; res crypto_warm "$?"
res charons_start_uptime "$(now)"
start_charon a
start_charon b
res charons_started_uptime "$(now)"
load a v2
load b v2
t=$(now)
sw a --initiate --child ${CONN.a.v2} --timeout 30 > $W/a/initiate-v2.out 2>&1; res initiate_v2 "$?"
res initiate_v2_s "$(awk -v a="$t" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')"
res v2_ike_version "$(sw a --list-sas 2>/dev/null | grep -o 'IKEv[12]' | head -n1)"
res v2_states_a "$(nstates a)"
res v2_mode_transport_a "$(ip netns exec a ip xfrm state | grep -c 'mode transport')"
res v2_policies_a "$(npolicies a)"

ea=$(wire a esp); eb=$(wire b esp); ta=$(wire a tcp); tb=$(wire b tcp); ca=$(wire a clear); cb=$(wire b clear); xa=$(xfrm a); xb=$(xfrm b)
res v2_a_to_b_8080 "$(probe a $B 8080)"
res v2_a_to_b_9090 "$(probe a $B 9090)"
res v2_b_to_a_8080 "$(probe b $A 8080)"
res v2_b_to_a_9090 "$(probe b $A 9090)"
res v2_wire_esp_in_a "$(( $(wire a esp) - ea ))"
res v2_wire_esp_in_b "$(( $(wire b esp) - eb ))"
res v2_wire_tcp_in_a "$(( $(wire a tcp) - ta ))"
res v2_wire_tcp_in_b "$(( $(wire b tcp) - tb ))"
res v2_wire_clear_in_a "$(( $(wire a clear) - ca ))"
res v2_wire_clear_in_b "$(( $(wire b clear) - cb ))"
res v2_xfrm_packets_a "$(( $(xfrm a) - xa ))"
res v2_xfrm_packets_b "$(( $(xfrm b) - xb ))"
res v2_drops_out_a "$(drops a output)"
res v2_drops_out_b "$(drops b output)"

res t_v2 "$(now)"
# --- b's charon stops cleanly: it deletes SAs and policies on both sides
sw b --terminate --ike ${CONN.b.v2} --timeout 10 > $W/b/terminate.out 2>&1; res terminate_b "$?"
stop_charon b
sleep 1
res stopped_states_a "$(nstates a)"
res stopped_states_b "$(nstates b)"
res stopped_policies_b "$(npolicies b)"
ta=$(wire a tcp); tb=$(wire b tcp); ca=$(wire a clear); cb=$(wire b clear); da=$(drops a output); db=$(drops b output); dia=$(drops a input)
# b has no IPsec policy at all now: only its table stands between it and plaintext
res stopped_b_to_a_8080 "$(probe b $A 8080 3)"
res stopped_b_to_a_9090 "$(probe b $A 9090 3)"
# a still has its trap policy: its SYN waits for an SA that cannot come up
res stopped_a_to_b_8080 "$(probe a $B 8080 3)"
res stopped_wire_tcp_in_a "$(( $(wire a tcp) - ta ))"
res stopped_wire_tcp_in_b "$(( $(wire b tcp) - tb ))"
res stopped_wire_clear_in_a "$(( $(wire a clear) - ca ))"
res stopped_wire_clear_in_b "$(( $(wire b clear) - cb ))"
res stopped_drops_out_b "$(( $(drops b output) - db ))"
res stopped_drops_out_a "$(( $(drops a output) - da ))"

res t_stopped "$(now)"
# --- control: without b's table the same attempt leaves b in clear (and a's input drops it)
ip netns exec b nft delete table inet palisade
ta=$(wire a tcp)
res unprotected_b_to_a_8080 "$(probe b $A 8080 3)"
res unprotected_wire_tcp_in_a "$(( $(wire a tcp) - ta ))"
res unprotected_drops_in_a "$(( $(drops a input) - dia ))"
ip netns exec b nft -f $RUN/b-palisade.nft

res t_unprotected "$(now)"
# --- IKEv1 (Main Mode + Quick Mode), transport
start_charon b
load a v1
load b v1
sw a --initiate --child ${CONN.a.v1} --timeout 30 > $W/a/initiate-v1.out 2>&1; res initiate_v1 "$?"
res v1_ike_version "$(sw a --list-sas 2>/dev/null | grep -o 'IKEv[12]' | head -n1)"
res v1_mode_transport_a "$(ip netns exec a ip xfrm state | grep -c 'mode transport')"
res t_v1_up "$(now)"
ea=$(wire a esp); eb=$(wire b esp); ta=$(wire a tcp); tb=$(wire b tcp); ca=$(wire a clear); cb=$(wire b clear); xa=$(xfrm a)
res v1_a_to_b_8080 "$(probe a $B 8080)"
res v1_b_to_a_9090 "$(probe b $A 9090)"
res v1_wire_esp_in_a "$(( $(wire a esp) - ea ))"
res v1_wire_esp_in_b "$(( $(wire b esp) - eb ))"
res v1_wire_tcp_in_a "$(( $(wire a tcp) - ta ))"
res v1_wire_tcp_in_b "$(( $(wire b tcp) - tb ))"
res v1_wire_clear_in_a "$(( $(wire a clear) - ca ))"
res v1_wire_clear_in_b "$(( $(wire b clear) - cb ))"
res v1_xfrm_packets_a "$(( $(xfrm a) - xa ))"

res script_end_uptime "$(now)"
# for debugging (PALISADE_KEEP_GUEST=1 keeps the run dir): charon logs and swanctl outputs
lsmod > $RUN/lsmod
for ns in a b; do for f in $W/$ns/*.log $W/$ns/*.out; do cp $f $RUN/$ns-$(basename $f); done; done
exit 0
`;

describe('SecureConnect on a real kernel (QEMU guest, Debian kernel, TCG)', { skip, timeout: 1_200_000 }, () => {
  const r = new GuestResults(avail);
  const num = (k: string): number => r.num(k);
  const str = (k: string): string => r.str(k);

  before(async () => {
    if (!avail.ok) return;
    r.set(await runInGuest(SCRIPT, { timeoutSec: 900, files }));
  });

  it('has a QEMU guest with Debian kernel and strongSwan (else: run scripts/install-test-deps.sh, or PALISADE_SKIP_GUEST=1)', () => {
    r.ran();
    assert.equal(str('modprobe'), '0');
  });

  it('control: without IPsec, plaintext TCP is what the wire counters see', () => {
    assert.equal(str('control_reply'), 'pong-b-8080');
    assert.ok(num('control_wire_tcp') > 0);
  });

  it('IKEv2 transport PSK: TCP on two ports, both directions, is ESP on the wire', () => {
    assert.equal(str('initiate_v2'), '0');
    assert.equal(str('v2_ike_version'), 'IKEv2');
    assert.equal(num('v2_states_a'), 2, 'one inbound and one outbound SA');
    assert.equal(num('v2_mode_transport_a'), 2);
    assert.equal(str('v2_a_to_b_8080'), 'pong-b-8080');
    assert.equal(str('v2_a_to_b_9090'), 'pong-b-9090');
    assert.equal(str('v2_b_to_a_8080'), 'pong-a-8080');
    assert.equal(str('v2_b_to_a_9090'), 'pong-a-9090');
    assert.ok(num('v2_wire_esp_in_a') >= 8, 'ESP arriving at a');
    assert.ok(num('v2_wire_esp_in_b') >= 8, 'ESP arriving at b');
    assert.equal(num('v2_wire_tcp_in_a'), 0, 'no plaintext TCP arriving at a');
    assert.equal(num('v2_wire_tcp_in_b'), 0, 'no plaintext TCP arriving at b');
    assert.equal(num('v2_wire_clear_in_a'), 0, 'no IPv4 packet but ESP and IKE arriving at a');
    assert.equal(num('v2_wire_clear_in_b'), 0, 'no IPv4 packet but ESP and IKE arriving at b');
    assert.ok(num('v2_xfrm_packets_a') >= 16, 'XFRM state counters of a grew');
    assert.ok(num('v2_xfrm_packets_b') >= 16, 'XFRM state counters of b grew');
    assert.equal(num('v2_drops_out_a'), 0);
    assert.equal(num('v2_drops_out_b'), 0);
  });

  it('one charon stopped: new connections fail, no plaintext leaves, the drop rule counts', () => {
    assert.equal(num('stopped_states_a'), 0, 'the peer deleted its SAs');
    assert.equal(num('stopped_states_b'), 0);
    assert.equal(num('stopped_policies_b'), 0, 'the stopped side has no IPsec policy left');
    assert.equal(str('stopped_b_to_a_8080'), '');
    assert.equal(str('stopped_b_to_a_9090'), '');
    assert.equal(str('stopped_a_to_b_8080'), '');
    assert.equal(num('stopped_wire_tcp_in_a'), 0, 'no plaintext TCP from b on the wire');
    assert.equal(num('stopped_wire_tcp_in_b'), 0, 'no plaintext TCP from a on the wire');
    assert.equal(num('stopped_wire_clear_in_a'), 0, 'nothing but IKE from b on the wire (not even ICMP)');
    assert.equal(num('stopped_wire_clear_in_b'), 0, 'nothing but IKE from a on the wire');
    assert.ok(num('stopped_drops_out_b') > 0, 'b dropped its plaintext SYNs');
  });

  it('control: without the table, the stopped side sends plaintext (the rules are what stopped it)', () => {
    assert.ok(num('unprotected_wire_tcp_in_a') > 0);
    assert.ok(num('unprotected_drops_in_a') > 0, "a's input drop rule caught it");
    assert.equal(str('unprotected_b_to_a_8080'), '');
  });

  it('IKEv1 (Main Mode + Quick Mode) transport also works', () => {
    assert.equal(str('initiate_v1'), '0');
    assert.equal(str('v1_ike_version'), 'IKEv1');
    assert.equal(num('v1_mode_transport_a'), 2);
    assert.equal(str('v1_a_to_b_8080'), 'pong-b-8080');
    assert.equal(str('v1_b_to_a_9090'), 'pong-a-9090');
    assert.ok(num('v1_wire_esp_in_a') > 0);
    assert.ok(num('v1_wire_esp_in_b') > 0);
    assert.equal(num('v1_wire_tcp_in_a'), 0);
    assert.equal(num('v1_wire_tcp_in_b'), 0);
    assert.equal(num('v1_wire_clear_in_a'), 0);
    assert.equal(num('v1_wire_clear_in_b'), 0);
    assert.ok(num('v1_xfrm_packets_a') > 0);
  });
});

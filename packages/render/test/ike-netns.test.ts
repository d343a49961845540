/**
 * IKE for real (STYLE §5): two network namespaces on a veth pair (198.51.100.1 and .2), one
 * charon each (LAB.md recipe), configs RENDERED by `renderSwanctl` and `renderNftables` from
 * plans the real policy engine computed, loaded with `swanctl --load-all`.
 *
 * This kernel has no ESP (LAB.md): IKE SAs establish, CHILD SAs cannot be installed. So every
 * positive check here is on the IKE SA only (ESTABLISHED on both sides); transport-mode ESP
 * itself is checked in the QEMU guest (another test's job). The missing CHILD SA is also what
 * makes the fail-closed check meaningful: IKE is up, no SA can carry traffic, and the rendered
 * nftables table must drop the plaintext.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computePlans } from '@palisade/core/compute/index.ts';
import type { ComputeWorkload, PolicySnapshot, WorkloadPlan } from '@palisade/core/compute/index.ts';
import { renderNftables, renderSwanctl, SWANCTL_SECRETS_FILE } from '../src/index.ts';
import type { NftRenderContext, SwanctlRenderContext } from '../src/index.ts';
import { issue, makeCa, pkcs12 } from './ike/pki.ts';
import { createPair, deleteNamespace, LabHost, run, sleep, strongswanMissing } from './ike/strongswan-lab.ts';
import { loadScenarios } from './support/scenarios.ts';

const isRoot = process.getuid?.() === 0;
const missing = isRoot ? strongswanMissing() : 'needs root (network namespaces, charon)';
const skip = missing;

const ORG = 1;
const CA_DN = 'CN=Palisade Test CA, O=Example, C=US';
const KEY_OLD = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const KEY_NEW = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const NFT_CTX: NftRenderContext = { pce: { addresses: ['198.51.100.254'], port: 8443 } };
const DB_PORT = 5432;

const labelRef = (id: string) => ({ label: { href: `/orgs/${ORG}/labels/${id}` } });

function workload(name: string, addresses: string[], osVersion = 'debian 12', os: ComputeWorkload['os_type'] = 'linux'): ComputeWorkload {
  const id = `wl-${name}`;
  return { id, name, href: `/orgs/${ORG}/workloads/${id}`, labels: ['1'], addresses, os_type: os, os_version: osVersion, enforcement_mode: 'full', visibility_level: 'flow_summary', managed: true };
}

/** Two db hosts and one SecureConnect rule between db hosts (tcp 5432): the engine does the rest. */
function plans(auth: 'psk' | 'certificate', bOs: { os: ComputeWorkload['os_type']; version: string } = { os: 'linux', version: 'debian 12' }): { a: WorkloadPlan; b: WorkloadPlan } {
  const snapshot: PolicySnapshot = {
    org: ORG,
    version: 1,
    labelGroups: [],
    ipLists: [],
    services: [],
    virtualServices: [],
    firewallSettings: auth === 'psk' ? { ike_authentication_type: 'psk', ike_ca_identity: null } : { ike_authentication_type: 'certificate', ike_ca_identity: CA_DN },
    ruleSets: [
      {
        id: '1',
        name: 'db',
        description: '',
        enabled: true,
        scopes: [[]],
        rules: [{ id: '1', enabled: true, description: '', providers: [labelRef('1')], consumers: [labelRef('1')], ingress_services: [{ proto: 6, port: DB_PORT }], sec_connect: true, unscoped_consumers: false }],
        deny_rules: [],
      },
    ],
  };
  const workloads = [workload('a', [a.address, a.address6]), workload('b', [b.address, b.address6], bOs.version, bOs.os)];
  const result = computePlans({ snapshot, workloads, labels: [{ id: '1', key: 'role' }] });
  const planA = result.plans.get('wl-a');
  const planB = result.plans.get('wl-b');
  assert.ok(planA && planB, 'the engine made both plans');
  return { a: planA, b: planB };
}

const NS_A = `pal-ike-a-${process.pid}`;
const NS_B = `pal-ike-b-${process.pid}`;
const root = join(tmpdir(), `palisade-ike-${process.pid}`);
// 198.51.100.0/24 and 2001:db8:5::/64 inside the namespaces only (the machine's eth0 is on 192.0.2.0/24).
const a = new LabHost(NS_A, '198.51.100.1', '2001:db8:5::1', root);
const b = new LabHost(NS_B, '198.51.100.2', '2001:db8:5::2', root);
const servers: ChildProcess[] = [];

/** Both charons restarted (no SA survives from a previous case), swanctl dirs emptied. */
async function fresh(): Promise<void> {
  await Promise.all([a.stopCharon(), b.stopCharon()]);
  for (const h of [a, b]) {
    for (const d of ['x509', 'x509ca', 'private', 'pkcs12']) for (const f of readdirSync(join(h.swanctlDir, d))) rmSync(join(h.swanctlDir, d, f));
    rmSync(h.log, { force: true });
  }
  await Promise.all([a.startCharon(), b.startCharon()]);
}

function load(host: LabHost, plan: WorkloadPlan, ctx: SwanctlRenderContext): void {
  host.load(renderSwanctl(plan, ctx), SWANCTL_SECRETS_FILE);
}

/** Waits until `host` has an IKE SA named `conn` in `state`, or the time is up; returns the last states. */
async function waitIke(host: LabHost, conn: string, state: string, ms: number): Promise<Map<string, string[]>> {
  let states = host.ikeStates();
  for (let t = 0; t < ms && !(states.get(conn) ?? []).includes(state); t += 200) {
    await sleep(200);
    states = host.ikeStates();
  }
  return states;
}

/** Initiates the connection's child from `host` (it fails here: no ESP), so only the IKE SA can come up. */
function initiate(host: LabHost, conn: string): void {
  host.swanctl(['--initiate', '--child', conn, '--timeout', '8'], 15000);
}

async function assertEstablished(conn: { host: LabHost; name: string }[]): Promise<void> {
  for (const { host, name } of conn) {
    const states = await waitIke(host, name, 'ESTABLISHED', 8000);
    assert.ok((states.get(name) ?? []).includes('ESTABLISHED'), `${host.ns}: IKE SA ${name} ${JSON.stringify([...states])}\n${host.readLog().split('\n').filter((l) => !l.includes('vici client')).join('\n').slice(-4000)}`);
  }
}

async function assertNoIkeSa(hosts: LabHost[]): Promise<void> {
  await sleep(1500);
  for (const h of hosts) {
    const established = [...h.ikeStates()].filter(([, s]) => s.includes('ESTABLISHED'));
    assert.deepEqual(established, [], `${h.ns} has no established IKE SA`);
  }
}

/** A plain TCP connect from `from` to `to`:DB_PORT within `ms`: 'connected' or 'timeout'/'error …'. */
function tcpConnect(from: LabHost, to: LabHost, ms: number, family: 4 | 6 = 4): string {
  const script = `const s=require('node:net').connect({host:'${family === 4 ? to.address : to.address6}',port:${DB_PORT}});s.setTimeout(${ms},()=>{console.log('timeout');process.exit(0)});s.on('connect',()=>{console.log('connected');process.exit(0)});s.on('error',(e)=>{console.log('error '+e.code);process.exit(0)});`;
  return run('ip', ['netns', 'exec', from.ns, process.execPath, '-e', script], { timeout: ms + 5000 }).stdout.trim();
}

function loadNft(host: LabHost, plan: WorkloadPlan): void {
  const file = join(host.dir, 'palisade.nft');
  writeFileSync(file, renderNftables(plan, NFT_CTX));
  host.nft(['-f', file]);
}

/** Packets counted by the rule that drops plaintext to SecureConnect peers (output chain). */
function plaintextDrops(host: LabHost, family: 4 | 6 = 4): number {
  const out = host.nft(['list', 'chain', 'inet', 'palisade', 'output']);
  const m = (family === 4 ? /ip daddr @sc_peers_v4 rt ipsec missing counter packets (\d+) bytes \d+ drop/ : /ip6 daddr @sc_peers_v6 rt ipsec missing counter packets (\d+) bytes \d+ drop/).exec(out);
  assert.ok(m, out);
  return Number(m[1]);
}

function emergencyCleanup(): void {
  for (const s of servers) if (s.exitCode === null) s.kill('SIGKILL');
  a.killNow();
  b.killNow();
  deleteNamespace(NS_A);
  deleteNamespace(NS_B);
}

describe('strongSwan in network namespaces, configs rendered from engine plans', { skip, timeout: 180000 }, () => {
  before(async () => {
    mkdirSync(root, { recursive: true });
    // If the runner dies before after() (a closed pipe, a signal), still leave nothing behind.
    process.once('exit', emergencyCleanup);
    createPair(a, b, 24);
    a.writeConfig();
    b.writeConfig();
  });

  after(async () => {
    for (const s of servers) if (s.exitCode === null) s.kill('SIGKILL');
    await Promise.all([a.stopCharon(), b.stopCharon()]);
    deleteNamespace(NS_A);
    deleteNamespace(NS_B);
    rmSync(root, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await fresh();
  });

  it('every golden expected.swanctl.conf (with its secrets file) loads into a real charon', () => {
    let total = 0;
    for (const s of loadScenarios()) {
      const conf = readFileSync(join(s.dir, 'expected.swanctl.conf'), 'utf8');
      const secretsPath = join(s.dir, 'expected.secrets.conf');
      const cert = s.swanctl.certificate;
      if (cert) {
        // The credential files the context names, made for the occasion.
        const dir = mkdtempSync(join(root, 'golden-pki-'));
        const ca = makeCa(dir, 'ca', cert.ca);
        const host = issue(dir, ca, 'host', cert.identity, '192.0.2.21');
        copyFileSync(ca.cert, join(a.swanctlDir, 'x509ca', cert.caFile));
        if (cert.certFile !== undefined) copyFileSync(host.cert, join(a.swanctlDir, 'x509', cert.certFile));
        if (cert.pkcs12) pkcs12(join(a.swanctlDir, 'pkcs12', cert.pkcs12.file), host, ca, cert.pkcs12.password ?? '');
      }
      const files = existsSync(secretsPath) ? { 'swanctl.conf': conf, secrets: readFileSync(secretsPath, 'utf8') } : { 'swanctl.conf': conf };
      a.load(files, SWANCTL_SECRETS_FILE);
      const expected = [...conf.matchAll(/^\t(conn-[^ ]+) \{$/gm)].map((m) => m[1] ?? '').sort();
      const loaded = a
        .swanctl(['--list-conns'])
        .stdout.split('\n')
        .flatMap((l) => (/^(conn-[^:]+): /.exec(l)?.[1] ?? []))
        .sort();
      assert.deepEqual(loaded, expected, s.name);
      total += loaded.length;
    }
    assert.ok(total >= 8, `${total} connections loaded from the SecureConnect scenarios`);
  });

  it('the engine pairs the two hosts: one capable IKEv2 PSK peer each', () => {
    const p = plans('psk');
    assert.deepEqual(
      p.a.secure_connect.peers.map((x) => [x.name, x.ike_version, x.capable, x.auth.method]),
      [['b', 'ikev2', true, 'psk']],
    );
    assert.deepEqual(
      p.b.secure_connect.peers.map((x) => x.name),
      ['a'],
    );
  });

  it('PSK: IKE SA ESTABLISHED on both sides (CHILD SA cannot install here: no ESP in this kernel)', async () => {
    const p = plans('psk');
    load(a, p.a, { psk: { current: KEY_NEW } });
    load(b, p.b, { psk: { current: KEY_NEW } });
    initiate(a, 'conn-wl-b-v4');
    initiate(b, 'conn-wl-a-v6');
    await assertEstablished([
      { host: a, name: 'conn-wl-b-v4' },
      { host: b, name: 'conn-wl-a-v4' },
      { host: a, name: 'conn-wl-b-v6' },
      { host: b, name: 'conn-wl-a-v6' },
    ]);
    // IPv6 ND passes outside IPsec (shunts), else the trap policies would catch it and IKE over
    // IPv6 could not reach the peer: that is why the v6 SAs could come up at all.
    const policies = run('ip', ['-n', a.ns, 'xfrm', 'policy', 'list']).stdout;
    // A pass policy: no template and no `action block` after the direction line.
    for (const t of [135, 136]) {
      for (const dir of ['in', 'out']) assert.match(policies, new RegExp(`src ::/0 dst ::/0 proto ipv6-icmp type ${t} \\n\\tdir ${dir} priority \\d+ ptype main \\n(?!\\t)`), `pass policy ${dir} for ICMPv6 type ${t}\n${policies}`);
    }
    // The CHILD SA was negotiated and failed only at the kernel: that is this machine, not the config.
    assert.match(a.readLog() + b.readLog(), /unable to install (inbound|outbound) IPsec SA|Function not implemented|failed to establish CHILD_SA/);
  });

  it('on demand (start_action = trap): the first packet, not swanctl, brings the IKE SA up', async () => {
    const p = plans('psk');
    load(a, p.a, { psk: { current: KEY_NEW } });
    load(b, p.b, { psk: { current: KEY_NEW } });
    assert.deepEqual([...a.ikeStates()], [], 'nothing up before traffic');
    // The SYN hits a's trap policy: charon negotiates; the CHILD SA cannot install here, so the
    // SYN itself never leaves (no plaintext fallback) and the connection times out.
    assert.equal(tcpConnect(a, b, 1500), 'timeout');
    await assertEstablished([
      { host: a, name: 'conn-wl-b-v4' },
      { host: b, name: 'conn-wl-a-v4' },
    ]);
    // (charon names the port from /etc/services where it can: 5432 is `postgresql`.)
    assert.match(a.readLog(), /creating acquire job for policy 198\.51\.100\.1\/32\[tcp[^\]]*\] === 198\.51\.100\.2\/32\[tcp\/(5432|postgresql)\]/);
  });

  it('wrong PSK: no IKE SA on either side', async () => {
    const p = plans('psk');
    load(a, p.a, { psk: { current: KEY_NEW } });
    load(b, p.b, { psk: { current: KEY_OLD } });
    initiate(a, 'conn-wl-b-v4');
    await assertNoIkeSa([a, b]);
    assert.match(b.readLog(), /MAC mismatched|authentication of .* failed|no shared key/);
  });

  it('PSK rotation, make-before-break (IKEv2): a host still authenticating with the old key and one with the new key, each accepting both, establish either way', async () => {
    const p = plans('psk');
    // a: step 1 of the rotation (authenticates with OLD, accepts NEW); b: step 2 (NEW, accepts OLD).
    load(a, p.a, { psk: { current: KEY_OLD, previous: KEY_NEW } });
    load(b, p.b, { psk: { current: KEY_NEW, previous: KEY_OLD } });
    initiate(a, 'conn-wl-b-v4');
    await assertEstablished([
      { host: a, name: 'conn-wl-b-v4' },
      { host: b, name: 'conn-wl-a-v4' },
    ]);
    await fresh();
    load(a, p.a, { psk: { current: KEY_OLD, previous: KEY_NEW } });
    load(b, p.b, { psk: { current: KEY_NEW, previous: KEY_OLD } });
    initiate(b, 'conn-wl-a-v4');
    await assertEstablished([
      { host: b, name: 'conn-wl-a-v4' },
      { host: a, name: 'conn-wl-b-v4' },
    ]);
    // Control: without the second key on b, a (still authenticating with OLD) is refused. This is
    // why a rotation first adds the new key everywhere before anyone authenticates with it.
    await fresh();
    load(a, p.a, { psk: { current: KEY_OLD, previous: KEY_NEW } });
    load(b, p.b, { psk: { current: KEY_NEW } });
    initiate(a, 'conn-wl-b-v4');
    await assertNoIkeSa([a, b]);
  });

  it('IKEv1 (a peer on Windows 2008 gets IKEv1): Main Mode with the rendered proposals establishes between two charons', async () => {
    // b's plan is rendered as if b ran charon: the point is the IKEv1 config a gets for a 2008 peer.
    const p = plans('psk', { os: 'windows', version: '2008 R2' });
    assert.equal(p.a.secure_connect.peers[0]?.ike_version, 'ikev1');
    load(a, p.a, { psk: { current: KEY_NEW } });
    load(b, p.b, { psk: { current: KEY_NEW } });
    initiate(a, 'conn-wl-b-v4');
    await assertEstablished([
      { host: a, name: 'conn-wl-b-v4' },
      { host: b, name: 'conn-wl-a-v4' },
    ]);
    assert.match(a.swanctl(['--list-sas', '--raw']).stdout, /version=1 state=ESTABLISHED/);
  });

  it('certificates from one CA made with pki (a: PEM files, b: password-protected PKCS#12): IKE SA ESTABLISHED', async () => {
    const dir = mkdtempSync(join(root, 'pki-'));
    const ca = makeCa(dir, 'ca', CA_DN);
    const certA = issue(dir, ca, 'a', 'CN=a.example.com, O=Example, C=US', a.address);
    const certB = issue(dir, ca, 'b', 'CN=b.example.com, O=Example, C=US', b.address);
    copyFileSync(ca.cert, join(a.swanctlDir, 'x509ca', 'palisade-ca.pem'));
    copyFileSync(ca.cert, join(b.swanctlDir, 'x509ca', 'palisade-ca.pem'));
    copyFileSync(certA.cert, join(a.swanctlDir, 'x509', 'a.pem'));
    copyFileSync(certA.key, join(a.swanctlDir, 'private', 'a.key.pem'));
    pkcs12(join(b.swanctlDir, 'pkcs12', 'b.p12'), certB, ca, 'container password');
    const p = plans('certificate');
    load(a, p.a, { certificate: { identity: certA.dn, ca: CA_DN, caFile: 'palisade-ca.pem', certFile: 'a.pem' } });
    load(b, p.b, { certificate: { identity: certB.dn, ca: CA_DN, caFile: 'palisade-ca.pem', pkcs12: { file: 'b.p12', password: 'container password' } } });
    initiate(a, 'conn-wl-b-v4');
    await assertEstablished([
      { host: a, name: 'conn-wl-b-v4' },
      { host: b, name: 'conn-wl-a-v4' },
    ]);
  });

  it('a peer whose certificate comes from another CA (even one with the same DN): no IKE SA', async () => {
    const dir = mkdtempSync(join(root, 'pki-'));
    const ca = makeCa(dir, 'ca', CA_DN);
    const rogue = makeCa(dir, 'rogue', CA_DN);
    const certA = issue(dir, ca, 'a', 'CN=a.example.com, O=Example, C=US', a.address);
    const certB = issue(dir, rogue, 'b', 'CN=b.example.com, O=Example, C=US', b.address);
    copyFileSync(ca.cert, join(a.swanctlDir, 'x509ca', 'palisade-ca.pem'));
    copyFileSync(certA.cert, join(a.swanctlDir, 'x509', 'a.pem'));
    copyFileSync(certA.key, join(a.swanctlDir, 'private', 'a.key.pem'));
    copyFileSync(rogue.cert, join(b.swanctlDir, 'x509ca', 'palisade-ca.pem'));
    copyFileSync(certB.cert, join(b.swanctlDir, 'x509', 'b.pem'));
    copyFileSync(certB.key, join(b.swanctlDir, 'private', 'b.key.pem'));
    const p = plans('certificate');
    load(a, p.a, { certificate: { identity: certA.dn, ca: CA_DN, caFile: 'palisade-ca.pem', certFile: 'a.pem' } });
    load(b, p.b, { certificate: { identity: certB.dn, ca: CA_DN, caFile: 'palisade-ca.pem', certFile: 'b.pem' } });
    initiate(a, 'conn-wl-b-v4');
    await assertNoIkeSa([a, b]);
    initiate(b, 'conn-wl-a-v4');
    await assertNoIkeSa([a, b]);
    // Rejected for the certificate chain, not for anything else.
    assert.match(a.readLog() + b.readLog(), /no trusted (ECDSA|RSA|any) public key found|no issuer certificate found|signature validation failed/);
  });

  it('fail closed: with the rendered nftables tables, IKE still comes up (UDP 500/4500 pass) but plaintext TCP is dropped, with charon and without', async () => {
    const p = plans('psk');
    const server = spawn('ip', ['netns', 'exec', b.ns, process.execPath, '-e', `require('node:net').createServer((s)=>{s.on('error',()=>{});s.end('hi')}).listen(${DB_PORT},'::')`], { stdio: 'ignore' });
    servers.push(server);
    await Promise.all([a.stopCharon(), b.stopCharon()]);
    // The probe works at all: no table, no charon, no XFRM policy → the connection is made.
    let reply = 'timeout';
    for (let i = 0; i < 20 && reply !== 'connected'; i++) {
      reply = tcpConnect(a, b, 1000);
      if (reply !== 'connected') await sleep(200);
    }
    assert.equal(reply, 'connected', 'baseline without the table');
    assert.equal(tcpConnect(a, b, 2000, 6), 'connected', 'baseline over IPv6');
    loadNft(a, p.a);
    loadNft(b, p.b);
    // No charon at all (stopped, crashed, never installed): the table alone keeps it closed.
    assert.equal(tcpConnect(a, b, 2000), 'timeout');
    assert.ok(plaintextDrops(a) > 0, 'dropped by the rt ipsec missing rule');
    assert.equal(tcpConnect(a, b, 2000, 6), 'timeout', 'IPv6 like IPv4 (DESIGN §7)');
    assert.ok(plaintextDrops(a, 6) > 0);
    // Charon up and IKE established through the table, but no CHILD SA can be installed.
    await Promise.all([a.startCharon(), b.startCharon()]);
    load(a, p.a, { psk: { current: KEY_NEW } });
    load(b, p.b, { psk: { current: KEY_NEW } });
    initiate(a, 'conn-wl-b-v4');
    initiate(a, 'conn-wl-b-v6');
    // IKE over both families through the tables (and IPv6 neighbour discovery with them loaded).
    await assertEstablished([
      { host: a, name: 'conn-wl-b-v4' },
      { host: b, name: 'conn-wl-a-v4' },
      { host: a, name: 'conn-wl-b-v6' },
      { host: b, name: 'conn-wl-a-v6' },
    ]);
    const before = plaintextDrops(a);
    assert.equal(tcpConnect(a, b, 2000), 'timeout');
    assert.equal(tcpConnect(a, b, 2000, 6), 'timeout');
    assert.equal(tcpConnect(b, a, 2000), 'timeout', 'the other way too');
    // Stopping charon removes its XFRM policies (LAB.md): the table still drops.
    await Promise.all([a.stopCharon(), b.stopCharon()]);
    assert.equal(tcpConnect(a, b, 2000), 'timeout');
    assert.ok(plaintextDrops(a) > before, 'the table, not only XFRM, dropped it');
    server.kill('SIGKILL');
  });
});

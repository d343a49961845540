/**
 * The VEN's SecureConnect manager against real charons (root, strongSwan): two network
 * namespaces on a veth pair (198.51.100.1/.2, never the root namespace), one manager each with
 * its own data dir, plans computed by the real engine. Certificate mode end to end: the CA and
 * a password-protected PKCS#12 per host in `<data-dir>/etc/ipsec.d`, IKE established between
 * the two managers' charons; a host without a certificate reports the peer `error` with the
 * reason. This kernel has no ESP (LAB.md): IKE only.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computePlans } from '@palisade/core/compute/index.ts';
import type { ComputeWorkload, PolicySnapshot, WorkloadPlan } from '@palisade/core/compute/index.ts';
import { SecureConnect } from '../src/secure-connect/secure-connect.ts';

const tools = ['/usr/sbin/charon-systemd', '/usr/sbin/swanctl', '/usr/bin/pki', '/usr/bin/openssl'].every((f) => existsSync(f));
const skip = process.getuid?.() !== 0 ? 'needs root (network namespaces, charon)' : !tools ? 'needs strongSwan, pki and openssl' : false;

const CA_DN = 'C=US, O=Example, CN=Palisade Test CA';
const NS_A = `pal-scc-a-${process.pid}`;
const NS_B = `pal-scc-b-${process.pid}`;
const A = '198.51.100.1';
const B = '198.51.100.2';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function plans(): { a: WorkloadPlan; b: WorkloadPlan } {
  const label = { label: { href: '/orgs/1/labels/1' } };
  const snapshot: PolicySnapshot = {
    org: 1,
    version: 1,
    labelGroups: [],
    ipLists: [],
    services: [],
    virtualServices: [],
    firewallSettings: { ike_authentication_type: 'certificate', ike_ca_identity: CA_DN },
    ruleSets: [{ id: '1', name: 'db', description: '', enabled: true, scopes: [[]], rules: [{ id: '1', enabled: true, description: '', providers: [label], consumers: [label], ingress_services: [{ proto: 6, port: 5432 }], sec_connect: true, unscoped_consumers: false }], deny_rules: [] }],
  };
  const wl = (name: string, address: string): ComputeWorkload => ({ id: `wl-${name}`, name, href: `/orgs/1/workloads/wl-${name}`, labels: ['1'], addresses: [address], os_type: 'linux', os_version: 'debian 12', enforcement_mode: 'full', visibility_level: 'flow_summary', managed: true });
  const r = computePlans({ snapshot, workloads: [wl('a', A), wl('b', B)], labels: [{ id: '1', key: 'role' }] });
  const a = r.plans.get('wl-a');
  const b = r.plans.get('wl-b');
  assert.ok(a && b);
  return { a, b };
}

describe('SecureConnect manager with real charons (certificates)', { skip, timeout: 120_000 }, () => {
  let dir = '';
  let a: SecureConnect;
  let b: SecureConnect;
  const sh = (cmd: string, args: string[]): Buffer => execFileSync(cmd, args);
  const swanctl = (m: SecureConnect, args: string[]): string =>
    execFileSync('swanctl', [...args, '--uri', m.paths.viciUri], { encoding: 'utf8', env: { ...process.env, STRONGSWAN_CONF: m.paths.conf, SWANCTL_DIR: m.paths.swanctlDir }, timeout: 20_000 });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-ven-scc-'));
    for (const ns of [NS_A, NS_B]) {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    sh('ip', ['link', 'add', 'pal-sca', 'netns', NS_A, 'type', 'veth', 'peer', 'name', 'pal-scb', 'netns', NS_B]);
    for (const [ns, dev, addr] of [[NS_A, 'pal-sca', A], [NS_B, 'pal-scb', B]] as const) {
      sh('ip', ['-n', ns, 'addr', 'add', `${addr}/24`, 'dev', dev]);
      sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    const caKey = join(dir, 'ca.key');
    const caCert = join(dir, 'ca.pem');
    writeFileSync(caKey, sh('pki', ['--gen', '--type', 'ecdsa', '--size', '256', '--outform', 'pem']));
    writeFileSync(caCert, sh('pki', ['--self', '--ca', '--lifetime', '30', '--in', caKey, '--type', 'ecdsa', '--dn', CA_DN, '--outform', 'pem']));
    for (const [name, addr] of [['a', A], ['b', B]] as const) {
      const data = join(dir, name);
      const cacert = join(data, 'etc', 'ipsec.d', 'cacert');
      const priv = join(data, 'etc', 'ipsec.d', 'private');
      mkdirSync(cacert, { recursive: true });
      mkdirSync(priv, { recursive: true });
      // PEM CA on one host, DER on the other.
      if (name === 'a') writeFileSync(join(cacert, 'org-ca.pem'), readFileSync(caCert));
      else writeFileSync(join(cacert, 'org-ca.der'), sh('openssl', ['x509', '-in', caCert, '-outform', 'DER']));
      const key = join(dir, `${name}.key`);
      const cert = join(dir, `${name}.pem`);
      writeFileSync(key, sh('pki', ['--gen', '--type', 'ecdsa', '--size', '256', '--outform', 'pem']));
      writeFileSync(cert, sh('pki', ['--issue', '--in', key, '--type', 'ecdsa', '--cacert', caCert, '--cakey', caKey, '--dn', `C=US, O=Example, CN=db-${name}`, '--san', addr, '--lifetime', '30', '--outform', 'pem']));
      sh('openssl', ['pkcs12', '-export', '-inkey', key, '-in', cert, '-out', join(priv, 'host.p12'), '-passout', `pass:pw-${name}`]);
      writeFileSync(join(priv, 'host.password'), `pw-${name}\n`, { mode: 0o600 });
    }
    a = new SecureConnect({ dataDir: join(dir, 'a'), log: quiet, charon: ['ip', 'netns', 'exec', NS_A, 'charon-systemd'] });
    b = new SecureConnect({ dataDir: join(dir, 'b'), log: quiet, charon: ['ip', 'netns', 'exec', NS_B, 'charon-systemd'] });
  });

  after(async () => {
    for (const m of [a, b]) await m?.remove().catch(() => undefined);
    for (const ns of [NS_A, NS_B]) spawnSync('ip', ['netns', 'delete', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('picks the identity from PKCS#12, writes the key 0600, and IKE establishes between the two charons', async () => {
    const p = plans();
    const ra = await a.apply(p.a, null);
    const rb = await b.apply(p.b, null);
    assert.equal(ra.connections, 1);
    assert.equal(rb.connections, 1);
    assert.equal(ra.certificateError, undefined);
    assert.equal(statSync(join(a.paths.swanctlDir, 'private', 'palisade-host.pem')).mode & 0o777, 0o600);
    assert.match(readFileSync(a.paths.swanctlConf, 'utf8'), /id = "C=US, O=Example, CN=db-a"/);
    // The CHILD SA cannot be installed here, so --initiate exits non-zero; the IKE SA comes up anyway.
    spawnSync('swanctl', ['--initiate', '--child', 'conn-wl-b-v4', '--timeout', '8', '--uri', a.paths.viciUri], { env: { ...process.env, STRONGSWAN_CONF: a.paths.conf }, timeout: 15_000 });
    for (const m of [a, b]) {
      const sas = await m.listSas();
      assert.ok(sas.some((s) => s.state === 'ESTABLISHED'), `IKE established: ${swanctl(m, ['--list-sas'])}`);
    }
    const report = await a.report();
    const peer = report?.peers.find((x) => x.workload.href === '/orgs/1/workloads/wl-b');
    assert.equal(peer?.state, 'down');
    assert.match(peer?.reason ?? '', /ESTABLISHED \(IKEv2\), no CHILD SA installed/);
  });

  it('reloading the same plan keeps the IKE SA (same unique id)', async () => {
    const before = (await a.listSas()).find((s) => s.state === 'ESTABLISHED');
    assert.ok(before);
    await a.apply(plans().a, null);
    const afterReload = (await a.listSas()).find((s) => s.conn === before.conn && s.state === 'ESTABLISHED');
    assert.equal(afterReload?.uniqueId, before.uniqueId);
  });

  it('no matching certificate: a clear error, the peer reported error, no connection loaded', async () => {
    rmSync(join(dir, 'b', 'etc', 'ipsec.d', 'private', 'host.p12'));
    const r = await b.apply(plans().b, null);
    assert.equal(r.connections, 0);
    assert.match(r.certificateError ?? '', /no PKCS#12 container/);
    const report = await b.report();
    const peer = report?.peers.find((x) => x.workload.href === '/orgs/1/workloads/wl-a');
    assert.equal(peer?.state, 'error');
    assert.match(peer?.reason ?? '', /^certificate: no PKCS#12 container/);
    assert.equal(b.charonPid, undefined, 'nothing to load: charon stopped');
  });
});

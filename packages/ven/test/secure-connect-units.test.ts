/**
 * SecureConnect pieces that need no charon: the `swanctl --list-sas --raw` reader, the
 * connection names read back from a rendered swanctl.conf (which SAs a reload keeps), and the
 * certificate pick (DESIGN §4 item 8) with real certificates made by strongSwan's `pki` and
 * PKCS#12 containers made by `openssl pkcs12` (PEM and DER CA, password files, a foreign CA
 * with the same DN).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificateError, dnKey, findHostIdentity } from '../src/secure-connect/certificates.ts';
import { parseListSas } from '../src/secure-connect/sa-list.ts';
import { connectionNames, saPhase } from '../src/secure-connect/secure-connect.ts';
import { renderSwanctl } from '@palisade/render/strongswan/swanctl-renderer.ts';
import { testPlan } from './support/plans.ts';

describe('swanctl --list-sas --raw', () => {
  it('reads connection, unique id, IKE state and CHILD SA states (a DN with spaces in between)', () => {
    const out = [
      'list-sa event {conn-wl-b-v4 {uniqueid=7 version=2 state=ESTABLISHED local-host=198.51.100.1 local-port=500 local-id=C=US, O=Example, CN=db1 remote-host=198.51.100.2 child-sas {conn-wl-b-v4-9 {name=conn-wl-b-v4 uniqueid=9 reqid=1 state=INSTALLED mode=TRANSPORT protocol=ESP}}}}',
      'list-sa event {conn-wl-c-v6 {uniqueid=8 version=1 state=CONNECTING local-host=2001:db8::1 child-sas {}}}',
      'list-sas reply {}',
      '',
    ].join('\n');
    assert.deepEqual(parseListSas(out), [
      { conn: 'conn-wl-b-v4', uniqueId: 7, version: 2, state: 'ESTABLISHED', children: [{ name: 'conn-wl-b-v4', state: 'INSTALLED' }] },
      { conn: 'conn-wl-c-v6', uniqueId: 8, version: 1, state: 'CONNECTING', children: [] },
    ]);
  });

  it('connection names of a rendered swanctl.conf: every connection, never a child or a secret', () => {
    const peer = (id: string, addresses: string[]) => ({ workload: `/orgs/1/workloads/${id}`, name: id, addresses, ike_version: 'ikev2' as const, auth: { method: 'psk' as const }, capable: true });
    const base = testPlan();
    const plan = { ...base, workload: { ...base.workload, addresses: ['192.0.2.1', '2001:db8::1'] }, secure_connect: { peers: [peer('wl-b', ['192.0.2.2']), peer('wl-c', ['192.0.2.3', '192.0.2.4', '2001:db8::3'])] } };
    const conf = renderSwanctl(plan, { psk: { current: 'ab'.repeat(32) } })['swanctl.conf'];
    assert.deepEqual([...connectionNames(conf)].sort(), ['conn-wl-b-v4', 'conn-wl-c-v4', 'conn-wl-c-v4-1', 'conn-wl-c-v6']);
    assert.deepEqual([...connectionNames('')], []);
  });

  it('DNs compare by attribute, not by order or spacing', () => {
    assert.equal(dnKey('CN=Palisade CA, O=Example, C=US'), dnKey('C=US\nO=Example\nCN=Palisade CA'));
    assert.notEqual(dnKey('CN=Palisade CA, O=Example'), dnKey('CN=Other CA, O=Example'));
  });
});

describe('SA phase shown by palisade ven status', () => {
  const w = { href: '/orgs/1/workloads/b' };
  const sa = (state: string, children: string[]) => ({ conn: 'conn-b-v4', uniqueId: 1, version: 2, state, children: children.map((c) => ({ name: 'conn-b-v4', state: c })) });
  it('established only with an installed CHILD SA; connecting while IKE or CHILD negotiates; down otherwise', () => {
    assert.equal(saPhase({ workload: w, state: 'up' }, sa('ESTABLISHED', ['INSTALLED'])), 'established');
    assert.equal(saPhase({ workload: w, state: 'down' }, sa('CONNECTING', [])), 'connecting');
    assert.equal(saPhase({ workload: w, state: 'down' }, sa('ESTABLISHED', ['INSTALLING'])), 'connecting');
    assert.equal(saPhase({ workload: w, state: 'down' }, sa('ESTABLISHED', [])), 'down', 'IKE without ESP (this kernel) carries no traffic');
    assert.equal(saPhase({ workload: w, state: 'down' }, undefined), 'down');
    assert.equal(saPhase({ workload: w, state: 'error', reason: 'x' }, undefined), 'error');
  });
});

const hasTools = ['/usr/bin/pki', '/usr/bin/openssl'].every((f) => existsSync(f));

describe('certificate pick from <data-dir>/etc/ipsec.d', { skip: hasTools ? false : 'needs pki and openssl' }, () => {
  const CA_DN = 'C=US, O=Example, CN=Palisade Test CA';
  let dir = '';
  const sh = (cmd: string, args: string[]): Buffer => execFileSync(cmd, args);
  const ca = (name: string): { key: string; cert: string } => {
    const key = join(dir, `${name}.key`);
    const cert = join(dir, `${name}.pem`);
    writeFileSync(key, sh('pki', ['--gen', '--type', 'ecdsa', '--size', '256', '--outform', 'pem']));
    writeFileSync(cert, sh('pki', ['--self', '--ca', '--lifetime', '30', '--in', key, '--type', 'ecdsa', '--dn', CA_DN, '--outform', 'pem']));
    return { key, cert };
  };
  const host = (name: string, issuer: { key: string; cert: string }, dn: string): { key: string; cert: string } => {
    const key = join(dir, `${name}.key`);
    const cert = join(dir, `${name}.pem`);
    writeFileSync(key, sh('pki', ['--gen', '--type', 'ecdsa', '--size', '256', '--outform', 'pem']));
    writeFileSync(cert, sh('pki', ['--issue', '--in', key, '--type', 'ecdsa', '--cacert', issuer.cert, '--cakey', issuer.key, '--dn', dn, '--lifetime', '30', '--outform', 'pem']));
    return { key, cert };
  };
  const p12 = (out: string, h: { key: string; cert: string }, password: string): void => {
    sh('openssl', ['pkcs12', '-export', '-inkey', h.key, '-in', h.cert, '-out', out, '-passout', `pass:${password}`]);
  };
  const etc = (name: string): { etc: string; cacert: string; priv: string } => {
    const e = join(dir, name, 'etc');
    const cacert = join(e, 'ipsec.d', 'cacert');
    const priv = join(e, 'ipsec.d', 'private');
    mkdirSync(cacert, { recursive: true });
    mkdirSync(priv, { recursive: true });
    return { etc: e, cacert, priv };
  };
  let orgCa: { key: string; cert: string };
  let db1: { key: string; cert: string };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'palisade-ven-cert-'));
    orgCa = ca('org-ca');
    db1 = host('db1', orgCa, 'C=US, O=Example, CN=db1');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('picks the container whose certificate the org CA issued (PEM CA, password in a root-only file)', async () => {
    const d = etc('ok');
    writeFileSync(join(d.cacert, 'ca.pem'), readFileSync(orgCa.cert));
    p12(join(d.priv, 'db1.p12'), db1, 's3cret');
    writeFileSync(join(d.priv, 'db1.password'), 's3cret\n', { mode: 0o600 });
    const id = await findHostIdentity(d.etc, 'CN=Palisade Test CA, O=Example, C=US');
    assert.equal(id.identity, 'C=US, O=Example, CN=db1');
    const cert = new X509Certificate(id.certPem);
    assert.ok(cert.checkPrivateKey(createPrivateKey(id.keyPem)));
    assert.ok(cert.verify(new X509Certificate(id.caPem).publicKey));
  });

  it('a DER CA certificate works too; a container from another CA with the same DN is not picked', async () => {
    const d = etc('der');
    writeFileSync(join(d.cacert, 'ca.der'), new X509Certificate(readFileSync(orgCa.cert)).raw);
    const rogueCa = ca('rogue-ca');
    p12(join(d.priv, 'a-rogue.p12'), host('rogue', rogueCa, 'C=US, O=Example, CN=rogue'), '');
    p12(join(d.priv, 'b-db1.p12'), db1, '');
    const id = await findHostIdentity(d.etc, CA_DN);
    assert.equal(id.identity, 'C=US, O=Example, CN=db1');
    assert.match(id.p12File, /b-db1\.p12$/);
  });

  it('missing or non-matching certificates are clear errors that name files, never the password', async () => {
    const none = etc('none');
    await assert.rejects(findHostIdentity(none.etc, CA_DN), (e: unknown) => e instanceof CertificateError && /no CA certificate with subject/.test(e.message));
    const d = etc('bad');
    writeFileSync(join(d.cacert, 'ca.pem'), readFileSync(orgCa.cert));
    await assert.rejects(findHostIdentity(d.etc, CA_DN), /no PKCS#12 container/);
    p12(join(d.priv, 'db1.p12'), db1, 'hunter22');
    writeFileSync(join(d.priv, 'db1.password'), 'hunter22');
    chmodSync(join(d.priv, 'db1.password'), 0o644);
    await assert.rejects(findHostIdentity(d.etc, CA_DN), (e: unknown) => e instanceof CertificateError && /root-only/.test(e.message) && !e.message.includes('hunter22'));
    chmodSync(join(d.priv, 'db1.password'), 0o600);
    writeFileSync(join(d.priv, 'db1.password'), 'nope-xyz');
    await assert.rejects(findHostIdentity(d.etc, CA_DN), (e: unknown) => e instanceof CertificateError && /cannot be opened/.test(e.message) && !e.message.includes('nope-xyz'));
    await assert.rejects(findHostIdentity(d.etc, 'CN=Another CA'), /no CA certificate with subject "CN=Another CA"/);
  });
});

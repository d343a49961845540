/**
 * SecureConnect across the three renderers, beyond the goldens (DESIGN §4): nftables puts the
 * IPsec-only section first in every enforcing mode and keeps peers in sets; swanctl renders one
 * connection per capable peer and family, never a secret in swanctl.conf; the Windows script
 * touches only its group and carries no key.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPalisadeError } from '@palisade/core';
import type { SecureConnectPeer, WorkloadPlan } from '@palisade/core/compute/index.ts';
import { renderNftables, renderSetDelta, renderSwanctl, renderWindows } from '../src/index.ts';
import type { NftRenderContext, WindowsRenderContext } from '../src/index.ts';

const ctx: NftRenderContext = { pce: { addresses: ['192.0.2.1'], port: 8443 } };
const win: WindowsRenderContext = { pce: ctx.pce, psk: { file: 'C:\\Palisade\\psk' } };
const KEY = 'ab'.repeat(32);
const KEY2 = 'cd'.repeat(32);
const RULE = '/orgs/1/sec_policy/active/rule_sets/1/sec_rules/1';

function peer(name: string, addresses: string[], over: Partial<SecureConnectPeer> = {}): SecureConnectPeer {
  return { workload: `/orgs/1/workloads/wl-${name}`, name, addresses, ike_version: 'ikev2', auth: { method: 'psk' }, capable: true, ...over };
}

function plan(peers: SecureConnectPeer[], over: Partial<WorkloadPlan> = {}): WorkloadPlan {
  return {
    workload: { id: 'wl-me', href: '/orgs/1/workloads/wl-me', name: 'me', os_type: 'linux', os_version: 'debian 12', addresses: ['192.0.2.10', '2001:db8::10'] },
    enforcement_mode: 'full',
    visibility_level: 'flow_summary',
    address_sets: [{ name: 'ps_a', ipv4: ['192.0.2.20'], ipv6: [], fqdns: [] }],
    inbound: [{ peers: 'ps_a', services: [{ proto: 6, port: 5432 }], rule: RULE, sec_connect: true }],
    outbound: [],
    deny_inbound: [{ peers: 'ps_a', services: [{ proto: 6, port: 22 }], rule: RULE }],
    deny_outbound: [],
    secure_connect: { peers },
    diagnostics: [],
    hash: 'abcd',
    ...over,
  };
}

function throwsInvalid(fn: () => unknown, token: string): void {
  assert.throws(fn, (e: unknown) => isPalisadeError(e) && e.kind === 'invalid' && e.token === token);
}

/** Rule lines of one chain, in order. */
function chainRules(script: string, chain: 'input' | 'output'): string[] {
  const lines = script.split('\n');
  const start = lines.indexOf(`\tchain ${chain} {`);
  const out: string[] = [];
  for (let i = start + 2; i < lines.length && lines[i] !== '\t}'; i++) {
    const l = lines[i] ?? '';
    if (!l.startsWith('\t\t#')) out.push(l.trim());
  }
  return out;
}

describe('nftables: SecureConnect peers', () => {
  const peers = [peer('db2', ['192.0.2.22', '2001:db8::22']), peer('aix', ['192.0.2.51'], { capable: false, ike_version: null })];

  it('in every enforcing mode the IPsec-only rules come before established, deny, allow and the default', () => {
    for (const mode of ['visibility_only', 'selective', 'full'] as const) {
      const script = renderNftables(plan(peers, { enforcement_mode: mode }), ctx);
      for (const [chain, missing] of [
        ['input', 'meta secpath missing counter drop'],
        ['output', 'rt ipsec missing counter drop'],
      ] as const) {
        const r = chainRules(script, chain);
        const drop4 = r.findIndex((l) => l.startsWith('ip ') && l.includes('@sc_peers_v4') && l.endsWith(missing));
        const drop6 = r.findIndex((l) => l.startsWith('ip6 ') && l.includes('@sc_peers_v6') && l.endsWith(missing));
        const established = r.indexOf('ct state established,related accept');
        const firstEntry = r.findIndex((l) => l.includes('@ps_a_'));
        assert.ok(drop4 >= 0 && drop6 >= 0, `${mode} ${chain}: both families`);
        assert.ok(drop4 < established && drop6 < established, `${mode} ${chain}: before established`);
        assert.ok(drop6 < firstEntry || firstEntry === -1, `${mode} ${chain}: before the entries`);
        const ike = r.findIndex((l) => l.includes('@sc_peers_v4') && l.includes('udp') && l.includes('{ 500, 4500 }') && l.endsWith('accept'));
        const esp = r.findIndex((l) => l.includes('@sc_peers_v4') && l.includes('meta l4proto esp') && l.endsWith('accept'));
        const mss = r.findIndex((l) => l.includes('@sc_peers_v4') && l.includes('tcp option maxseg size set 1360'));
        assert.ok(ike >= 0 && ike < drop4 && esp >= 0 && esp < drop4 && mss >= 0 && mss < drop4, `${mode} ${chain}: IKE, ESP and MSS first`);
      }
    }
  });

  it('every peer is in the sets, capable or not; the peers never appear in a rule', () => {
    const script = renderNftables(plan(peers), ctx);
    assert.match(script, /set sc_peers_v4 \{\n\t\ttype ipv4_addr\n\t\telements = \{\n\t\t\t192\.0\.2\.22,\n\t\t\t192\.0\.2\.51\n\t\t\}/);
    assert.match(script, /set sc_peers_v6 \{\n\t\ttype ipv6_addr\n\t\telements = \{\n\t\t\t2001:db8::22\n/);
    assert.deepEqual([...chainRules(script, 'input'), ...chainRules(script, 'output')].filter((l) => /192\.0\.2\.(22|51)|2001:db8::22/.test(l)), []);
  });

  it('a peer joining or leaving is a set delta; idle installs nothing', () => {
    const delta = renderSetDelta(plan([]), plan(peers), ctx);
    assert.ok(delta !== null && delta.includes('add element inet palisade sc_peers_v4') && delta.includes('192.0.2.51'));
    assert.equal(renderSetDelta(plan(peers), plan(peers), ctx), '');
    const idle = renderNftables(plan(peers, { enforcement_mode: 'idle' }), ctx);
    assert.doesNotMatch(idle, /sc_peers|secpath|ipsec/);
  });

  it('a plan set that would take the SecureConnect set name is refused', () => {
    throwsInvalid(() => renderNftables(plan([], { address_sets: [{ name: 'sc_peers', ipv4: [], ipv6: [], fqdns: [] }], inbound: [], deny_inbound: [] }), ctx), 'address_set_name_clash');
  });
});

describe('swanctl', () => {
  it('one connection per capable peer and family, version from ike_version, nothing for incapable peers', () => {
    const p = plan([peer('db2', ['192.0.2.22', '2001:db8::22']), peer('win2008', ['192.0.2.40'], { ike_version: 'ikev1' }), peer('idle1', ['192.0.2.50'], { capable: false }), peer('aix', ['192.0.2.51'], { capable: false, ike_version: null })]);
    const conf = renderSwanctl(p, { psk: { current: KEY } })['swanctl.conf'];
    const names = [...conf.matchAll(/^\t(conn-[^ ]+) \{$/gm)].map((m) => m[1]);
    assert.deepEqual(names, ['conn-wl-db2-v4', 'conn-wl-db2-v6', 'conn-wl-win2008-v4']);
    assert.match(conf, /conn-wl-win2008-v4 \{\n\t\tversion = 1\n\t\tlocal_addrs = 192\.0\.2\.10\n\t\tremote_addrs = 192\.0\.2\.40\n\t\tproposals = aes256-sha256-modp2048, aes128-sha1-modp2048\n/);
    assert.match(conf, /conn-wl-db2-v6 \{\n\t\tversion = 2\n\t\tlocal_addrs = 2001:db8::10\n\t\tremote_addrs = 2001:db8::22\n/);
    assert.equal([...conf.matchAll(/mode = transport/g)].length, 3);
    assert.equal([...conf.matchAll(/mode = pass/g)].length, 5, 'the ND bypass, since there is an IPv6 connection');
    assert.equal([...conf.matchAll(/start_action = trap/g)].length, 3 + 5);
    const v4only = renderSwanctl(plan([peer('db2', ['192.0.2.22'])]), { psk: { current: KEY } })['swanctl.conf'];
    assert.doesNotMatch(v4only, /nd-bypass/, 'no IPv6 connection, no ND bypass');
    assert.doesNotMatch(conf.replace(/^#.*$/gm, ''), /192\.0\.2\.5[01]/, 'no connection for incapable peers');
  });

  it('no connections and no secrets: idle, no peers (the local workload cannot do SecureConnect), only incapable peers', () => {
    for (const p of [plan([peer('db2', ['192.0.2.22'])], { enforcement_mode: 'idle' }), plan([]), plan([peer('x', ['192.0.2.50'], { capable: false })])]) {
      const files = renderSwanctl(p, { psk: { current: KEY } });
      assert.equal(files.secrets, undefined);
      assert.match(files['swanctl.conf'], /^connections \{\n\}\n$/m);
      assert.doesNotMatch(files['swanctl.conf'], /secrets|include/);
    }
  });

  it('the PSK is only in the secrets text: current with both sides as ids, previous ranked below it', () => {
    const files = renderSwanctl(plan([peer('db2', ['192.0.2.22'])]), { psk: { current: KEY, previous: KEY2 } });
    assert.ok(!files['swanctl.conf'].includes(KEY) && !files['swanctl.conf'].includes(KEY2));
    assert.match(files['swanctl.conf'], /secrets \{\n\tinclude palisade-secrets\.conf\n\}/);
    assert.equal(files.secrets?.replace(/^#.*\n/, ''), `ike-wl-db2 {\n\tid-1 = 192.0.2.10\n\tid-2 = 2001:db8::10\n\tid-3 = 192.0.2.22\n\tsecret = "${KEY}"\n}\nike-wl-db2-previous {\n\tid-1 = 192.0.2.22\n\tsecret = "${KEY2}"\n}\n`);
  });

  it('refuses what it cannot render safely', () => {
    const p = plan([peer('db2', ['192.0.2.22'])]);
    throwsInvalid(() => renderSwanctl(p, {}), 'psk_required');
    throwsInvalid(() => renderSwanctl(p, { psk: { current: 'short' } }), 'invalid_psk');
    throwsInvalid(() => renderSwanctl(p, { psk: { current: `${KEY.slice(2)}"\n` } }), 'invalid_psk');
    const cert = plan([peer('db2', ['192.0.2.22'], { auth: { method: 'certificate', ca_identity: 'CN=CA' } })]);
    throwsInvalid(() => renderSwanctl(cert, {}), 'certificate_required');
    throwsInvalid(() => renderSwanctl(cert, { certificate: { identity: 'CN=me', ca: 'CN=Other', caFile: 'ca.pem' } }), 'certificate_ca_mismatch');
    throwsInvalid(() => renderSwanctl(cert, { certificate: { identity: 'CN=me"\n}', ca: 'CN=CA', caFile: 'ca.pem' } }), 'invalid_swanctl_value');
    throwsInvalid(() => renderSwanctl(cert, { certificate: { identity: 'CN=me', ca: 'CN=CA', caFile: '../../etc/passwd' } }), 'invalid_file_name');
  });

  it('certificates: pubkey, our DN as id, any identity the org CA vouches for; no CA identity means no connection', () => {
    const cert = plan([peer('db2', ['192.0.2.22'], { auth: { method: 'certificate', ca_identity: 'CN=CA, O=Example' } })]);
    const files = renderSwanctl(cert, { certificate: { identity: 'CN=me, O=Example', ca: 'CN=CA, O=Example', caFile: 'ca.pem', certFile: 'me.pem' } });
    assert.match(files['swanctl.conf'], /local \{\n\t\t\tauth = pubkey\n\t\t\tid = "CN=me, O=Example"\n\t\t\tcerts = me\.pem\n\t\t\}\n\t\tremote \{\n\t\t\tauth = pubkey\n\t\t\tid = %any\n\t\t\tcacerts = ca\.pem\n/);
    assert.equal(files.secrets, undefined, 'PEM files need no secret');
    const noCa = renderSwanctl(plan([peer('db2', ['192.0.2.22'], { auth: { method: 'certificate', ca_identity: null } })]), {});
    assert.match(noCa['swanctl.conf'], /^connections \{\n\}$/m);
  });
});

describe('Windows PowerShell', () => {
  const peers = [peer('db2', ['192.0.2.22']), peer('win2008', ['192.0.2.40'], { ike_version: 'ikev1' }), peer('aix', ['192.0.2.51'], { capable: false, ike_version: null })];

  it('removes only the Palisade group; blocks by default only in full', () => {
    for (const mode of ['idle', 'visibility_only', 'selective', 'full'] as const) {
      const script = renderWindows(plan(peers, { enforcement_mode: mode }), win);
      for (const line of script.split('\n').filter((l) => /^(Get|Remove)-Net/.test(l))) assert.ok(line.includes('-Group $Group') || line.includes("-like 'Palisade-*'"), line);
      const profile = script.split('\n').filter((l) => l.startsWith('Set-NetFirewallProfile'));
      assert.equal(profile.length, 1);
      assert.equal(profile[0]?.includes('-DefaultInboundAction Block -DefaultOutboundAction Block'), mode === 'full', mode);
      if (mode === 'idle') assert.doesNotMatch(script, /New-Net/);
    }
  });

  it('IPsec rules: transport, required both ways, IKEv1 only toward Windows 2008, incapable peers blocked by Require', () => {
    const script = renderWindows(plan(peers), win);
    const rules = script.split('\n').filter((l) => l.startsWith('New-NetIPsecRule'));
    assert.equal(rules.length, 3);
    for (const r of rules) assert.match(r, /-Mode Transport -Protocol Any .*-InboundSecurity Require -OutboundSecurity Require/);
    assert.match(rules[0] ?? '', /'192\.0\.2\.22' .*-KeyModule IKEv2/);
    assert.match(rules[1] ?? '', /'192\.0\.2\.40' .*-KeyModule IKEv1/);
    assert.match(rules[2] ?? '', /cannot do SecureConnect: blocked.*'192\.0\.2\.51'/);
    assert.match(script, /New-NetIPsecAuthProposal -Machine -PreSharedKey \(Get-Content -LiteralPath 'C:\\Palisade\\psk' -Raw\)\.Trim\(\)/);
    assert.equal(script.split('\n').filter((l) => l.includes('-Action Block')).length, 1, 'the one deny entry');
  });

  it('certificates by the CA DN; quotes in names cannot end the string', () => {
    const cert = plan([peer("o'brien\u2019s", ['192.0.2.22'], { auth: { method: 'certificate', ca_identity: "CN=O'Neil CA" } })]);
    const script = renderWindows(cert, { pce: ctx.pce });
    assert.match(script, /-Cert -Authority 'CN=O''Neil CA' -AuthorityType Root/);
    assert.match(script, /'Palisade SecureConnect o''brien\u2019\u2019s'/);
  });

  it('an empty address set gets no firewall rule (an empty -RemoteAddress would mean Any)', () => {
    const script = renderWindows(plan([], { address_sets: [{ name: 'ps_a', ipv4: [], ipv6: [], fqdns: [] }] }), win);
    assert.doesNotMatch(script, /-LocalPort '5432'/);
    assert.match(script, /no peer addresses \(yet\), no rule/);
  });
});

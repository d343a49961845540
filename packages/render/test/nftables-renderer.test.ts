/** The nftables renderer's rules beyond the goldens: names, scaling, deltas, refusals, log prefixes. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPalisadeError } from '@palisade/core';
import type { AddressSet, AllowEntry, DenyEntry, WorkloadPlan } from '@palisade/core/compute/index.ts';
import { nftSetName, nftSetStem, parseLogPrefix, renderNftables, renderSetDelta } from '../src/index.ts';
import type { LogDirection, LogReason, NftRenderContext } from '../src/index.ts';
import { loadScenarios } from './support/scenarios.ts';

const ctx: NftRenderContext = { pce: { addresses: ['192.0.2.1'], port: 8443 } };
const RULE = '/orgs/1/sec_policy/active/rule_sets/1/sec_rules/1';

function set(name: string, ipv4: string[] = [], ipv6: string[] = [], fqdns: string[] = []): AddressSet {
  return { name, ipv4, ipv6, fqdns };
}

function allow(peers: string, port = 443, sec_connect = false): AllowEntry {
  return { peers, services: [{ proto: 6, port }], rule: RULE, sec_connect };
}

function plan(over: Partial<WorkloadPlan> = {}): WorkloadPlan {
  return {
    workload: { id: 'wl-1', href: '/orgs/1/workloads/wl-1', name: 'one', os_type: 'linux', os_version: '', addresses: ['192.0.2.10'] },
    enforcement_mode: 'full',
    visibility_level: 'flow_summary',
    address_sets: [set('ps_a', ['192.0.2.20'])],
    inbound: [allow('ps_a')],
    outbound: [],
    deny_inbound: [],
    deny_outbound: [],
    secure_connect: { peers: [] },
    diagnostics: [],
    hash: 'aaaa',
    ...over,
  };
}

/** Rule lines in a chain (not headers, comments, set bodies). */
function rules(script: string): string[] {
  const out: string[] = [];
  let inChain = false;
  for (const line of script.split('\n')) {
    if (line.startsWith('\tchain ')) inChain = true;
    else if (line === '\t}') inChain = false;
    else if (inChain && !line.startsWith('\t\t#') && !line.startsWith('\t\ttype ')) out.push(line.trim());
  }
  return out;
}

function v4Peers(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
}

function throwsInvalid(fn: () => unknown, token: string): void {
  assert.throws(fn, (e: unknown) => isPalisadeError(e) && e.kind === 'invalid' && e.token === token);
}

describe('nft set names', () => {
  it('keeps engine names, so the same plan set is always the same nft set', () => {
    assert.equal(nftSetName('ps_0123456789abcdef', 4), 'ps_0123456789abcdef_v4');
    assert.equal(nftSetName('ps_0123456789abcdef', 6), 'ps_0123456789abcdef_v6');
  });

  it('single addresses go to a hash set, CIDRs and ranges to an interval set, both matched by the rule', () => {
    const script = renderNftables(plan({ address_sets: [set('ps_a', ['192.0.2.20', '192.0.2.64/26', '192.0.2.200-192.0.2.210', '198.51.100.7/32'], ['2001:db8::1'])] }), ctx);
    assert.match(script, /set ps_a_v4 \{\n\t\ttype ipv4_addr\n\t\telements = \{\n\t\t\t192\.0\.2\.20,\n\t\t\t198\.51\.100\.7\n\t\t\}/);
    assert.match(script, /set ps_a_n4 \{\n\t\ttype ipv4_addr\n\t\tflags interval\n\t\telements = \{\n\t\t\t192\.0\.2\.64\/26,\n\t\t\t192\.0\.2\.200-192\.0\.2\.210\n\t\t\}/);
    assert.match(script, /set ps_a_v6 \{\n\t\ttype ipv6_addr\n\t\telements = \{\n\t\t\t2001:db8::1\n/);
    assert.match(script, /set ps_a_n6 \{\n\t\ttype ipv6_addr\n\t\tflags interval\n\t\}/);
    for (const name of ['ps_a_v4', 'ps_a_n4']) assert.match(script, new RegExp(`ip saddr @${name} tcp dport 443 counter accept`));
    // Out of order and repeated: sorted and deduplicated (nft refuses a repeated element).
    const messy = renderNftables(plan({ address_sets: [set('ps_a', ['192.0.2.30', '192.0.2.20', '192.0.2.30'])] }), ctx);
    assert.match(messy, /set ps_a_v4 \{\n\t\ttype ipv4_addr\n\t\telements = \{\n\t\t\t192\.0\.2\.20,\n\t\t\t192\.0\.2\.30\n\t\t\}/);
  });

  it('hashes names that are not short identifiers, stably, within 31 characters', () => {
    const odd = ['ip list: Partners (EU)', '9lives', 'a__b', 'x'.repeat(29), 'ünïcode', '', 'a-b', 'a b'];
    const stems = odd.map(nftSetStem);
    for (const [i, stem] of stems.entries()) {
      assert.match(stem, /^[A-Za-z][A-Za-z0-9_]*__[0-9a-f]{16}$/, odd[i]);
      assert.ok(nftSetName(odd[i] ?? '', 6).length <= 31, stem);
      assert.equal(nftSetStem(odd[i] ?? ''), stem, 'stable');
    }
    assert.equal(new Set(stems).size, stems.length, 'distinct names stay distinct');
    assert.equal(nftSetStem('x'.repeat(28)), 'x'.repeat(28), 'the longest kept name');
  });
});

describe('renderNftables', () => {
  it('rule count follows plan entries, never peers (150k peers render: no argument-count limits)', () => {
    const few = renderNftables(plan({ address_sets: [set('ps_a', ['192.0.2.20'])] }), ctx);
    const peers = v4Peers(150000);
    const many = renderNftables(plan({ address_sets: [set('ps_a', peers, ['2001:db8::1', '2001:db8::3'])] }), ctx);
    assert.equal(rules(many).length, rules(few).length);
    assert.ok(many.length > 150000 * 8, 'the peers are in the set');
    const delta = renderSetDelta(plan({ address_sets: [set('ps_a', ['192.0.2.20'])] }), plan({ address_sets: [set('ps_a', peers)] }), ctx);
    assert.equal(delta?.split('\n').length, 150000 + 5);
    const three = renderNftables(plan({ inbound: [allow('ps_a', 22), allow('ps_a', 80), allow('ps_a', 443)] }), ctx);
    assert.equal(rules(three).length, rules(few).length + 8, 'two more entries, two families and two set kinds (hash, interval) each');
  });

  it('policy per mode, and idle installs nothing', () => {
    const policies = (mode: WorkloadPlan['enforcement_mode']): string[] => [...renderNftables(plan({ enforcement_mode: mode }), ctx).matchAll(/policy (\w+);/g)].map((m) => m[1] ?? '');
    // input, output, then the flow-accounting chains (always accept: they only count).
    assert.deepEqual(policies('full'), ['drop', 'drop', 'accept', 'accept']);
    assert.deepEqual(policies('selective'), ['accept', 'accept', 'accept', 'accept']);
    assert.deepEqual(policies('visibility_only'), ['accept', 'accept', 'accept', 'accept']);
    const idle = renderNftables(plan({ enforcement_mode: 'idle' }), ctx);
    assert.deepEqual(idle.split('\n').filter((l) => !l.startsWith('#') && l !== ''), ['table inet palisade', 'delete table inet palisade']);
  });

  it('loopback, established and the PCE come before any deny rule, in every enforcing mode', () => {
    const deny: DenyEntry = { peers: 'ps_all', services: [{ proto: -1 }], rule: RULE };
    for (const mode of ['visibility_only', 'selective', 'full'] as const) {
      const script = renderNftables(plan({ enforcement_mode: mode, address_sets: [set('ps_a', ['192.0.2.20']), set('ps_all', ['0.0.0.0/0'], ['::/0'])], deny_inbound: [deny], deny_outbound: [deny] }), ctx);
      const r = rules(script);
      const output = r.indexOf('oif "lo" accept');
      const chains = { input: r.slice(0, output), output: r.slice(output) };
      const musts = { input: ['iif "lo" accept', 'ct state established,related accept'], output: ['oif "lo" accept', 'ct state established,related accept', 'ip daddr 192.0.2.1 tcp dport 8443 accept'] };
      for (const name of ['input', 'output'] as const) {
        const firstDeny = chains[name].findIndex((l) => l.includes('@ps_all'));
        assert.ok(firstDeny > 0, `${mode} ${name}: has the deny`);
        for (const must of musts[name]) {
          const at = chains[name].indexOf(must);
          assert.ok(at !== -1 && at < firstDeny, `${mode} ${name}: ${must} before the deny`);
        }
      }
      assert.equal(r.includes('ct state invalid drop'), mode === 'full');
    }
  });

  it('deny rules drop in selective and full, only log in visibility_only', () => {
    const p = (mode: WorkloadPlan['enforcement_mode']): string =>
      renderNftables(plan({ enforcement_mode: mode, deny_inbound: [{ peers: 'ps_a', services: [{ proto: 6, port: 22 }], rule: RULE }] }), ctx);
    assert.match(p('full'), /ip saddr @ps_a_v4 tcp dport 22 counter log group 5 prefix "palisade-deny-in " drop/);
    assert.match(p('selective'), /ip saddr @ps_a_v4 tcp dport 22 counter log group 5 prefix "palisade-deny-in " drop/);
    assert.match(p('visibility_only'), /ip saddr @ps_a_v4 tcp dport 22 counter log group 6 prefix "palisade-pdeny-in " accept/);
    // The only drops in visibility_only are plaintext with SecureConnect peers (DESIGN §3 caveat).
    assert.deepEqual(p('visibility_only').split('\n').filter((l) => / drop/.test(l) && !l.includes('@sc_peers_')), []);
  });

  it('SecureConnect entries pass only as IPsec', () => {
    const script = renderNftables(plan({ inbound: [allow('ps_a', 5432, true)], outbound: [allow('ps_a', 5432, true)] }), ctx);
    assert.match(script, /ip saddr @ps_a_v4 tcp dport 5432 meta secpath exists counter accept/);
    assert.match(script, /ip daddr @ps_a_v4 tcp dport 5432 rt ipsec exists counter accept/);
  });

  it('FQDNs are left to the VEN; overlapping or unsorted items are merged, not refused', () => {
    const script = renderNftables(plan({ address_sets: [set('ps_a', ['10.0.0.5', '10.0.0.0/24', '10.0.1.0/24', '9.0.0.1-9.0.0.3'], ['2001:db8::1', '2001:db8::/127'], ['db.example.com'])] }), ctx);
    assert.doesNotMatch(script, /example/);
    assert.match(script, /\t\t\t9\.0\.0\.1-9\.0\.0\.3,\n\t\t\t10\.0\.0\.0\/23\n/);
    assert.match(script, /\t\t\t2001:db8::\/127\n/);
  });

  it('refuses what would put unchecked text or a lock-out into the script', () => {
    throwsInvalid(() => renderNftables(plan({ address_sets: [set('ps_a', ['localhost'])] }), ctx), 'invalid_address_set_item');
    throwsInvalid(() => renderNftables(plan({ address_sets: [set('ps_a', ['2001:db8::1'])] }), ctx), 'invalid_address_set_item');
    throwsInvalid(() => renderNftables(plan({ address_sets: [set('ps_a', ['10.0.0.1/8'])] }), ctx), 'invalid_address_set_item');
    throwsInvalid(() => renderNftables(plan({ address_sets: [set('ps_a', ['10.0.0.9-10.0.0.1'])] }), ctx), 'invalid_address_set_item');
    throwsInvalid(() => renderNftables(plan({ address_sets: [set('ps_a', ['10.0.0.1 }\n\tchain x {'])] }), ctx), 'invalid_address_set_item');
    throwsInvalid(() => renderNftables(plan({ inbound: [allow('ps_missing')] }), ctx), 'unknown_address_set');
    throwsInvalid(() => renderNftables(plan({ address_sets: [set('ps_a'), set('ps_a')] }), ctx), 'duplicate_address_set');
    throwsInvalid(() => renderNftables(plan({ inbound: [{ peers: 'ps_a', services: [{ proto: 6, port: 70000 }], rule: RULE, sec_connect: false }] }), ctx), 'invalid_service');
    throwsInvalid(() => renderNftables(plan(), { pce: { addresses: [], port: 8443 } }), 'pce_addresses_required');
    throwsInvalid(() => renderNftables(plan(), { pce: { addresses: ['pce.example.com'], port: 8443 } }), 'invalid_pce_address');
    throwsInvalid(() => renderNftables(plan(), { pce: { addresses: ['192.0.2.1'], port: 0 } }), 'invalid_pce_port');
    throwsInvalid(() => renderNftables(plan(), { ...ctx, table: 'x; flush ruleset' }), 'invalid_nft_table');
  });

  it('a rule href cannot break out of its comment', () => {
    const script = renderNftables(plan({ inbound: [{ ...allow('ps_a'), rule: '/orgs/1/x" drop\n#' }] }), ctx);
    assert.match(script, /comment "\/orgs\/1\/xdrop"\n/);
  });
});

describe('renderSetDelta', () => {
  const before = plan({ address_sets: [set('ps_a', ['192.0.2.20']), set('ps_b', [], ['2001:db8::1'])], outbound: [allow('ps_b', 53)] });
  const withSets = (sets: AddressSet[], over: Partial<WorkloadPlan> = {}): WorkloadPlan => ({ ...before, address_sets: sets, hash: 'bbbb', ...over });

  it('changes only the sets that changed, in one script: a hash set by the addresses that joined', () => {
    const delta = renderSetDelta(before, withSets([set('ps_a', ['192.0.2.20', '192.0.2.21']), set('ps_b', [], ['2001:db8::1'])]), ctx);
    assert.equal(delta, '# Palisade set delta aaaa -> bbbb: changes the members of changed sets of table inet palisade. Rendered by @palisade/render; do not edit.\nadd element inet palisade ps_a_v4 {\n\t192.0.2.21\n}\n');
  });

  it('a hash set loses and gains only what changed; an interval set is flushed and refilled', () => {
    const from = withSets([set('ps_a', ['192.0.2.20', '192.0.2.21', '192.0.2.22', '192.0.2.64/26']), set('ps_b', [], ['2001:db8::1'])]);
    const to = withSets([set('ps_a', ['192.0.2.20', '192.0.2.22', '192.0.2.23', '192.0.2.128/26']), set('ps_b', [], ['2001:db8::1'])]);
    assert.equal(
      renderSetDelta(from, to, ctx)?.split('\n').slice(1).join('\n'),
      'flush set inet palisade ps_a_n4\nadd element inet palisade ps_a_n4 {\n\t192.0.2.128/26\n}\ndelete element inet palisade ps_a_v4 {\n\t192.0.2.21\n}\nadd element inet palisade ps_a_v4 {\n\t192.0.2.23\n}\n',
    );
    // Most of the set replaced: one flush and the new members say it in fewer elements.
    const replaced = renderSetDelta(from, withSets([set('ps_a', ['192.0.2.30', '192.0.2.31', '192.0.2.64/26']), set('ps_b', [], ['2001:db8::1'])]), ctx);
    assert.equal(replaced?.split('\n').slice(1).join('\n'), 'flush set inet palisade ps_a_v4\nadd element inet palisade ps_a_v4 {\n\t192.0.2.30,\n\t192.0.2.31\n}\n');
  });

  it('an emptied set is only flushed', () => {
    const delta = renderSetDelta(before, withSets([set('ps_a', ['192.0.2.20']), set('ps_b')]), ctx);
    assert.equal(delta?.split('\n').slice(1).join('\n'), 'flush set inet palisade ps_b_v6\n');
  });

  it("'' when nothing the kernel holds changes (FQDNs, hash, two idle plans)", () => {
    assert.equal(renderSetDelta(before, withSets([set('ps_a', ['192.0.2.20'], [], ['x.example.com']), set('ps_b', [], ['2001:db8::1'])]), ctx), '');
    assert.equal(renderSetDelta(plan({ enforcement_mode: 'idle' }), plan({ enforcement_mode: 'idle', address_sets: [set('ps_a', ['192.0.2.99'])] }), ctx), '');
  });

  it('null whenever more than membership changed', () => {
    const sets = before.address_sets.slice();
    assert.equal(renderSetDelta(before, withSets(sets, { enforcement_mode: 'selective' }), ctx), null, 'mode');
    assert.equal(renderSetDelta(before, withSets(sets, { enforcement_mode: 'idle' }), ctx), null, 'to idle');
    assert.equal(renderSetDelta(plan({ enforcement_mode: 'idle' }), before, ctx), null, 'from idle');
    assert.equal(renderSetDelta(before, withSets([...sets, set('ps_c')]), ctx), null, 'a set added');
    assert.equal(renderSetDelta(before, withSets(sets, { inbound: [allow('ps_a', 22)] }), ctx), null, 'an entry changed');
    assert.equal(renderSetDelta(before, withSets(sets, { deny_outbound: [{ peers: 'ps_a', services: [{ proto: -1 }], rule: RULE }] }), ctx), null, 'a deny added');
    assert.equal(renderSetDelta(before, withSets(sets, { outbound: [allow('ps_b', 53, true)] }), ctx), null, 'sec_connect changed');
  });
});

describe('log prefixes', () => {
  it('round-trip, and every prefix in the goldens parses', () => {
    for (const reason of ['drop', 'deny', 'pdeny', 'pblk', 'clear'] as LogReason[]) {
      for (const direction of ['in', 'out'] as LogDirection[]) {
        const parsed = parseLogPrefix(`palisade-${reason}-${direction} `);
        assert.deepEqual(parsed, { reason, direction, decision: reason === 'drop' || reason === 'deny' || reason === 'clear' ? 'blocked' : 'potentially_blocked' });
      }
    }
    assert.equal(parseLogPrefix('in-drop '), undefined);
    const seen = new Set<string>();
    for (const s of loadScenarios()) {
      const text = readFileSync(join(s.dir, 'expected.nft'), 'utf8');
      for (const m of text.matchAll(/log group (\d+) prefix "([^"]*)"/g)) {
        const parsed = parseLogPrefix(m[2] ?? '');
        assert.ok(parsed, m[2]);
        assert.equal(Number(m[1]), parsed.decision === 'blocked' ? 5 : 6, m[0]);
        seen.add(parsed.reason);
      }
    }
    assert.deepEqual([...seen].sort(), ['clear', 'deny', 'drop', 'pblk', 'pdeny']);
  });
});

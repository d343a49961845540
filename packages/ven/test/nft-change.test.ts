/** The applier's least-work rendering (pure): set elements reused by identity, and which script a change takes. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildNftTable } from '@palisade/render/nftables/nft-table.ts';
import { buildTable, changeScript } from '../src/apply/nft-change.ts';
import { countScriptElements } from '../src/apply/nft-script-counts.ts';
import { ctx, testPlan } from './support/plans.ts';

const sets = { ps_0000000000000001: ['192.0.2.21', '192.0.2.20', '192.0.2.64/26'], ps_0000000000000002: ['192.0.2.40'] };
const first = testPlan({ sets, inbound: [{ peers: 'ps_0000000000000001', port: 443 }] });
const built = { plan: first, table: buildNftTable(first, ctx) };

describe('least-work rendering', () => {
  it('a table built from a plan that keeps the applied plan\'s set objects equals a fresh build, with those sets\' elements reused', () => {
    const [kept, changed] = first.address_sets;
    assert.ok(kept && changed);
    const next = { ...testPlan({ sets, inbound: [{ peers: 'ps_0000000000000001', port: 443 }, { peers: 'ps_0000000000000002', port: 22 }] }), address_sets: [kept, { ...changed, ipv4: ['192.0.2.41'] }] };
    const reused = buildTable(next, ctx, built);
    assert.deepEqual(reused, buildNftTable(next, ctx));
    const old = new Map(built.table?.sets.map((s) => [s.name, s]));
    for (const name of ['ps_0000000000000001_v4', 'ps_0000000000000001_n4', 'ps_0000000000000001_v6']) assert.equal(reused?.sets.find((s) => s.name === name), old.get(name), name);
    assert.notEqual(reused?.sets.find((s) => s.name === 'ps_0000000000000002_v4'), old.get('ps_0000000000000002_v4'));
    // Equal content in other objects is built afresh (identity is the only promise of "unchanged").
    assert.deepEqual(buildTable(testPlan({ sets }), ctx, built), buildNftTable(testPlan({ sets }), ctx));
  });

  it('members only: the set delta; rules too: a rules update that reloads no unchanged member; a new set: null (full replace)', () => {
    const members = testPlan({ sets: { ...sets, ps_0000000000000002: ['192.0.2.42'] }, inbound: [{ peers: 'ps_0000000000000001', port: 443 }] });
    const d = changeScript(built, { plan: members, table: buildNftTable(members, ctx) });
    assert.equal(d?.kind, 'delta');
    assert.equal(changeScript(built, { plan: { ...first, hash: 'ab' }, table: buildNftTable(first, ctx) })?.script, '');

    const rules = testPlan({ mode: 'selective', sets: { ...sets, ps_0000000000000002: ['192.0.2.42'] }, inbound: [{ peers: 'ps_0000000000000001', port: 443 }, { peers: 'ps_0000000000000002', port: 22 }] });
    const r = changeScript(built, { plan: rules, table: buildNftTable(rules, ctx) });
    assert.equal(r?.kind, 'rules');
    const script = r?.script ?? '';
    assert.match(script, /^flush chain inet palisade input$/m);
    assert.match(script, /^flush chain inet palisade output$/m, 'the policy of output changed with the mode');
    assert.match(script, /tcp dport 22 counter accept/);
    assert.doesNotMatch(script, /^\s*set /m, 'no set is declared again');
    assert.doesNotMatch(script, /192\.0\.2\.20/, 'unchanged members are not loaded again');
    // What the verify counts: the members of the applied sets, with the one member change.
    const loaded = countScriptElements(script, new Map([['ps_0000000000000002_v4', 1], ['ps_0000000000000001_v4', 2]]));
    assert.equal(loaded.get('ps_0000000000000002_v4'), 1);
    assert.equal(loaded.get('ps_0000000000000001_v4'), 2);

    const added = testPlan({ sets: { ...sets, ps_0000000000000003: ['192.0.2.50'] } });
    assert.equal(changeScript(built, { plan: added, table: buildNftTable(added, ctx) }), null);
    const idle = testPlan({ mode: 'idle', sets });
    assert.equal(changeScript(built, { plan: idle, table: null }), null);
  });
});

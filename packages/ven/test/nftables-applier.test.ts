/**
 * The applier against a real nft in a throwaway network namespace: swap, verify, roll back,
 * the check that diagnoses a refused swap, set delta, idle, tamper inspect (shallow and
 * deep) and restore.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPalisadeError } from '@palisade/core/errors.ts';
import { renderNftables } from '@palisade/render/nftables/nftables-renderer.ts';
import { buildNftTable } from '@palisade/render/nftables/nft-table.ts';
import { NftablesApplier } from '../src/apply/nftables-applier.ts';
import { parseLiveTable } from '../src/apply/nft-live-table.ts';
import { countScriptElements } from '../src/apply/nft-script-counts.ts';
import { Nft } from '../src/sys/nft.ts';
import { createNetns, deleteNetns, inNs, netnsUnavailable } from './support/netns.ts';
import { ctx, testPlan } from './support/plans.ts';

const skip = netnsUnavailable();

describe('nftables applier (real nft in a netns)', { skip }, () => {
  let ns = '';
  let nft: Nft;
  const ruleset = (): string => inNs(ns, 'nft', ['list', 'ruleset']);
  const setMembers = (name: string): string => inNs(ns, 'nft', ['list', 'set', 'inet', 'palisade', name]);

  before(() => {
    ns = createNetns('venapply');
    nft = new Nft({ command: ['ip', 'netns', 'exec', ns, 'nft'] });
    // Someone else's table: Palisade must never touch it.
    inNs(ns, 'nft', ['-f', '-'], 'table inet other {\n\tchain c {\n\t\ttype filter hook input priority 10; policy accept;\n\t\ttcp dport 9 counter accept\n\t}\n}\n');
  });
  after(() => deleteNetns(ns));

  it('idle on a clean host leaves nftables untouched', async () => {
    const a = new NftablesApplier({ nft });
    const beforeText = ruleset();
    const out = await a.apply(testPlan({ mode: 'idle' }), ctx);
    assert.equal(out.kind, 'nothing');
    assert.equal(ruleset(), beforeText);
  });

  it('full: swap and verify, no separate check pass; other tables kept; a second identical plan changes nothing', async () => {
    const a = new NftablesApplier({ nft });
    const plan = testPlan({ mode: 'full' });
    const out = await a.apply(plan, ctx);
    assert.equal(out.kind, 'full');
    assert.ok(out.timings['swap'] !== undefined && out.timings['verify'] !== undefined);
    assert.equal(out.timings['check'], undefined, 'nft -c runs only to diagnose a refused swap');
    const text = ruleset();
    assert.match(text, /table inet palisade/);
    assert.match(text, /table inet other/);
    assert.match(text, /policy drop/);
    assert.deepEqual(await a.inspect(), { ok: true });
    assert.equal((await a.apply({ ...plan, hash: 'ffff000000000001' }, ctx)).kind, 'unchanged');
  });

  it('a membership change goes as a set delta and is verified', async () => {
    const a = new NftablesApplier({ nft });
    await a.apply(testPlan({ sets: { ps_0000000000000001: ['192.0.2.20'] } }), ctx);
    const out = await a.apply(testPlan({ sets: { ps_0000000000000001: ['192.0.2.20', '192.0.2.30', '192.0.2.64/26'] } }), ctx);
    assert.equal(out.kind, 'delta');
    assert.match(setMembers('ps_0000000000000001_v4'), /192\.0\.2\.30/);
    assert.match(setMembers('ps_0000000000000001_n4'), /192\.0\.2\.64\/26/);
    assert.deepEqual(await a.inspect(), { ok: true });
    assert.deepEqual(await a.inspect({ deep: true }), { ok: true });
  });

  it('a rule or mode change with the same sets goes as a rules update: changed chains refilled, members kept, verified', async () => {
    const a = new NftablesApplier({ nft });
    const sets = { ps_0000000000000001: ['192.0.2.20', '192.0.2.64/26'], ps_0000000000000002: ['192.0.2.40'] };
    const first = testPlan({ sets, inbound: [{ peers: 'ps_0000000000000001', port: 443 }] });
    assert.equal((await a.apply(first, ctx)).kind, 'full');
    // The member set of a delivered delta is the base's own object (the decoder keeps it); here a copy of the plan keeps the objects too.
    const more = { ...testPlan({ sets, inbound: [{ peers: 'ps_0000000000000001', port: 443 }, { peers: 'ps_0000000000000002', port: 22 }] }), address_sets: first.address_sets };
    const out = await a.apply(more, ctx);
    assert.equal(out.kind, 'rules');
    assert.match(ruleset(), /tcp dport 22 counter packets \d+ bytes \d+ accept/);
    assert.match(setMembers('ps_0000000000000001_n4'), /192\.0\.2\.64\/26/);
    assert.deepEqual(await a.inspect(), { ok: true });
    assert.deepEqual(await a.inspect({ deep: true }), { ok: true });
    // Mode full → selective: the chains' policy changes in place, with the rules; members changed in the same file.
    const selective = testPlan({ mode: 'selective', sets: { ...sets, ps_0000000000000002: ['192.0.2.41'] }, inbound: [{ peers: 'ps_0000000000000001', port: 443 }, { peers: 'ps_0000000000000002', port: 22 }] });
    assert.equal((await a.apply(selective, ctx)).kind, 'rules');
    assert.doesNotMatch(ruleset(), /policy drop/);
    assert.match(setMembers('ps_0000000000000002_v4'), /192\.0\.2\.41/);
    assert.doesNotMatch(setMembers('ps_0000000000000002_v4'), /192\.0\.2\.40/);
    assert.deepEqual(await a.inspect({ deep: true }), { ok: true });
    // A set added: the full replace.
    const added = testPlan({ mode: 'selective', sets: { ...sets, ps_0000000000000003: ['192.0.2.50'] }, inbound: [{ peers: 'ps_0000000000000003', port: 443 }] });
    assert.equal((await a.apply(added, ctx)).kind, 'full');
    assert.deepEqual(await a.inspect({ deep: true }), { ok: true });
  });

  it('the terse listing and the full one give the same structure digest; only the full one has members', async () => {
    const a = new NftablesApplier({ nft });
    await a.apply(testPlan({ sets: { ps_0000000000000001: ['192.0.2.20', '192.0.2.64/26'], ps_0000000000000002: [] } }), ctx);
    const full = await a.readLive();
    const terse = await a.readShape();
    assert.ok(full && terse);
    assert.equal(terse.digest, full.digest);
    assert.equal(terse.membersDigest, null);
    assert.notEqual(full.membersDigest, null);
    assert.equal(terse.summary.sets.get('ps_0000000000000001_v4')?.elements, undefined);
    assert.deepEqual(full.summary.sets.get('ps_0000000000000001_v4')?.elements, ['192.0.2.20']);
    assert.deepEqual(full.summary.sets.get('ps_0000000000000001_n4')?.elements, ['192.0.2.64/26']);
    assert.equal(full.summary.sets.get('ps_0000000000000001_v4')?.interval, false, 'single addresses: a hash set');
    assert.equal(full.summary.sets.get('ps_0000000000000001_n4')?.interval, true, 'CIDRs and ranges: an interval set');
    assert.equal(a.current()?.digest, terse.digest);
    assert.equal(parseLiveTable(inNs(ns, 'nft', ['-j', '-t', 'list', 'ruleset']), 'no_such_table', false), null);
  });

  it('a member changed behind its back is seen by the deep check only, and restored', async () => {
    const a = new NftablesApplier({ nft });
    await a.apply(testPlan({ sets: { ps_0000000000000001: ['192.0.2.20', '192.0.2.21'] } }), ctx);
    assert.deepEqual(await a.inspect({ deep: true }), { ok: true });
    inNs(ns, 'nft', ['add', 'element', 'inet', 'palisade', 'ps_0000000000000001_v4', '{ 203.0.113.7 }']);
    assert.deepEqual(await a.inspect(), { ok: true }, 'the shallow check reads no members');
    const deep = await a.inspect({ deep: true });
    assert.deepEqual(deep, { ok: false, reason: "set ps_0000000000000001_v4 does not hold the plan's members" });
    assert.equal((await a.restore()).kind, 'full');
    assert.deepEqual(await a.inspect({ deep: true }), { ok: true });
    assert.doesNotMatch(setMembers('ps_0000000000000001_v4'), /203\.0\.113\.7/);
  });

  it('a set flushed behind the applier\'s back: a delta that deletes falls back to the full replace; one that only adds is caught by the deep check', async () => {
    const a = new NftablesApplier({ nft });
    await a.apply(testPlan({ sets: { ps_0000000000000001: ['192.0.2.20', '192.0.2.21', '192.0.2.22'] } }), ctx);
    inNs(ns, 'nft', ['flush', 'set', 'inet', 'palisade', 'ps_0000000000000001_v4']);
    // Deleting 192.0.2.21, which the kernel no longer holds: nft refuses the delta, the full replace runs.
    assert.equal((await a.apply(testPlan({ sets: { ps_0000000000000001: ['192.0.2.20', '192.0.2.22', '192.0.2.30'] } }), ctx)).kind, 'full');
    assert.deepEqual(await a.inspect({ deep: true }), { ok: true });
    inNs(ns, 'nft', ['flush', 'set', 'inet', 'palisade', 'ps_0000000000000001_v4']);
    // Only adding: nft takes it, and the set lacks what was flushed until the deep check (the daemon runs it on the flush's nft event) restores.
    assert.equal((await a.apply(testPlan({ sets: { ps_0000000000000001: ['192.0.2.20', '192.0.2.22', '192.0.2.30', '192.0.2.31'] } }), ctx)).kind, 'delta');
    assert.equal((await a.inspect({ deep: true })).ok, false);
    assert.equal((await a.restore()).kind, 'full');
    assert.deepEqual(await a.inspect({ deep: true }), { ok: true });
  });

  it('a set delta nft refuses (the table went away just before the swap) falls back to the full replace', async () => {
    // Real nft; the other actor deleting the table between the applier's look and its swap is real too.
    class RacingNft extends Nft {
      raced = false;
      override start(script: string): ReturnType<Nft['start']> {
        if (!this.raced && script.startsWith('# Palisade set delta')) {
          this.raced = true;
          inNs(ns, 'nft', ['delete', 'table', 'inet', 'palisade']);
        }
        return super.start(script);
      }
    }
    const racing = new RacingNft({ command: ['ip', 'netns', 'exec', ns, 'nft'] });
    const a = new NftablesApplier({ nft: racing });
    await a.apply(testPlan({ sets: { ps_0000000000000001: ['192.0.2.20'] } }), ctx);
    const out = await a.apply(testPlan({ sets: { ps_0000000000000001: ['192.0.2.20', '192.0.2.30'] } }), ctx);
    assert.equal(racing.raced, true);
    assert.equal(out.kind, 'full');
    assert.match(setMembers('ps_0000000000000001_v4'), /192\.0\.2\.30/);
    assert.deepEqual(await a.inspect({ deep: true }), { ok: true });
  });

  it('counts the elements a full script or a set delta loads', () => {
    const plan = testPlan({ sets: { ps_0000000000000001: ['192.0.2.20', '192.0.2.64/26', '192.0.2.200-192.0.2.210'], ps_0000000000000002: [] } });
    const counts = countScriptElements(renderNftables(plan, ctx));
    assert.equal(counts.get('ps_0000000000000001_v4'), 1);
    assert.equal(counts.get('ps_0000000000000001_n4'), 2);
    assert.equal(counts.get('ps_0000000000000002_v4'), 0);
    const table = buildNftTable(plan, ctx);
    assert.ok(table);
    for (const set of table.sets) assert.equal(counts.get(set.name), set.elements.length, set.name);
    const delta = 'flush set inet palisade a_v4\nadd element inet palisade a_v4 {\n\t10.0.0.1,\n\t10.0.0.2\n}\nflush set inet palisade b_v4\nadd element inet palisade c_v4 { 10.0.0.3, 10.0.0.4 }\n';
    assert.deepEqual(Object.fromEntries(countScriptElements(delta)), { a_v4: 2, b_v4: 0, c_v4: 2 });
    // A delta onto what is loaded: deletes count down, adds up, sets it does not touch keep their count.
    const proportional = 'delete element inet palisade a_v4 {\n\t10.0.0.1\n}\nadd element inet palisade a_v4 { 10.0.0.5, 10.0.0.6 }\n';
    assert.deepEqual(Object.fromEntries(countScriptElements(proportional, new Map([['a_v4', 10], ['d_v4', 4]]))), { a_v4: 11, d_v4: 4 });
  });

  it('a script nft refuses is never swapped in: the previous table stays', async () => {
    const good = new NftablesApplier({ nft });
    await good.apply(testPlan({ sets: { ps_0000000000000001: ['192.0.2.20'] } }), ctx);
    const applied = ruleset();
    const broken = new NftablesApplier({ nft, render: (p, c) => renderNftables(p, c).replace('policy drop;', 'policy sometimes;') });
    await assert.rejects(
      broken.apply(testPlan({ sets: { ps_0000000000000009: ['192.0.2.99'] } }), ctx),
      (e: unknown) => isPalisadeError(e) && e.token === 'nft_check_failed',
    );
    assert.equal(ruleset(), applied);
    const unchecked = new NftablesApplier({ nft, check: false, render: (p, c) => renderNftables(p, c).replace('policy drop;', 'policy sometimes;') });
    await assert.rejects(
      unchecked.apply(testPlan({ sets: { ps_0000000000000009: ['192.0.2.99'] } }), ctx),
      (e: unknown) => isPalisadeError(e) && e.token === 'nft_apply_failed',
    );
    assert.equal(ruleset(), applied);
  });

  it('a swap that loads something else than the plan fails verification and rolls back', async () => {
    let sabotage = false;
    // Whatever script the applier loads next (a full replace or a rules update), nft gets one rule more than the plan has; the rollback after it is left alone.
    class SabotagedNft extends Nft {
      override start(script: string): ReturnType<Nft['start']> {
        const swap = sabotage ? script.replace('\t\t# allow rules\n', '\t\t# allow rules\n\t\ttcp dport 31337 accept\n') : script;
        if (swap !== script) sabotage = false;
        return super.start(swap);
      }
    }
    const a = new NftablesApplier({ nft: new SabotagedNft({ command: ['ip', 'netns', 'exec', ns, 'nft'] }) });
    await a.apply(testPlan({ sets: { ps_0000000000000001: ['192.0.2.20'] }, inbound: [{ peers: 'ps_0000000000000001', port: 443 }] }), ctx);
    const good = ruleset();
    sabotage = true;
    await assert.rejects(
      a.apply(testPlan({ sets: { ps_0000000000000001: ['192.0.2.20'] }, inbound: [{ peers: 'ps_0000000000000001', port: 80 }] }), ctx),
      (e: unknown) => isPalisadeError(e) && e.token === 'nft_verify_failed',
    );
    assert.equal(ruleset(), good);
    assert.deepEqual(await a.inspect(), { ok: true });
  });

  it('tamper: a flushed ruleset or an added rule is seen and restored', async () => {
    const a = new NftablesApplier({ nft });
    await a.apply(testPlan({ mode: 'selective', denyInbound: [{ peers: 'ps_0000000000000001', port: 23 }] }), ctx);
    inNs(ns, 'nft', ['add', 'rule', 'inet', 'palisade', 'input', 'tcp', 'dport', '4444', 'accept']);
    const changed = await a.inspect();
    assert.equal(changed.ok, false);
    await a.restore();
    assert.deepEqual(await a.inspect(), { ok: true });
    inNs(ns, 'nft', ['flush', 'ruleset']);
    const gone = await a.inspect();
    assert.deepEqual(gone, { ok: false, reason: 'table inet palisade was removed' });
    assert.equal((await a.restore()).kind, 'full');
    assert.deepEqual(await a.inspect(), { ok: true });
  });

  it('idle after full removes the table and only it; removeTable is idempotent', async () => {
    inNs(ns, 'nft', ['add', 'table', 'inet', 'other']);
    const a = new NftablesApplier({ nft });
    await a.apply(testPlan({ mode: 'visibility_only' }), ctx);
    assert.equal((await a.apply(testPlan({ mode: 'idle' }), ctx)).kind, 'removed');
    assert.doesNotMatch(ruleset(), /table inet palisade/);
    assert.match(ruleset(), /table inet other/);
    await a.apply(testPlan({ mode: 'full' }), ctx);
    assert.equal(await a.removeTable(), true);
    assert.equal(await a.removeTable(), false);
  });
});

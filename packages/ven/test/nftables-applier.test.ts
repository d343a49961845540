/**
 * The applier against a real nft in a throwaway network namespace: check, swap, verify,
 * roll back, set delta, idle, tamper inspect and restore.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPalisadeError } from '@palisade/core/errors.ts';
import { renderNftables } from '@palisade/render/nftables/nftables-renderer.ts';
import { NftablesApplier } from '../src/apply/nftables-applier.ts';
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

  it('full: check, swap, verify; other tables kept; a second identical plan changes nothing', async () => {
    const a = new NftablesApplier({ nft });
    const plan = testPlan({ mode: 'full' });
    const out = await a.apply(plan, ctx);
    assert.equal(out.kind, 'full');
    assert.ok(out.timings['check'] !== undefined && out.timings['swap'] !== undefined && out.timings['verify'] !== undefined);
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
    const members = setMembers('ps_0000000000000001_v4');
    assert.match(members, /192\.0\.2\.30/);
    assert.match(members, /192\.0\.2\.64\/26/);
    assert.deepEqual(await a.inspect(), { ok: true });
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
    const a = new NftablesApplier({ nft, render: (p, c) => (sabotage ? renderNftables(p, c).replace('\t\t# allow rules\n', '\t\t# allow rules\n\t\ttcp dport 31337 accept\n') : renderNftables(p, c)) });
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

/** Delta deliveries (format: packages/pce/src/agents/delivery-delta.ts): decoded against the previous event of the connection, checked like full ones. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPalisadeError } from '@palisade/core/errors.ts';
import { DeliveryDecoder, parseDelivery } from '../src/channel/delivery.ts';
import { testPlan } from './support/plans.ts';

const pce = { addresses: ['192.0.2.254'], port: 8443 };
const full = (delivery: number, plan: unknown): string => JSON.stringify({ delivery, policy_version: 1, plan, pce, psk: null });
const delta = (delivery: number, base: number, plan: unknown): string => JSON.stringify({ delivery, policy_version: 2, base, plan, pce, psk: null });
const isInvalid = (token?: string) => (e: unknown): boolean => isPalisadeError(e) && e.kind === 'invalid' && (token === undefined || e.token === token);

describe('delivery decoder', () => {
  const sets = { ps_0000000000000001: ['192.0.2.20', '192.0.2.21'], ps_0000000000000002: ['192.0.2.30'] };
  const first = testPlan({ sets, inbound: [{ peers: 'ps_0000000000000001', port: 443 }] });

  it('decodes a delta into the whole plan: changed fields from the delta, the rest and named sets from the base', () => {
    const dec = new DeliveryDecoder();
    const a = dec.decode(full(10, first));
    assert.deepEqual(a.plan, first);
    const next = testPlan({ sets: { ...sets, ps_0000000000000002: ['192.0.2.31'] }, inbound: [{ peers: 'ps_0000000000000001', port: 443 }, { peers: 'ps_0000000000000002', port: 22 }] });
    const b = dec.decode(delta(11, 10, { hash: next.hash, inbound: next.inbound, address_sets: [{ name: 'ps_0000000000000001', same: true }, next.address_sets[1]] }));
    assert.equal(b.delivery, 11);
    assert.equal(b.policy_version, 2);
    assert.deepEqual(b.plan, next);
    // The unchanged set is the base's object itself: nothing re-parsed, and the applier can tell it did not change.
    assert.equal(b.plan.address_sets[0], a.plan.address_sets[0]);
    // No address_sets at all: every set is the base's.
    const c = dec.decode(delta(12, 11, { hash: 'c0ffee', enforcement_mode: 'selective' }));
    assert.deepEqual(c.plan, { ...next, enforcement_mode: 'selective', hash: 'c0ffee' });
    assert.equal(c.plan.address_sets[1], b.plan.address_sets[1]);
  });

  it('refuses a delta of a delivery it did not read last, and starts over after reset', () => {
    const dec = new DeliveryDecoder();
    assert.throws(() => dec.decode(delta(2, 1, { hash: 'x' })), isInvalid('delivery_base_unknown'));
    dec.decode(full(1, first));
    assert.throws(() => dec.decode(delta(3, 2, { hash: 'x' })), isInvalid('delivery_base_unknown'));
    dec.reset();
    assert.throws(() => dec.decode(delta(2, 1, { hash: 'x' })), isInvalid('delivery_base_unknown'));
    // A full delivery never needs a base; parseDelivery (no decoder) refuses deltas.
    assert.equal(dec.decode(full(4, first)).delivery, 4);
    assert.throws(() => parseDelivery(delta(5, 4, { hash: 'x' })), isInvalid('invalid_delivery'));
  });

  it('checks what a delta carries like a full plan, and keeps the last good delivery as the base', () => {
    const dec = new DeliveryDecoder();
    dec.decode(full(1, first));
    const bad: unknown[] = [
      { hash: 'x', inbound: 'nope' },
      { hash: 'x', enforcement_mode: 'paranoid' },
      { inbound: [] }, // no hash
      { hash: 'x', address_sets: [{ name: 'ps_0000000000000009', same: true }] },
      { hash: 'x', address_sets: [{ name: 'ps_0000000000000003', ipv4: [7], ipv6: [] }] },
      { hash: 'x', address_sets: 'ps_0000000000000001' },
      { hash: 'x', workload: null },
      'not an object',
    ];
    for (const plan of bad) assert.throws(() => dec.decode(delta(2, 1, plan)), isInvalid(), JSON.stringify(plan));
    for (const event of ['nope', '[]', JSON.stringify({ delivery: 2, base: -1, plan: { hash: 'x' } }), JSON.stringify({ delivery: 'two', base: 1, plan: { hash: 'x' } })]) {
      assert.throws(() => dec.decode(event), isInvalid(), event);
    }
    // None of those became the base.
    assert.equal(dec.decode(delta(2, 1, { hash: 'y' })).plan.hash, 'y');
  });
});

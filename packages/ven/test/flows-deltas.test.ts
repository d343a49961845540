/** Flow-set listings (nft 1.0.6 JSON) and the deltas between reads: counters only grow; an element that restarted counts from zero. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CounterTracker, parseFlowSetListing, type SetElement } from '../src/flows/flow-sets.ts';

// Shape as `nft -j list set inet palisade flows_in_v4` printed it on this machine.
const LISTING = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    {
      set: {
        family: 'inet', name: 'flows_in_v4', table: 'palisade', type: ['ipv4_addr', 'ipv4_addr', 'inet_proto', 'inet_service', 'inet_service'], handle: 4, size: 65535, flags: ['timeout'], timeout: 600,
        elem: [
          { elem: { val: { concat: ['198.51.100.2', '198.51.100.1', 'udp', 59131, 9998] }, expires: 597, counter: { packets: 1, bytes: 29 } } },
          { elem: { val: { concat: ['198.51.100.2', '198.51.100.1', 'tcp', 53142, 8080] }, expires: 597, counter: { packets: 4, bytes: 216 } } },
          { elem: { val: { concat: ['2001:db8:51:0::2', '2001:db8:51::1', 'tcp', 53142, 8080] }, expires: 597, counter: { packets: 2, bytes: 100 } } },
          { elem: { val: { concat: ['x', '198.51.100.1', 'tcp', 1, 2] }, counter: { packets: 1, bytes: 1 } } },
        ],
        stmt: [{ counter: null }],
      },
    },
  ],
});

const el = (sport: number, packets: number, bytes: number): SetElement => ({ src: '198.51.100.2', dst: '198.51.100.1', proto: 6, sport, dport: 8080, packets, bytes });

describe('flow sets', () => {
  it('parses elements: protocol names to numbers, addresses canonical, unknown shapes skipped', () => {
    assert.deepEqual(parseFlowSetListing(LISTING), [
      { src: '198.51.100.2', dst: '198.51.100.1', proto: 17, sport: 59131, dport: 9998, packets: 1, bytes: 29 },
      { src: '198.51.100.2', dst: '198.51.100.1', proto: 6, sport: 53142, dport: 8080, packets: 4, bytes: 216 },
      { src: '2001:db8:51::2', dst: '2001:db8:51::1', proto: 6, sport: 53142, dport: 8080, packets: 2, bytes: 100 },
    ]);
    assert.deepEqual(parseFlowSetListing('{"nftables": [{"set": {"name": "flows_in_v4"}}]}'), []);
  });

  it('first read: everything is new; then only growth, elements without traffic left out', () => {
    const t = new CounterTracker();
    assert.deepEqual(t.update([el(1, 4, 200), el(2, 1, 60)]), [
      { ...el(1, 4, 200), fresh: true },
      { ...el(2, 1, 60), fresh: true },
    ]);
    assert.deepEqual(t.update([el(1, 6, 300), el(2, 1, 60)]), [{ ...el(1, 2, 100), fresh: false }]);
    assert.deepEqual(t.update([el(1, 6, 300), el(2, 1, 60)]), []);
  });

  it('an element that disappeared and reappeared restarts from zero; lower counters mean a restart too', () => {
    const t = new CounterTracker();
    t.update([el(1, 10, 1000)]);
    assert.deepEqual(t.update([]), []);
    assert.deepEqual(t.update([el(1, 3, 150)]), [{ ...el(1, 3, 150), fresh: true }]);
    // Replaced between two reads (table swapped): fewer packets than before → all of it is new.
    assert.deepEqual(t.update([el(1, 2, 90)]), [{ ...el(1, 2, 90), fresh: true }]);
    t.reset();
    assert.deepEqual(t.update([el(1, 2, 90)]), [{ ...el(1, 2, 90), fresh: true }]);
  });
});

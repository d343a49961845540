/** Flow summaries from counter deltas and NFLOG packets, per visibility level (DESIGN §3). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FlowAggregator, type FlowRecord, type VisibilityLevel } from '../src/flows/flow-aggregator.ts';
import type { CounterDelta } from '../src/flows/flow-sets.ts';
import type { NflogPacket } from '../src/flows/nflog-pcap.ts';

const HOST = '198.51.100.1';
const PEER = '198.51.100.2';
const T = Date.UTC(2026, 0, 1);

const delta = (sport: number, dport: number, bytes: number, src = PEER, dst = HOST, proto = 6): CounterDelta => ({ src, dst, proto, sport, dport, packets: 1, bytes, fresh: true });
const logged = (prefix: string, sport: number, dport: number, proto = 6, ts = T + 1_000): NflogPacket => ({ ts, group: prefix.includes('drop') || prefix.includes('deny') ? 5 : 6, prefix, family: 4, src: PEER, dst: HOST, proto, sport, dport, length: 60 });

/** Allowed 8080 (two connections, both directions), blocked 9999 (two SYNs of one connection, one of another), potentially blocked 9090. */
function scenario(level: VisibilityLevel): FlowRecord[] {
  const a = new FlowAggregator((ip) => ip === HOST);
  a.addLogged(logged('palisade-drop-in ', 40000, 9999));
  a.addLogged(logged('palisade-drop-in ', 40000, 9999, 6, T + 2_000));
  a.addLogged(logged('palisade-deny-in ', 40001, 9999));
  a.addLogged(logged('palisade-pblk-in ', 40002, 9090));
  a.addLogged(logged('somebody-else ', 40003, 22));
  a.addCounters('in', [delta(50000, 8080, 300), delta(50001, 8080, 200), delta(40002, 9090, 70)], T, T + 10_000);
  a.addCounters('out', [delta(50000, 8080, 1000), delta(40002, 9090, 50)], T, T + 10_000);
  // An outbound connection of the host: the reply counted in `in`, the request in `out`.
  a.addCounters('in', [delta(45000, 443, 5000, HOST, '203.0.113.9')], T, T + 10_000);
  return a.drain(level, T + 10_000).sort((x, y) => (x.dst_port ?? 0) - (y.dst_port ?? 0));
}

describe('flow aggregation and visibility levels', () => {
  it('flow_off reports nothing', () => {
    assert.deepEqual(scenario('flow_off'), []);
  });

  it('flow_drops: blocked connections only, no bytes', () => {
    const f = scenario('flow_drops');
    assert.deepEqual(f, [{ src_ip: PEER, dst_ip: HOST, proto: 6, dst_port: 9999, direction: 'inbound', first_seen: new Date(T + 1_000).toISOString(), last_seen: new Date(T + 2_000).toISOString(), connections: 2, state: 'blocked' }]);
  });

  it('flow_summary: blocked, potentially blocked and allowed, directions from the host addresses, no bytes', () => {
    const f = scenario('flow_summary');
    assert.deepEqual(f.map((x) => [x.dst_port, x.direction, x.state, x.connections]), [
      [443, 'outbound', 'allowed', 1],
      [8080, 'inbound', 'allowed', 2],
      [9090, 'inbound', 'potentially_blocked', 1],
      [9999, 'inbound', 'blocked', 2],
    ]);
    assert.ok(f.every((x) => x.bytes_in === undefined && x.bytes_out === undefined));
    assert.ok(!f.some((x) => x.dst_port === 22), 'a prefix that is not Palisade\'s is ignored');
  });

  it('enhanced_data_collection: the same with bytes in and out (blocked: what NFLOG saw)', () => {
    const f = scenario('enhanced_data_collection');
    assert.deepEqual(f.map((x) => [x.dst_port, x.bytes_in, x.bytes_out]), [
      [443, 5000, 0],
      [8080, 500, 1000],
      [9090, 70, 50],
      [9999, 180, 0],
    ]);
  });

  it('ICMP echo from the sets: no port, one connection per echo id; a potentially blocked ping is reported once, with that state', () => {
    const a = new FlowAggregator((ip) => ip === HOST);
    a.addLogged({ ts: T, group: 6, prefix: 'palisade-pblk-in ', family: 4, src: PEER, dst: HOST, proto: 1, icmp: { type: 8, code: 0, id: 0x1234 }, length: 84 });
    a.addCounters('in', [delta(0x1234, 8 << 8, 252, PEER, HOST, 1)], T, T + 10_000);
    a.addCounters('out', [delta(0x1234, 8 << 8, 252, PEER, HOST, 1)], T, T + 10_000);
    a.addCounters('in', [delta(7, 8 << 8, 84, PEER, HOST, 1)], T, T + 10_000);
    const f = a.drain('enhanced_data_collection', T + 10_000);
    assert.deepEqual(f.map((x) => [x.proto, x.dst_port, x.state, x.connections, x.bytes_in, x.bytes_out]), [
      [1, undefined, 'potentially_blocked', 1, 252, 252],
      [1, undefined, 'allowed', 1, 84, 0],
    ]);
  });

  it('drain starts a new interval; ICMP flows have no port', () => {
    const a = new FlowAggregator((ip) => ip === HOST);
    a.addLogged({ ts: T, group: 5, prefix: 'palisade-drop-out ', family: 4, src: HOST, dst: PEER, proto: 1, length: 84 });
    const [icmp] = a.drain('flow_summary', T + 1);
    assert.deepEqual(icmp && { p: icmp.proto, port: icmp.dst_port, dir: icmp.direction, state: icmp.state, n: icmp.connections }, { p: 1, port: undefined, dir: 'outbound', state: 'blocked', n: 1 });
    assert.deepEqual(a.drain('flow_summary', T + 2), []);
  });
});

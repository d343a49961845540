/**
 * The NFLOG/pcap parser on real captures: `fixtures/nflog-group{5,6}.pcap` were written by
 * `tcpdump -i nflog:N -U -w` in a network namespace (198.51.100.0/24, 2001:db8:51::/64) while
 * nft logged a TCP SYN to a dropped port (group 5, `palisade-drop-in `) and UDP datagrams that a
 * `palisade-pblk-in ` rule passed (group 6), over IPv4 and IPv6.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NflogPcapStream, parseIpPacket, type NflogPacket } from '../src/flows/nflog-pcap.ts';

const fixture = (name: string): Buffer => readFileSync(join(import.meta.dirname, 'fixtures', name));

function parseAll(buf: Buffer, chunk = buf.length): { packets: NflogPacket[]; errors: string[] } {
  const packets: NflogPacket[] = [];
  const errors: string[] = [];
  const s = new NflogPcapStream((p) => packets.push(p), (e) => errors.push(e));
  for (let i = 0; i < buf.length; i += chunk) s.push(buf.subarray(i, i + chunk));
  return { packets, errors };
}

describe('NFLOG pcap parser', () => {
  it('group 5: blocked TCP SYNs, IPv4 and IPv6, with prefix, group, ports and length', () => {
    const { packets, errors } = parseAll(fixture('nflog-group5.pcap'));
    assert.deepEqual(errors, []);
    assert.equal(packets.length, 2);
    const [v4, v6] = packets as [NflogPacket, NflogPacket];
    assert.deepEqual({ ...v4, ts: 0, sport: 0 }, { ts: 0, group: 5, prefix: 'palisade-drop-in ', family: 4, src: '198.51.100.2', dst: '198.51.100.1', proto: 6, sport: 0, dport: 9999, length: 60 });
    assert.ok((v4.sport ?? 0) > 1024);
    assert.equal(v6.family, 6);
    assert.equal(v6.src, '2001:db8:51::2');
    assert.equal(v6.dst, '2001:db8:51::1');
    assert.equal(v6.proto, 6);
    assert.equal(v6.dport, 9999);
    assert.equal(v6.length, 80);
    // Capture time, in ms: the sample is from 2026.
    assert.ok(v4.ts > Date.UTC(2026, 0, 1) && v4.ts < Date.UTC(2027, 0, 1), String(v4.ts));
  });

  it('group 6: potentially blocked UDP, IPv4 and IPv6', () => {
    const { packets } = parseAll(fixture('nflog-group6.pcap'));
    assert.deepEqual(packets.map((p) => [p.group, p.prefix, p.family, p.proto, p.dport, p.length]), [
      [6, 'palisade-pblk-in ', 4, 17, 9998, 29],
      [6, 'palisade-pblk-in ', 6, 17, 9998, 49],
    ]);
  });

  it('gives the same packets however the stream is cut into chunks', () => {
    const whole = parseAll(fixture('nflog-group5.pcap')).packets;
    for (const chunk of [1, 3, 7, 16, 25, 100]) assert.deepEqual(parseAll(fixture('nflog-group5.pcap'), chunk).packets, whole, `chunks of ${chunk}`);
  });

  it('refuses a stream that is not NFLOG pcap, once', () => {
    const ether = Buffer.from(fixture('nflog-group5.pcap'));
    ether.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
    const { packets, errors } = parseAll(ether);
    assert.equal(packets.length, 0);
    assert.equal(errors.length, 1);
    assert.match(errors[0] ?? '', /not NFLOG/);
    assert.equal(parseAll(Buffer.from('hello, this is not a pcap file at all')).errors.length, 1);
  });

  it('ICMP has no ports but type, code and echo id; a later IPv4 fragment has no ports', () => {
    const icmp = Buffer.alloc(28);
    icmp[0] = 0x45;
    icmp.writeUInt16BE(28, 2);
    icmp[9] = 1;
    icmp.set([198, 51, 100, 2], 12);
    icmp.set([198, 51, 100, 1], 16);
    icmp[20] = 8; // echo request
    icmp.writeUInt16BE(0x1234, 24);
    assert.deepEqual(parseIpPacket(icmp), { family: 4, src: '198.51.100.2', dst: '198.51.100.1', proto: 1, length: 28, icmp: { type: 8, code: 0, id: 0x1234 } });
    const frag = Buffer.from(icmp);
    frag[9] = 17;
    frag.writeUInt16BE(100, 6); // fragment offset 100
    assert.equal(parseIpPacket(frag)?.dport, undefined);
    assert.equal(parseIpPacket(Buffer.from([0x45, 0])), undefined);
  });
});

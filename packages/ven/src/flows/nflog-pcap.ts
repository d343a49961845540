/**
 * NFLOG packets from `tcpdump -i nflog:N -U -w -`, parsed in plain JS (LAB.md: no native
 * addons): a pcap stream (global header, then records) with link type 239 (LINKTYPE_NFLOG),
 * each record a 4-byte NFLOG header (address family, version, group in network order) and TLVs
 * (length and type in the capturing host's byte order, padded to 4 bytes): NFULA_PREFIX (10) is
 * the log prefix, NFULA_PAYLOAD (9) the IP packet. Only what the collector needs is read from
 * the packet: addresses, protocol, ports, length.
 */
import { formatIp } from '@palisade/core/ip.ts';
import type { Family } from '@palisade/core/ip.ts';

export const LINKTYPE_NFLOG = 239;
const NFULA_PAYLOAD = 9;
const NFULA_PREFIX = 10;

export interface NflogPacket {
  /** Milliseconds since the epoch (the capture time). */
  readonly ts: number;
  readonly group: number;
  readonly prefix: string;
  readonly family: Family;
  readonly src: string;
  readonly dst: string;
  /** IANA protocol number. */
  readonly proto: number;
  readonly sport?: number;
  readonly dport?: number;
  /** ICMP / ICMPv6: type, code and the echo identifier (what conntrack keys an echo on). */
  readonly icmp?: { readonly type: number; readonly code: number; readonly id: number };
  /** The IP packet's length (header included). */
  readonly length: number;
}

function address(buf: Buffer, at: number, family: Family): string {
  let v = 0n;
  for (let i = 0; i < (family === 4 ? 4 : 16); i++) v = (v << 8n) | BigInt(buf[at + i] ?? 0);
  return formatIp(family, v);
}

const PORTED = new Set([6, 17, 132, 33]); // tcp, udp, sctp, dccp
const V6_EXTENSIONS = new Set([0, 43, 60]); // hop-by-hop, routing, destination options (fragment handled apart)

/** The fields of an IP packet, or undefined when it is too short or not IP. */
export function parseIpPacket(p: Buffer): Omit<NflogPacket, 'ts' | 'group' | 'prefix'> | undefined {
  const version = (p[0] ?? 0) >> 4;
  let proto: number;
  let l4: number;
  let family: Family;
  let length: number;
  let fragment = false;
  let src: string;
  let dst: string;
  if (version === 4 && p.length >= 20) {
    family = 4;
    l4 = ((p[0] ?? 0) & 0x0f) * 4;
    proto = p[9] ?? 0;
    length = p.readUInt16BE(2);
    fragment = (p.readUInt16BE(6) & 0x1fff) !== 0;
    src = address(p, 12, 4);
    dst = address(p, 16, 4);
  } else if (version === 6 && p.length >= 40) {
    family = 6;
    proto = p[6] ?? 0;
    length = p.readUInt16BE(4) + 40;
    src = address(p, 8, 6);
    dst = address(p, 24, 6);
    l4 = 40;
    while (l4 + 8 <= p.length) {
      if (V6_EXTENSIONS.has(proto)) {
        const next = p[l4] ?? 0;
        l4 += ((p[l4 + 1] ?? 0) + 1) * 8;
        proto = next;
      } else if (proto === 44) {
        fragment = (p.readUInt16BE(l4 + 2) & 0xfff8) !== 0;
        proto = p[l4] ?? 0;
        l4 += 8;
      } else break;
    }
  } else return undefined;
  const base = { family, src, dst, proto, length };
  if ((proto === 1 || proto === 58) && !fragment && l4 + 8 <= p.length) return { ...base, icmp: { type: p[l4] ?? 0, code: p[l4 + 1] ?? 0, id: p.readUInt16BE(l4 + 4) } };
  if (!PORTED.has(proto) || fragment || l4 + 4 > p.length) return base;
  return { ...base, sport: p.readUInt16BE(l4), dport: p.readUInt16BE(l4 + 2) };
}

/** One NFLOG record (the pcap record's data) → packet, or undefined when it has no IP payload. */
export function parseNflogRecord(rec: Buffer, ts: number, littleEndian: boolean): NflogPacket | undefined {
  if (rec.length < 4) return undefined;
  const group = rec.readUInt16BE(2);
  let prefix = '';
  let payload: Buffer | undefined;
  let at = 4;
  while (at + 4 <= rec.length) {
    const len = littleEndian ? rec.readUInt16LE(at) : rec.readUInt16BE(at);
    const type = (littleEndian ? rec.readUInt16LE(at + 2) : rec.readUInt16BE(at + 2)) & 0x7fff;
    if (len < 4 || at + len > rec.length) break;
    const value = rec.subarray(at + 4, at + len);
    if (type === NFULA_PREFIX) {
      const nul = value.indexOf(0);
      prefix = value.subarray(0, nul === -1 ? value.length : nul).toString('latin1');
    } else if (type === NFULA_PAYLOAD) payload = value;
    at += (len + 3) & ~3;
  }
  if (!payload) return undefined;
  const ip = parseIpPacket(payload);
  return ip ? { ts, group, prefix, ...ip } : undefined;
}

/**
 * Incremental pcap reader: feed it stdout chunks as they come, it calls `onPacket` for every
 * complete NFLOG record. A stream that is not pcap or not NFLOG is reported once through
 * `onError` and ignored from then on.
 */
export class NflogPcapStream {
  private buf: Buffer = Buffer.alloc(0);
  private header: { le: boolean; nanos: boolean } | undefined;
  private broken = false;

  constructor(
    private readonly onPacket: (p: NflogPacket) => void,
    private readonly onError: (message: string) => void = () => undefined,
  ) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (!this.header) {
      if (this.buf.length < 24) return;
      const magic = this.buf.readUInt32LE(0);
      const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
      const be = magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1;
      if (!le && !be) return this.fail(`not a pcap stream (magic ${magic.toString(16)})`);
      const nanos = le ? magic === 0xa1b23c4d : magic === 0x4d3cb2a1;
      const linkType = (le ? this.buf.readUInt32LE(20) : this.buf.readUInt32BE(20)) & 0x0fffffff;
      if (linkType !== LINKTYPE_NFLOG) return this.fail(`pcap link type ${linkType}, not NFLOG (${LINKTYPE_NFLOG})`);
      this.header = { le, nanos };
      this.buf = this.buf.subarray(24);
    }
    const { le, nanos } = this.header;
    let at = 0;
    while (at + 16 <= this.buf.length) {
      const sec = le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
      const frac = le ? this.buf.readUInt32LE(at + 4) : this.buf.readUInt32BE(at + 4);
      const incl = le ? this.buf.readUInt32LE(at + 8) : this.buf.readUInt32BE(at + 8);
      if (incl > 1 << 20) return this.fail(`pcap record of ${incl} bytes`);
      if (at + 16 + incl > this.buf.length) break;
      const ts = sec * 1000 + Math.floor(nanos ? frac / 1e6 : frac / 1e3);
      const p = parseNflogRecord(this.buf.subarray(at + 16, at + 16 + incl), ts, le);
      if (p) this.onPacket(p);
      at += 16 + incl;
    }
    // Copy the rest: a subarray would keep every past chunk alive.
    this.buf = at === 0 ? this.buf : Buffer.from(this.buf.subarray(at));
  }

  private fail(message: string): void {
    this.broken = true;
    this.buf = Buffer.alloc(0);
    this.onError(message);
  }
}

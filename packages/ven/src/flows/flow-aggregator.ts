/**
 * Turns what the kernel tells the collector — counter deltas of the flow sets (allowed
 * traffic), NFLOG packets of groups 5 and 6 (blocked, potentially blocked) — into flow
 * summaries for `POST /api/v2/agent/flows` (docs/agent-channel.md), one per (src, dst, proto,
 * dst port, direction, state) and interval, filtered by the workload's visibility level
 * (DESIGN §3): `flow_off` nothing, `flow_drops` blocked only, `flow_summary` blocked and the
 * rest, `enhanced_data_collection` the same with bytes.
 */
import { parseLogPrefix } from '@palisade/render/nftables/log-prefixes.ts';
import { connKeyString, type CounterDelta } from './flow-sets.ts';
import type { NflogPacket } from './nflog-pcap.ts';

export type VisibilityLevel = 'flow_off' | 'flow_drops' | 'flow_summary' | 'enhanced_data_collection';
export type FlowState = 'allowed' | 'blocked' | 'potentially_blocked';
export type FlowDirection = 'inbound' | 'outbound';

/** One flow as the ingest contract has it. */
export interface FlowRecord {
  readonly src_ip: string;
  readonly dst_ip: string;
  readonly proto: number;
  readonly dst_port?: number;
  readonly direction: FlowDirection;
  readonly first_seen: string;
  readonly last_seen: string;
  readonly connections: number;
  readonly state: FlowState;
  readonly bytes_in?: number;
  readonly bytes_out?: number;
}

/** Protocols whose flows carry a destination port (the contract requires one for them). */
export const PORTED_PROTOCOLS: ReadonlySet<number> = new Set([6, 17, 132]);

interface Entry {
  src: string;
  dst: string;
  proto: number;
  dport: number | undefined;
  direction: FlowDirection;
  state: FlowState;
  first: number;
  last: number;
  conns: Set<string>;
  bytesIn: number;
  bytesOut: number;
}

/** How long a connection NFLOG marked `potentially_blocked` keeps that state for its set counters (the sets' own timeout). */
const MARK_TTL_MS = 10 * 60_000;

export function includedAt(level: VisibilityLevel, state: FlowState): boolean {
  if (level === 'flow_off') return false;
  if (level === 'flow_drops') return state === 'blocked';
  return true;
}

export class FlowAggregator {
  private entries = new Map<string, Entry>();
  /** Connections (set key) that NFLOG group 6 logged: their counters belong to a potentially blocked flow. */
  private readonly marks = new Map<string, number>();
  private logged = 0;

  constructor(private readonly isLocal: (ip: string) => boolean) {}

  private entry(src: string, dst: string, proto: number, dport: number | undefined, direction: FlowDirection, state: FlowState, from: number, to: number): Entry {
    const key = `${src}|${dst}|${proto}|${dport ?? ''}|${direction}|${state}`;
    let e = this.entries.get(key);
    if (!e) {
      e = { src, dst, proto, dport, direction, state, first: from, last: to, conns: new Set(), bytesIn: 0, bytesOut: 0 };
      this.entries.set(key, e);
    }
    if (from < e.first) e.first = from;
    if (to > e.last) e.last = to;
    return e;
  }

  /** A packet from NFLOG group 5 or 6; packets whose prefix is not Palisade's are ignored. */
  addLogged(p: NflogPacket): void {
    const meaning = parseLogPrefix(p.prefix);
    if (!meaning) return;
    const ported = PORTED_PROTOCOLS.has(p.proto);
    if (ported && p.dport === undefined) return; // a later fragment: its first fragment was logged
    const conn = ported ? connKeyString({ src: p.src, dst: p.dst, proto: p.proto, sport: p.sport ?? 0, dport: p.dport ?? 0 }) : `log-${this.logged++}`;
    if (meaning.decision === 'potentially_blocked') {
      // The packet passed: the flow sets count this connection (TCP, UDP, ICMP echo) and report it with this state.
      if (p.proto === 6 || p.proto === 17) {
        this.marks.set(conn, p.ts);
        return;
      }
      const echo = p.icmp && ((p.proto === 1 && p.icmp.type === 8) || (p.proto === 58 && p.icmp.type === 128)) ? p.icmp : undefined;
      if (echo) {
        this.marks.set(connKeyString({ src: p.src, dst: p.dst, proto: p.proto, sport: echo.id, dport: (echo.type << 8) | echo.code }), p.ts);
        return;
      }
    }
    const e = this.entry(p.src, p.dst, p.proto, ported ? p.dport : undefined, meaning.direction === 'in' ? 'inbound' : 'outbound', meaning.decision, p.ts, p.ts);
    e.conns.add(conn);
    if (meaning.direction === 'in') e.bytesIn += p.length;
    else e.bytesOut += p.length;
  }

  /** Counter growth of one flow set (`in`: bytes the host received, `out`: sent) between `from` and `to` (ms). */
  addCounters(hook: 'in' | 'out', deltas: readonly CounterDelta[], from: number, to: number): void {
    for (const d of deltas) {
      const conn = connKeyString(d);
      const state: FlowState = this.marks.has(conn) ? 'potentially_blocked' : 'allowed';
      const direction: FlowDirection = this.isLocal(d.dst) ? 'inbound' : 'outbound';
      const e = this.entry(d.src, d.dst, d.proto, PORTED_PROTOCOLS.has(d.proto) ? d.dport : undefined, direction, state, from, to);
      e.conns.add(conn);
      if (hook === 'in') e.bytesIn += d.bytes;
      else e.bytesOut += d.bytes;
    }
  }

  /** The flows gathered since the last drain, as the visibility level allows; starts a new interval. */
  drain(level: VisibilityLevel, now: number): FlowRecord[] {
    const entries = [...this.entries.values()];
    this.entries = new Map();
    for (const [conn, at] of this.marks) if (now - at > MARK_TTL_MS) this.marks.delete(conn);
    const bytes = level === 'enhanced_data_collection';
    const out: FlowRecord[] = [];
    for (const e of entries) {
      if (!includedAt(level, e.state) || e.conns.size === 0) continue;
      const first = Math.min(e.first, e.last);
      out.push({
        src_ip: e.src,
        dst_ip: e.dst,
        proto: e.proto,
        ...(e.dport === undefined ? {} : { dst_port: e.dport }),
        direction: e.direction,
        first_seen: new Date(first).toISOString(),
        last_seen: new Date(e.last).toISOString(),
        connections: e.conns.size,
        state: e.state,
        ...(bytes ? { bytes_in: e.bytesIn, bytes_out: e.bytesOut } : {}),
      });
    }
    return out;
  }
}

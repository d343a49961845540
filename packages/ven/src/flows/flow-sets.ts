/**
 * The flow-accounting sets as the kernel holds them (`nft -j list set inet palisade
 * flows_in_v4`, see `@palisade/render` nft-flow-accounting.ts) and the deltas between two
 * reads. nft 1.0.6 cannot reset a set's counters, so every read returns totals: an element's
 * counters only grow while it lives; one that vanished (timeout, table replaced) and came
 * back starts again from zero, which shows as counters lower than last time.
 */
import { formatIp, parseIp } from '@palisade/core/ip.ts';

/** One connection as the set keys it: the conntrack original tuple. */
export interface ConnKey {
  readonly src: string;
  readonly dst: string;
  readonly proto: number;
  readonly sport: number;
  readonly dport: number;
}

export interface SetElement extends ConnKey {
  readonly packets: number;
  readonly bytes: number;
}

const PROTO_NUMBERS: Readonly<Record<string, number>> = { tcp: 6, udp: 17, sctp: 132, dccp: 33, icmp: 1, 'ipv6-icmp': 58, icmpv6: 58 };

function canonicalIp(s: unknown): string | undefined {
  if (typeof s !== 'string') return undefined;
  const a = parseIp(s);
  return a ? formatIp(a.family, a.value) : undefined;
}

export function connKeyString(k: ConnKey): string {
  return `${k.src}|${k.dst}|${k.proto}|${k.sport}|${k.dport}`;
}

/** Elements of one `nft -j list set` answer; shapes this code does not know are skipped. */
export function parseFlowSetListing(jsonText: string): SetElement[] {
  const doc = JSON.parse(jsonText) as { nftables?: unknown };
  const out: SetElement[] = [];
  for (const item of Array.isArray(doc.nftables) ? (doc.nftables as unknown[]) : []) {
    const set = (item as { set?: { elem?: unknown } }).set;
    if (!set || !Array.isArray(set.elem)) continue;
    for (const e of set.elem as unknown[]) {
      const elem = (e as { elem?: { val?: { concat?: unknown }; counter?: { packets?: unknown; bytes?: unknown } } }).elem;
      const concat = elem?.val?.concat;
      if (!Array.isArray(concat) || concat.length !== 5) continue;
      const [s, d, p, sp, dp] = concat as unknown[];
      const src = canonicalIp(s);
      const dst = canonicalIp(d);
      const proto = typeof p === 'number' ? p : typeof p === 'string' ? PROTO_NUMBERS[p] : undefined;
      const packets = elem?.counter?.packets;
      const bytes = elem?.counter?.bytes;
      if (!src || !dst || proto === undefined || typeof sp !== 'number' || typeof dp !== 'number' || typeof packets !== 'number' || typeof bytes !== 'number') continue;
      out.push({ src, dst, proto, sport: sp, dport: dp, packets, bytes });
    }
  }
  return out;
}

export interface CounterDelta extends ConnKey {
  readonly packets: number;
  readonly bytes: number;
  /** Not in the previous read (a new connection, or one whose element restarted). */
  readonly fresh: boolean;
}

/** Totals of the last read of one set → the growth since then. */
export class CounterTracker {
  private last = new Map<string, { packets: number; bytes: number }>();

  /** Deltas since the previous call (everything, the first time); elements without traffic are left out. */
  update(elements: readonly SetElement[]): CounterDelta[] {
    const next = new Map<string, { packets: number; bytes: number }>();
    const out: CounterDelta[] = [];
    for (const e of elements) {
      const key = connKeyString(e);
      next.set(key, { packets: e.packets, bytes: e.bytes });
      const prev = this.last.get(key);
      const restarted = prev !== undefined && (e.packets < prev.packets || e.bytes < prev.bytes);
      const packets = prev && !restarted ? e.packets - prev.packets : e.packets;
      const bytes = prev && !restarted ? e.bytes - prev.bytes : e.bytes;
      if (packets === 0 && bytes === 0) continue;
      out.push({ src: e.src, dst: e.dst, proto: e.proto, sport: e.sport, dport: e.dport, packets, bytes, fresh: prev === undefined || restarted });
    }
    this.last = next;
    return out;
  }

  /** The last read, to carry over a daemon restart (`[key, packets, bytes]`). */
  snapshot(): [string, number, number][] {
    return [...this.last].map(([k, v]) => [k, v.packets, v.bytes]);
  }

  restore(rows: readonly (readonly [string, number, number])[]): void {
    this.last = new Map(rows.map(([k, packets, bytes]) => [k, { packets, bytes }]));
  }

  /** Forget everything (the set is gone: no table, or flow accounting off). */
  reset(): void {
    this.last = new Map();
  }
}

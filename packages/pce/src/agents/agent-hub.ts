/**
 * Connected agents and what they were last sent. Plans are pushed the moment compute says
 * they changed (no polling interval in the path of a change); each delivery carries a
 * per-VEN number that only grows, which the agent acknowledges once applied.
 */
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import { planDelta } from './delivery-delta.ts';
import type { PskDelivery } from './psk-cache.ts';

export interface AgentStream {
  readonly org: number;
  readonly venId: string;
  readonly workloadId: string;
  /** Where this agent reaches the PCE (the socket's local address): it must never be cut. */
  readonly pce: { readonly addresses: readonly string[]; readonly port: number };
  /** The agent asked for deltas (`?deltas=1`): after the first delivery, each one is sent against the one before it. */
  readonly deltas: boolean;
  send(event: string, data: unknown): void;
  close(): void;
}

export interface Delivery {
  readonly delivery: number;
  readonly policy_version: number;
  readonly plan: WorkloadPlan;
  readonly pce: { readonly addresses: readonly string[]; readonly port: number };
  /** The org's PSK, only when the plan has PSK-authenticated SecureConnect peers. */
  readonly psk: PskDelivery | null;
}

export class AgentHub {
  readonly #streams = new Map<string, Set<AgentStream>>();
  readonly #byWorkload = new Map<string, Set<AgentStream>>();
  readonly #lastDelivery = new Map<string, number>();
  /** What each stream was last sent: the base of its next delta. */
  readonly #sent = new WeakMap<AgentStream, { readonly delivery: number; readonly plan: WorkloadPlan }>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  #key(org: number, id: string): string {
    return `${org}/${id}`;
  }

  add(s: AgentStream): () => void {
    const k = this.#key(s.org, s.venId);
    const w = this.#key(s.org, s.workloadId);
    (this.#streams.get(k) ?? this.#streams.set(k, new Set()).get(k))?.add(s);
    (this.#byWorkload.get(w) ?? this.#byWorkload.set(w, new Set()).get(w))?.add(s);
    return () => {
      this.#streams.get(k)?.delete(s);
      this.#byWorkload.get(w)?.delete(s);
    };
  }

  connected(org: number, venId: string): boolean {
    return (this.#streams.get(this.#key(org, venId))?.size ?? 0) > 0;
  }

  streamsOfWorkload(org: number, workloadId: string): readonly AgentStream[] {
    return [...(this.#byWorkload.get(this.#key(org, workloadId)) ?? [])];
  }

  streamsOfOrg(org: number): readonly AgentStream[] {
    const prefix = `${org}/`;
    return [...this.#streams.entries()].filter(([k]) => k.startsWith(prefix)).flatMap(([, set]) => [...set]);
  }

  streamsOfVen(org: number, venId: string): readonly AgentStream[] {
    return [...(this.#streams.get(this.#key(org, venId)) ?? [])];
  }

  get size(): number {
    let n = 0;
    for (const s of this.#streams.values()) n += s.size;
    return n;
  }

  /** Next delivery number of a VEN: above the last one and above `floor` (persisted). */
  nextDelivery(org: number, venId: string, floor: number): number {
    const k = this.#key(org, venId);
    const n = Math.max((this.#lastDelivery.get(k) ?? 0) + 1, floor + 1, this.#now());
    this.#lastDelivery.set(k, n);
    return n;
  }

  push(s: AgentStream, d: Delivery): void {
    const base = s.deltas ? this.#sent.get(s) : undefined;
    this.#sent.set(s, { delivery: d.delivery, plan: d.plan });
    s.send('policy', base ? { ...d, base: base.delivery, plan: planDelta(base.plan, d.plan) } : d);
  }
}

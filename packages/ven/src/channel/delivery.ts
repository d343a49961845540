/**
 * The `policy` event of the stream (docs/agent-channel.md), checked before anything uses it:
 * a full delivery (`parseDelivery`), or on a stream opened with `?deltas=1` a delta of the
 * previous event of the same connection (`DeliveryDecoder`).
 */
import { invalid } from '@palisade/core/errors.ts';
import { PLAN_DELTA_FIELDS, type AddressSet, type WorkloadPlan } from '@palisade/core/compute/index.ts';
import { parseWorkloadPlan } from '../state/plan-parser.ts';
import { parsePceEndpoint, type PceEndpoint } from '../state/ven-state-store.ts';

export interface PolicyDelivery {
  readonly delivery: number;
  readonly policy_version: number | null;
  readonly plan: WorkloadPlan;
  readonly pce: PceEndpoint;
  /** The org's SecureConnect PSK, only when the plan has PSK peers (never logged). */
  readonly psk: DeliveredPsk | null;
}

export interface DeliveredPsk {
  readonly current: string;
  readonly previous: string | null;
  readonly generation: number;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

function parsePsk(v: unknown): DeliveredPsk | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object') throw invalid('invalid_delivery', 'psk must be an object or null', 'psk');
  const o = v as Record<string, unknown>;
  const { current, previous, generation } = o;
  // The message never quotes a key.
  if (typeof current !== 'string' || !HEX64.test(current)) throw invalid('invalid_delivery', 'psk.current must be 64 hex characters', 'psk.current');
  if (previous !== null && previous !== undefined && (typeof previous !== 'string' || !HEX64.test(previous))) throw invalid('invalid_delivery', 'psk.previous must be 64 hex characters or null', 'psk.previous');
  if (typeof generation !== 'number' || !Number.isSafeInteger(generation) || generation < 0) throw invalid('invalid_delivery', 'psk.generation must be a non-negative integer', 'psk.generation');
  return { current, previous: typeof previous === 'string' ? previous : null, generation };
}

function parseEvent(data: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    throw invalid('invalid_delivery', 'the policy event is not JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid('invalid_delivery', 'the policy event is not an object');
  return v as Record<string, unknown>;
}

function counter(o: Record<string, unknown>, key: string): number {
  const n = o[key];
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw invalid('invalid_delivery', `${key} must be a non-negative integer`, key);
  return n;
}

function delivered(o: Record<string, unknown>, plan: WorkloadPlan): PolicyDelivery {
  const version = o['policy_version'];
  return {
    delivery: counter(o, 'delivery'),
    policy_version: typeof version === 'number' ? version : null,
    plan,
    pce: parsePceEndpoint(o['pce'] ?? { addresses: [], port: 443 }, 'pce'),
    psk: parsePsk(o['psk']),
  };
}

/** A full delivery (a stream opened without `?deltas=1`, a plan read back from disk). */
export function parseDelivery(data: string): PolicyDelivery {
  const o = parseEvent(data);
  if (o['base'] !== undefined) throw invalid('invalid_delivery', 'a delta delivery needs the delivery it is based on: decode the stream with a DeliveryDecoder', 'base');
  counter(o, 'delivery');
  return delivered(o, parseWorkloadPlan(o['plan'], 'plan'));
}

/**
 * The plan of a delta: the fields it carries, the base's for those it leaves out, and for an
 * address set given as `{"name", "same": true}` the base's set of that name — that very
 * object, already checked, so its members are neither parsed nor walked again (and the
 * applier can tell by identity that the set did not change). Everything else goes through the
 * same checks as a full plan.
 */
function mergePlan(base: WorkloadPlan, v: unknown): WorkloadPlan {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid('invalid_plan', 'plan must be an object', 'plan');
  const delta = v as Record<string, unknown>;
  const raw: Record<string, unknown> = { hash: delta['hash'] };
  for (const k of PLAN_DELTA_FIELDS) raw[k] = k in delta ? delta[k] : base[k];
  const kept = new Map<number, AddressSet>();
  const sets = delta['address_sets'];
  if (sets === undefined) {
    // Checked as empty sets, then the base's own objects put back.
    raw['address_sets'] = base.address_sets.map((s, i) => (kept.set(i, s), { name: s.name, ipv4: [], ipv6: [] }));
  } else if (Array.isArray(sets)) {
    const byName = new Map(base.address_sets.map((s) => [s.name, s]));
    raw['address_sets'] = sets.map((s: unknown, i) => {
      if (typeof s !== 'object' || s === null || (s as { same?: unknown }).same !== true) return s;
      const name = (s as { name?: unknown }).name;
      const held = typeof name === 'string' ? byName.get(name) : undefined;
      if (!held) throw invalid('invalid_plan', `plan.address_sets[${i}] names a set the base delivery does not have`, `plan.address_sets[${i}]`);
      kept.set(i, held);
      return { name: held.name, ipv4: [], ipv6: [] };
    });
  } else raw['address_sets'] = sets; // not an array: the plan check says so
  const plan = parseWorkloadPlan(raw, 'plan');
  if (kept.size === 0) return plan;
  return { ...plan, address_sets: plan.address_sets.map((s, i) => kept.get(i) ?? s) };
}

/**
 * The policy events of one connection, in order: each is a full delivery or a delta of the
 * one before it (`base`). Reset it for a new connection: the PCE starts every connection
 * with a full delivery. A delta of a delivery this decoder does not hold is an error
 * (`delivery_base_unknown`): the stream should reconnect for a full one.
 */
export class DeliveryDecoder {
  #last: PolicyDelivery | undefined;

  decode(data: string): PolicyDelivery {
    const o = parseEvent(data);
    counter(o, 'delivery');
    let d: PolicyDelivery;
    if (o['base'] === undefined) d = delivered(o, parseWorkloadPlan(o['plan'], 'plan'));
    else {
      const base = counter(o, 'base');
      const last = this.#last;
      if (!last || last.delivery !== base) throw invalid('delivery_base_unknown', `delivery ${String(o['delivery'])} is a delta of delivery ${base}, which is not the last one this connection read (${last ? last.delivery : 'none'})`, 'base');
      d = delivered(o, mergePlan(last.plan, o['plan']));
    }
    this.#last = d;
    return d;
  }

  reset(): void {
    this.#last = undefined;
  }
}

/**
 * A delivery as a delta of the one before it on the same stream, for agents that opened the
 * stream with `?deltas=1`: only the plan fields that changed, and address sets the agent
 * already holds named instead of repeated. On the wire: the event of a full delivery plus
 * `"base": <the previous delivery of this connection>`, and a `plan` holding `hash` and only
 * the fields that changed; its `address_sets`, when present, is the whole ordered list with
 * `{"name", "same": true}` for a set the base has unchanged. A provision that adds a rule then ships the rule, not the
 * hundreds of peer addresses each agent already has — less to serialise and encrypt here,
 * less to decrypt, parse and check on every agent.
 *
 * "Unchanged" is object identity: compute's plans are frozen and share their interned sub-
 * objects (an address set whose members did not change is the very same object in the next
 * plan, a list of entries holds the same entry objects), so the comparison costs a pointer
 * per field, entry and set, and can only err towards sending something in full. A stream is ordered, and each connection starts with a full
 * delivery, so the base is always the previous event the agent read on that connection.
 */
import { PLAN_DELTA_FIELDS, type AddressSet, type WorkloadPlan } from '@palisade/core/compute/index.ts';

/** An address set of the base, by name. */
export interface SameSet {
  readonly name: string;
  readonly same: true;
}

export type PlanDelta = Partial<Omit<WorkloadPlan, 'address_sets'>> & { readonly hash: string; readonly address_sets?: readonly (AddressSet | SameSet)[] };

/** The same object, or lists of the same objects (compute builds fresh lists of its interned entries for each new rule profile). */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function planDelta(base: WorkloadPlan, plan: WorkloadPlan): PlanDelta {
  const out: Record<string, unknown> = {};
  for (const k of PLAN_DELTA_FIELDS) if (!same(plan[k], base[k])) out[k] = plan[k];
  if (!same(plan.address_sets, base.address_sets)) {
    const held = new Set(base.address_sets);
    out['address_sets'] = plan.address_sets.map((s): AddressSet | SameSet => (held.has(s) ? { name: s.name, same: true } : s));
  }
  return { ...out, hash: plan.hash };
}

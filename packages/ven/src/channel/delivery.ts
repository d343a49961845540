/** The `policy` event of the stream (docs/agent-channel.md), checked before anything uses it. */
import { invalid } from '@palisade/core/errors.ts';
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import { parseWorkloadPlan } from '../state/plan-parser.ts';
import { parsePceEndpoint, type PceEndpoint } from '../state/ven-state-store.ts';

export interface PolicyDelivery {
  readonly delivery: number;
  readonly policy_version: number | null;
  readonly plan: WorkloadPlan;
  readonly pce: PceEndpoint;
}

export function parseDelivery(data: string): PolicyDelivery {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    throw invalid('invalid_delivery', 'the policy event is not JSON');
  }
  if (typeof v !== 'object' || v === null) throw invalid('invalid_delivery', 'the policy event is not an object');
  const o = v as Record<string, unknown>;
  const delivery = o['delivery'];
  const version = o['policy_version'];
  if (typeof delivery !== 'number' || !Number.isSafeInteger(delivery) || delivery < 0) throw invalid('invalid_delivery', 'delivery must be a non-negative integer', 'delivery');
  return {
    delivery,
    policy_version: typeof version === 'number' ? version : null,
    plan: parseWorkloadPlan(o['plan'], 'plan'),
    pce: parsePceEndpoint(o['pce'] ?? { addresses: [], port: 443 }, 'pce'),
  };
}

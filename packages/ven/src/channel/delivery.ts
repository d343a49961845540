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
    psk: parsePsk(o['psk']),
  };
}

/**
 * Policy compute (issue 3): per-workload plans, incremental recompute, policy check.
 * Pure: no I/O, no clock. See README.md in this folder.
 */
export type {
  AddressSet,
  AllowEntry,
  ChangeResult,
  ComputeWorkload,
  DenyEntry,
  IkeVersion,
  LabelKeyRef,
  PlanWorkload,
  PolicySnapshot,
  SecureConnectAuth,
  SecureConnectPeer,
  ServiceSpec,
  WorkloadPlan,
} from './types.ts';
export { PLAN_DELTA_FIELDS } from './types.ts';
export { PolicyEngine, type EngineInput } from './engine.ts';
export { checkPolicy, checkPolicySnapshot, type DecidingRule, type PolicyCheckQuery, type PolicyCheckResult, type PolicyDecision } from './policy-check.ts';
export { flowDecision, workloadAtAddress } from './flow-decision.ts';
export { ikeVersion, isWindows2008, secureConnectCapable } from './ike-matrix.ts';
export { fnv64, Fnv64, type Hash64 } from './hash.ts';
export { normalizeServices, servicesMatch } from './service-specs.ts';

import { PolicyEngine, type EngineInput } from './engine.ts';
import type { WorkloadPlan } from './types.ts';
import type { Diagnostic } from '../diagnostics.ts';

/** The pure function of the issue: inputs → one frozen plan per workload, plus policy-level diagnostics. */
export function computePlans(input: EngineInput): { plans: ReadonlyMap<string, WorkloadPlan>; diagnostics: Diagnostic[] } {
  const engine = new PolicyEngine(input);
  return { plans: engine.computeAll(), diagnostics: engine.diagnostics() };
}

import type { Pce } from '../pce.ts';
import { computeRoutes } from './compute-routes.ts';
import { trafficRoutes } from '../flows/flow-routes.ts';
import { labelRoutes } from './label-routes.ts';
import { orgRoutes } from './org-routes.ts';
import { policyObjectRoutes } from './policy-object-routes.ts';
import { ruleSetRoutes } from './rule-set-routes.ts';
import { secPolicyRoutes } from './sec-policy-routes.ts';
import { workloadRoutes } from './workload-routes.ts';
import { sessionRoutes } from './session-routes.ts';

/** Every API route, in matching order (static paths before parameterized ones). */
export function registerRoutes(pce: Pce): void {
  const r = pce.registry;
  secPolicyRoutes(r, pce);
  labelRoutes(r, pce);
  computeRoutes(r, pce);
  workloadRoutes(r, pce);
  policyObjectRoutes(r, pce);
  ruleSetRoutes(r, pce);
  orgRoutes(r, pce);
  trafficRoutes(r, pce);
  sessionRoutes(r, pce);
}

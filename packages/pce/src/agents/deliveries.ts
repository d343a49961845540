/** Pushing plans to connected agents: one delivery per plan change or PSK rotation step. */
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import type { Pce } from '../pce.ts';
import type { AgentHub, AgentStream } from './agent-hub.ts';
import { recordDelivered } from './agent-service.ts';
import type { PskDelivery } from './psk-rotation.ts';

/** Whether a plan needs the org's PSK: it has PSK-authenticated SecureConnect peers. */
export function needsPsk(plan: WorkloadPlan): boolean {
  return plan.secure_connect.peers.some((p) => p.capable && p.auth.method === 'psk');
}

/** Push a plan as a new delivery (the PSK only to agents whose plan needs it). */
export function pushPlan(pce: Pce, hub: AgentHub, s: AgentStream, plan: WorkloadPlan, version: number, psk: PskDelivery | null, floor: number): void {
  const delivery = hub.nextDelivery(s.org, s.venId, floor);
  hub.push(s, { delivery, policy_version: version, plan, pce: s.pce, psk: needsPsk(plan) ? psk : null });
  recordDelivered(pce, { org: s.org, venId: s.venId }, delivery).catch((err: unknown) => pce.env.log.warn({ err, ven: s.venId }, 'recording a delivery failed'));
}

/** Re-deliver every connected agent of an org (after a PSK rotation step). */
export async function redeliverOrg(pce: Pce, org: number): Promise<number> {
  pce.psk.forget(org);
  const psk = await pce.psk.get(org);
  let n = 0;
  for (const s of pce.agents.streamsOfOrg(org)) {
    const current = pce.compute.currentPlan(org, s.workloadId) ?? (await pce.compute.plan(org, s.workloadId));
    if (!current.plan) continue;
    pushPlan(pce, pce.agents, s, current.plan, current.version, psk, 0);
    n++;
  }
  return n;
}


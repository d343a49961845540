/**
 * What `palisade ven …` calls. Local commands ask the running daemon over its control socket
 * first; with no daemon they do the same work on the data directory themselves.
 */
import { NftablesApplier } from './apply/nftables-applier.ts';
import { activate, type ActivateOptions } from './channel/activation.ts';
import { AgentClient } from './channel/agent-client.ts';
import { sendControl } from './control/control-socket.ts';
import { VenDaemon, renderContext, type VenDaemonOptions, type VenStatus } from './daemon.ts';
import { SecureConnect } from './secure-connect/secure-connect.ts';
import { VenStateStore, type VenIdentity } from './state/ven-state-store.ts';
import { Nft } from './sys/nft.ts';

export { activate, splitActivationCode, AGENT_VERSION, type ActivateOptions } from './channel/activation.ts';
export { VenDaemon, type VenDaemonOptions, type VenLogger, type VenStatus } from './daemon.ts';
export type { VenIdentity } from './state/ven-state-store.ts';

export const DEFAULT_DATA_DIR = '/var/lib/palisade';

export function activateVen(opts: ActivateOptions): Promise<VenIdentity> {
  return activate(opts);
}

/** Runs the daemon until SIGTERM/SIGINT or an unpair. */
export async function runVen(opts: VenDaemonOptions, signals = true): Promise<VenDaemon> {
  const daemon = new VenDaemon(opts);
  await daemon.start();
  if (signals) {
    const stop = (): void => void daemon.stop();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    void daemon.done.then(() => {
      process.removeListener('SIGTERM', stop);
      process.removeListener('SIGINT', stop);
    });
  }
  return daemon;
}

export type OfflineStatus = Omit<VenStatus, 'connected'> & { readonly connected: null; readonly table_loaded: boolean };

/** The daemon's status, or what the data directory says when no daemon runs. */
export async function venStatus(dataDir: string): Promise<VenStatus | OfflineStatus> {
  const store = new VenStateStore(dataDir);
  const live = (await sendControl(store.socketPath, 'status')) as VenStatus | undefined;
  if (live) return live;
  const id = await store.requireIdentity();
  const plan = await store.readPlan();
  const local = await store.readLocal();
  const applier = new NftablesApplier({ nft: new Nft() });
  return {
    daemon: false,
    agent_id: id.agent_id,
    ven_href: id.ven_href,
    workload_href: id.workload_href,
    pce_url: id.pce_url,
    connected: null,
    suspended: local.suspended,
    sync_state: 'synced',
    message: null,
    applied_delivery: plan?.delivery ?? null,
    policy_version: plan?.policy_version ?? null,
    plan_hash: plan?.plan.hash ?? null,
    enforcement_mode: plan?.plan.enforcement_mode ?? null,
    visibility_level: plan?.plan.visibility_level ?? null,
    table_loaded: await applier.isLoaded(),
  };
}

export async function suspendVen(dataDir: string): Promise<{ daemon: boolean }> {
  const store = new VenStateStore(dataDir);
  await store.requireIdentity();
  if ((await sendControl(store.socketPath, 'suspend')) !== undefined) return { daemon: true };
  await store.writeLocal({ suspended: true });
  // SecureConnect stays in force (DESIGN §3): with peers, the SecureConnect-only table.
  const plan = await store.readPlan();
  const applier = new NftablesApplier({ nft: new Nft() });
  if (plan && plan.plan.secure_connect.peers.length > 0) await applier.apply(plan.plan, renderContext(plan.pce, true));
  else await applier.removeTable();
  return { daemon: false };
}

export async function unsuspendVen(dataDir: string): Promise<{ daemon: boolean }> {
  const store = new VenStateStore(dataDir);
  await store.requireIdentity();
  if ((await sendControl(store.socketPath, 'unsuspend')) !== undefined) return { daemon: true };
  await store.writeLocal({ suspended: false });
  const plan = await store.readPlan();
  if (plan) await new NftablesApplier({ nft: new Nft() }).apply(plan.plan, renderContext(plan.pce));
  return { daemon: false };
}

/** Tells the PCE, removes the table and every file Palisade wrote. `pce_told` false: the PCE could not be reached. */
export async function unpairVen(dataDir: string): Promise<{ daemon: boolean; pce_told: boolean }> {
  const store = new VenStateStore(dataDir);
  const id = await store.requireIdentity();
  const answer = (await sendControl(store.socketPath, 'unpair')) as { pce_told?: boolean } | undefined;
  if (answer !== undefined) return { daemon: true, pce_told: answer.pce_told === true };
  const client = new AgentClient(id);
  let told = true;
  try {
    await client.deactivate();
  } catch {
    told = false;
  } finally {
    client.close();
  }
  await new NftablesApplier({ nft: new Nft() }).removeTable();
  await new SecureConnect({ dataDir, log: { info: () => undefined, warn: () => undefined, error: () => undefined } }).remove();
  await store.removeAll();
  return { daemon: false, pce_told: told };
}

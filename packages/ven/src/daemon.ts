/**
 * `palisade ven run`. At start, before the PCE is reached, the last applied plan is loaded
 * again (fail-static: a host that reboots during a PCE outage keeps its policy). Then: the
 * policy stream (each delivery applied, persisted, acknowledged), heartbeats, the tamper
 * watch, and the control socket. Every change of the firewall goes through one queue, so an
 * apply, a restore, a suspend and an unpair never interleave.
 */
import { isIP } from 'node:net';
import type { Server } from 'node:net';
import type { NftRenderContext } from '@palisade/render/nftables/nft-table.ts';
import { NftablesApplier, type ApplyOutcome } from './apply/nftables-applier.ts';
import { AgentClient, type AgentEvent, type SyncState } from './channel/agent-client.ts';
import type { BackoffOptions } from './channel/backoff.ts';
import { parseDelivery, type PolicyDelivery } from './channel/delivery.ts';
import { PolicyStream } from './channel/policy-stream.ts';
import type { SseEvent } from './channel/sse-parser.ts';
import type { WorkloadPlan } from '@palisade/core/compute/index.ts';
import { listenControl, type ControlCommand } from './control/control-socket.ts';
import { FlowCollector } from './flows/flow-collector.ts';
import { hostInterfaces } from './host/host-facts.ts';
import { VenStateStore, type PceEndpoint, type StoredPlan, type VenIdentity } from './state/ven-state-store.ts';
import { SecureConnect, type SecureConnectStatus } from './secure-connect/secure-connect.ts';
import { removeFile } from './sys/files.ts';
import { Nft } from './sys/nft.ts';
import { TamperWatch } from './tamper/tamper-watch.ts';

export interface VenLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface VenDaemonOptions {
  readonly dataDir: string;
  readonly nft?: Nft;
  readonly log: VenLogger;
  /** Default 30 s (docs/agent-channel.md). */
  readonly heartbeatMs?: number;
  /** Periodic tamper check (structure; every 10th also reads set members); default 30 s. nft events trigger one at once anyway. */
  readonly tamperIntervalMs?: number;
  readonly backoff?: BackoffOptions;
  /** SecureConnect SA state: read every `secureConnectCheckMs` (default 5 s), sent to the PCE when it changed, after every apply, and at least every `secureConnectReportMs` (default 30 s). */
  readonly secureConnectCheckMs?: number;
  readonly secureConnectReportMs?: number;
}

export interface VenStatus {
  readonly daemon: boolean;
  readonly agent_id: string;
  readonly ven_href: string;
  readonly workload_href: string;
  readonly pce_url: string;
  readonly connected: boolean;
  readonly suspended: boolean;
  readonly sync_state: SyncState;
  readonly message: string | null;
  readonly applied_delivery: number | null;
  readonly policy_version: number | null;
  readonly plan_hash: string | null;
  readonly enforcement_mode: string | null;
  readonly visibility_level: string | null;
  /** Per SecureConnect peer, its SA as charon holds it now (`palisade ven status`); null without peers, absent when no daemon answered. */
  readonly secure_connect?: SecureConnectStatus | null;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The PCE endpoint never to cut: what the PCE says, plus the address this VEN dials. */
export function pceEndpoint(identity: VenIdentity, fromPce: PceEndpoint): PceEndpoint {
  const url = new URL(identity.pce_url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const addresses = new Set(fromPce.addresses);
  if (isIP(host)) addresses.add(host);
  return { addresses: [...addresses].sort(), port };
}

export function renderContext(endpoint: PceEndpoint, suspended = false): NftRenderContext {
  // Suspended (DESIGN §3): the firewall rules go, SecureConnect stays in force.
  return { pce: { addresses: endpoint.addresses, port: endpoint.port }, ...(suspended ? { only: 'secure-connect' as const } : {}) };
}

export class VenDaemon {
  readonly store: VenStateStore;
  readonly applier: NftablesApplier;
  readonly secureConnect: SecureConnect;
  private readonly nft: Nft;
  private readonly log: VenLogger;
  private identity: VenIdentity | undefined;
  private client: AgentClient | undefined;
  private stream: PolicyStream | undefined;
  private tamper: TamperWatch | undefined;
  private control: Server | undefined;
  private flows: FlowCollector | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private scReportTimer: NodeJS.Timeout | undefined;
  /** The PSK generation the loaded SecureConnect configuration uses (reported in ack and heartbeat). */
  private pskGeneration: number | undefined;
  /** Whether a SecureConnect report was sent with peers (so that losing them all is reported too). */
  private scReported = false;
  private scLastReport = '';
  private scLastSent = 0;
  /** A periodic SA check still running (a slow host: swanctl takes longer than the interval) makes the next one skip. */
  private scChecking = false;
  private applied: StoredPlan | undefined;
  private latest: PolicyDelivery | undefined;
  private suspended = false;
  private connected = false;
  private syncState: SyncState = 'synced';
  private lastMessage: string | undefined;
  private queue: Promise<void> = Promise.resolve();
  private pendingEvents: AgentEvent[] = [];
  private stopping: Promise<void> | undefined;
  /** Unpaired: nothing may load a table any more (a delivery or a tamper check queued behind the unpair would). */
  private removed = false;
  private resolveDone: () => void = () => undefined;
  readonly done: Promise<void>;

  constructor(private readonly opts: VenDaemonOptions) {
    this.store = new VenStateStore(opts.dataDir);
    this.nft = opts.nft ?? new Nft();
    this.applier = new NftablesApplier({ nft: this.nft });
    this.secureConnect = new SecureConnect({ dataDir: opts.dataDir, log: opts.log });
    this.log = opts.log;
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
  }

  /** Runs `fn` after everything queued before it; errors are logged, never lost. */
  private enqueue<T>(what: string, fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.then(
      () => undefined,
      (err: unknown) => this.log.error({ err: message(err) }, `${what} failed`),
    );
    return run;
  }

  async start(): Promise<void> {
    const identity = await this.store.requireIdentity();
    this.identity = identity;
    this.suspended = (await this.store.readLocal()).suspended;
    this.applied = await this.store.readPlan();
    // Flows (issue 6): reported at the applied plan's visibility level while a table is installed.
    // What the sets counted while the daemon was down is read before the re-apply below empties them.
    const visibility = () => (this.applied && !this.suspended && this.applied.plan.enforcement_mode !== 'idle' ? this.applied.plan.visibility_level : undefined);
    this.flows = new FlowCollector({ dataDir: this.opts.dataDir, log: this.log, transport: () => this.client?.transport, context: () => ({ visibility: visibility() }) });
    await this.flows.resume();
    if (this.suspended && !this.applied) {
      await this.applier.removeTable();
    } else if (this.applied) {
      // Fail-static: enforce what was enforced before, whether or not the PCE answers.
      try {
        const out = await this.applyTable(this.applied.plan, this.applied.pce);
        this.log.info({ delivery: this.applied.delivery, kind: out.kind, mode: this.applied.plan.enforcement_mode }, 'last plan re-applied at start');
      } catch (err) {
        this.syncState = 'error';
        this.lastMessage = message(err);
        this.log.error({ err: message(err) }, 'the last plan could not be re-applied at start');
      }
    }
    try {
      await this.secureConnect.resume(this.applied?.plan);
    } catch (err) {
      this.log.error({ err: message(err) }, 'SecureConnect could not be resumed at start');
    }
    this.control = await listenControl(this.store.socketPath, (cmd) => this.onControl(cmd));
    this.client = new AgentClient(identity);
    this.tamper = new TamperWatch({ nft: this.nft, intervalMs: this.opts.tamperIntervalMs ?? 30_000, onSuspect: (why, deep) => void this.checkTamper(why, deep) });
    this.tamper.start();
    this.stream = new PolicyStream(
      this.client,
      {
        onEvent: (e) => this.onStreamEvent(e),
        onConnected: (up, err) => this.onConnected(up, err),
        onUnpaired: () => void this.onUnpaired(),
      },
      this.opts.backoff ? { backoff: this.opts.backoff } : {},
    );
    this.stream.start();
    this.flows?.start();
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.opts.heartbeatMs ?? 30_000);
    this.scReportTimer = setInterval(() => {
      if (this.scChecking) return;
      this.scChecking = true;
      void this.reportSecureConnect(false).finally(() => (this.scChecking = false));
    }, this.opts.secureConnectCheckMs ?? 5_000);
    this.log.info({ pce: identity.pce_url, agent: identity.agent_id, suspended: this.suspended }, 'VEN running');
  }

  private onConnected(up: boolean, err?: unknown): void {
    if (up !== this.connected) this.log.info({ connected: up, ...(err ? { err: message(err) } : {}) }, up ? 'connected to the PCE' : 'disconnected from the PCE');
    else if (err && !up) this.log.warn({ err: message(err) }, 'cannot reach the PCE; enforcement unchanged');
    this.connected = up;
    if (up) void this.flushEvents();
  }

  private onStreamEvent(e: SseEvent): void {
    if (e.event !== 'policy') return;
    let d: PolicyDelivery;
    try {
      d = this.stream ? this.stream.delivery(e) : parseDelivery(e.data);
    } catch (err) {
      this.log.error({ err: message(err) }, 'the PCE sent a policy event that is not valid; ignored');
      this.pushEvent({ type: 'apply_failed', severity: 'error', message: `invalid policy event: ${message(err)}` });
      return;
    }
    this.latest = d;
    void this.enqueue('apply', () => this.applyLatest());
  }

  /** Deliveries that arrive while one is applied collapse into the newest. */
  private async applyLatest(): Promise<void> {
    const d = this.latest;
    this.latest = undefined;
    const identity = this.identity;
    if (!d || !identity || this.removed) return;
    const endpoint = pceEndpoint(identity, d.pce);
    const record: StoredPlan = { delivery: d.delivery, policy_version: d.policy_version, plan: d.plan, pce: endpoint, applied_at: new Date().toISOString() };
    this.syncState = 'applying';
    try {
      await this.flows?.beforeReplace(); // a full replace empties the flow sets: count them first
      const hadTable = this.applier.current()?.digest != null;
      const out = await this.applyTable(d.plan, endpoint);
      if (out.kind === 'full' && !hadTable) this.stream?.reconnect();
      await this.store.writePlan(record);
      this.applied = record;
      await this.applySecureConnect(d);
      this.syncState = 'synced';
      this.lastMessage = undefined;
      this.log.info({ delivery: d.delivery, version: d.policy_version, kind: out.kind, mode: d.plan.enforcement_mode, ms: Math.round(Object.values(out.timings).reduce((a, b) => a + b, 0)) }, 'policy applied');
      await this.ack(d, 'applied', this.suspended ? 'suspended: SecureConnect enforced, firewall rules on unsuspend' : undefined);
    } catch (err) {
      this.syncState = 'error';
      this.lastMessage = message(err);
      this.log.error({ delivery: d.delivery, err: message(err) }, 'policy apply failed; the previous policy stays');
      this.pushEvent({ type: 'apply_failed', severity: 'error', message: `delivery ${d.delivery}: ${message(err)}`, details: { delivery: d.delivery, hash: d.plan.hash } });
      await this.ack(d, 'error', message(err));
    }
    void this.heartbeat();
    void this.reportSecureConnect(true);
  }

  /**
   * The table for `plan`: the whole firewall, or when suspended only SecureConnect (DESIGN §3) —
   * and no table at all when suspended without SecureConnect peers (nothing to keep).
   */
  private async applyTable(plan: WorkloadPlan, endpoint: PceEndpoint): Promise<ApplyOutcome> {
    if (this.suspended && plan.secure_connect.peers.length === 0) {
      this.applier.forget();
      await this.applier.removeTable();
      return { kind: 'nothing', timings: {} };
    }
    return this.applier.apply(plan, renderContext(endpoint, this.suspended));
  }

  /** The delivery's SecureConnect configuration into the VEN's charon (after nftables: plaintext is already dropped). */
  private async applySecureConnect(d: PolicyDelivery): Promise<void> {
    const r = await this.secureConnect.apply(d.plan, d.psk);
    if (d.psk) this.pskGeneration = d.psk.generation;
    if (r.certificateError) {
      this.log.error({ delivery: d.delivery, err: r.certificateError }, 'SecureConnect certificate problem');
      this.pushEvent({ type: 'secure_connect_certificate', severity: 'error', message: `SecureConnect certificate: ${r.certificateError}`, details: { delivery: d.delivery, peers: [...r.errors.keys()].slice(0, 50) } });
    }
    this.log.info({ delivery: d.delivery, connections: r.connections, ...(d.psk ? { psk_generation: d.psk.generation } : {}) }, 'SecureConnect configuration loaded');
  }

  /** `POST /agent/secure_connect`: SA state per peer and MTU warnings. */
  private async reportSecureConnect(force: boolean): Promise<void> {
    try {
      const report = await this.secureConnect.report();
      if (!report && !this.scReported) return;
      const body = report ?? { peers: [] };
      const text = JSON.stringify(body);
      if (!force && text === this.scLastReport && Date.now() - this.scLastSent < (this.opts.secureConnectReportMs ?? 30_000)) return;
      await this.client?.secureConnect(body);
      this.scLastReport = text;
      this.scLastSent = Date.now();
      this.scReported = report !== null;
    } catch (err) {
      this.log.warn({ err: message(err) }, 'SecureConnect state not reported');
    }
  }

  private async ack(d: PolicyDelivery, status: 'applied' | 'error', msg?: string): Promise<void> {
    try {
      await this.client?.ack(d.delivery, d.plan.hash, status, msg, this.pskGeneration);
    } catch (err) {
      // The PCE sends the current state again on reconnect; that delivery gets its own ack.
      this.log.warn({ delivery: d.delivery, err: message(err) }, 'ack not delivered');
    }
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.client?.heartbeat({
        ...(this.applied ? { applied_delivery: this.applied.delivery } : {}),
        sync_state: this.syncState,
        ...(this.lastMessage ? { message: this.lastMessage } : {}),
        interfaces: hostInterfaces(),
        suspended: this.suspended,
        ...(this.pskGeneration === undefined ? {} : { psk_generation: this.pskGeneration }),
      });
    } catch {
      // an outage changes nothing on the host; the stream loop reports it
    }
  }

  private pushEvent(e: AgentEvent): void {
    this.pendingEvents.push(e);
    if (this.pendingEvents.length > 100) this.pendingEvents.splice(0, this.pendingEvents.length - 100);
    void this.flushEvents();
  }

  private async flushEvents(): Promise<void> {
    const batch = this.pendingEvents.splice(0, this.pendingEvents.length);
    if (batch.length === 0 || !this.client) return;
    try {
      await this.client.events(batch);
    } catch (err) {
      this.pendingEvents.unshift(...batch);
      this.log.warn({ err: message(err), events: batch.length }, 'events kept until the PCE answers');
    }
  }

  private checkTamper(why: 'event' | 'periodic', deep: boolean): Promise<void> {
    return this.enqueue('tamper check', async () => {
      if (this.suspended || this.stopping || this.removed) return;
      const r = await this.applier.inspect({ deep });
      if (r.ok) return;
      this.log.warn({ reason: r.reason, trigger: why }, 'the Palisade table was changed outside Palisade; restoring');
      await this.applier.restore();
      this.stream?.reconnect();
      this.pushEvent({
        type: 'tamper_restored',
        severity: 'warning',
        message: `nftables table inet palisade was changed outside Palisade (${r.reason}); the applied policy was restored`,
        details: { reason: r.reason, trigger: why, deep, ...(this.applied ? { delivery: this.applied.delivery } : {}) },
      });
    });
  }

  status(): VenStatus {
    const id = this.identity;
    const plan = this.applied?.plan;
    return {
      daemon: true,
      agent_id: id?.agent_id ?? '',
      ven_href: id?.ven_href ?? '',
      workload_href: id?.workload_href ?? '',
      pce_url: id?.pce_url ?? '',
      connected: this.connected,
      suspended: this.suspended,
      sync_state: this.syncState,
      message: this.lastMessage ?? null,
      applied_delivery: this.applied?.delivery ?? null,
      policy_version: this.applied?.policy_version ?? null,
      plan_hash: plan?.hash ?? null,
      enforcement_mode: plan?.enforcement_mode ?? null,
      visibility_level: plan?.visibility_level ?? null,
    };
  }

  private onControl(cmd: ControlCommand): Promise<unknown> {
    switch (cmd) {
      case 'status':
        // status() reads charon's SAs itself and reports a failure to do so per peer
        return this.secureConnect.status().then((sc) => ({ ...this.status(), secure_connect: sc }));
      case 'suspend':
        return this.enqueue('suspend', async () => {
          this.suspended = true;
          await this.store.writeLocal({ suspended: true });
          // A full replace (never a set delta across the two kinds of table).
          this.applier.forget();
          if (this.applied) await this.applyTable(this.applied.plan, this.applied.pce);
          else await this.applier.removeTable();
          this.log.info({}, 'suspended: firewall rules removed, SecureConnect kept');
          void this.heartbeat();
          return this.status();
        });
      case 'unsuspend':
        return this.enqueue('unsuspend', async () => {
          this.suspended = false;
          await this.store.writeLocal({ suspended: false });
          this.applier.forget();
          if (this.applied) await this.applier.apply(this.applied.plan, renderContext(this.applied.pce));
          this.stream?.reconnect();
          this.log.info({}, 'unsuspended: last plan re-applied');
          void this.heartbeat();
          return this.status();
        });
      case 'unpair':
        return this.enqueue('unpair', async () => {
          let told = true;
          try {
            await this.client?.deactivate();
          } catch (err) {
            told = false;
            this.log.warn({ err: message(err) }, 'could not tell the PCE about the unpair');
          }
          await this.removeEverything();
          setImmediate(() => void this.stop());
          return { unpaired: true, pce_told: told };
        });
    }
  }

  private async removeEverything(): Promise<void> {
    this.removed = true;
    this.tamper?.stop();
    await this.applier.removeTable();
    this.applier.forget();
    await this.secureConnect.remove();
    await this.store.removeAll();
    await this.flows?.stopAndRemove();
  }

  private async onUnpaired(): Promise<void> {
    this.log.warn({}, 'the PCE unpaired this VEN: removing everything Palisade installed');
    await this.enqueue('unpair', () => this.removeEverything());
    await this.stop();
  }

  /** Stops the daemon; the firewall stays as it is (fail-static). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
      if (this.scReportTimer) clearInterval(this.scReportTimer);
      this.tamper?.stop();
      await this.stream?.stop();
      await this.queue;
      await this.flows?.stop();
      await this.secureConnect.stop();
      await new Promise<void>((resolve) => (this.control ? this.control.close(() => resolve()) : resolve()));
      await removeFile(this.store.socketPath);
      this.client?.close();
      this.resolveDone();
    })();
    return this.stopping;
  }
}

/**
 * SecureConnect on the host (DESIGN §4; docs/agent-channel.md). The VEN runs its own charon
 * (`charon-systemd`, config under `<data-dir>/ipsec/`, see `charon-files.ts`), renders each
 * delivery with `renderSwanctl` and loads it with `swanctl --load-all`: swanctl replaces
 * only the connections whose configuration changed and unloads the ones that are gone, so the
 * SAs of unchanged peers stay up. Unloading a connection leaves its SAs running, so after each
 * load the IKE SAs (with their CHILD SAs) of connections no longer configured are terminated by
 * unique id: a removed peer loses its SA at once, not at rekey or dead-peer detection. The PSK goes only to the 0600 secrets file (never to logs or
 * events). charon is restarted when it dies while SecureConnect is wanted. In `idle`, or with
 * no capable peer, there is no charon and no configuration: nftables still drops plaintext to
 * SecureConnect peers (fail closed).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecureConnectPeer, WorkloadPlan } from '@palisade/core/compute/index.ts';
import { connectionStem, renderSwanctl } from '@palisade/render/strongswan/swanctl-renderer.ts';
import type { SwanctlCertificate } from '@palisade/render/strongswan/swanctl-renderer.ts';
import { startDaemon, type DaemonProcess } from '../sys/daemon-process.ts';
import { ensurePrivateDir, readFileIfExists, removeFile, removeTree, writeFileAtomic } from '../sys/files.ts';
import { interfaceMtus } from '../sys/net.ts';
import { runCommand, type CommandResult } from '../sys/run-command.ts';
import { charonEnv, charonPaths, strongswanConf, type CharonPaths } from './charon-files.ts';
import { ikeFailures, logSize, logTail, type IkeFailure } from './ike-failures.ts';
import { parseListSas, type IkeSaInfo } from './sa-list.ts';

export interface DeliveredPsk {
  readonly current: string;
  readonly previous: string | null;
  readonly generation: number;
}

export interface PeerState {
  readonly workload: { readonly href: string };
  readonly state: 'up' | 'down' | 'error';
  readonly reason?: string;
  readonly ike_version?: 'ikev1' | 'ikev2';
}

/**
 * One peer as `palisade ven status` shows it: where its SA is (`established`: IKE SA up and a
 * CHILD SA installed, so ESP flows; `connecting`: an IKE SA or CHILD SA is being negotiated;
 * `down`: none, or IKE without a CHILD SA; `error`: it cannot come up, see the reason).
 */
export interface PeerStatus {
  readonly workload: string;
  readonly name: string;
  readonly addresses: readonly string[];
  readonly sa: 'established' | 'connecting' | 'down' | 'error';
  readonly ike_version: 'ikev1' | 'ikev2' | null;
  readonly ike_sa: { readonly conn: string; readonly unique_id: number; readonly state: string; readonly children: readonly string[] } | null;
  readonly reason: string | null;
}

export interface SecureConnectStatus {
  readonly charon_pid: number | null;
  readonly peers: readonly PeerStatus[];
}

export interface SecureConnectReport {
  readonly peers: PeerState[];
  readonly mtu_warnings?: { interface: string; mtu: number }[];
}

export interface ScLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface SecureConnectOptions {
  readonly dataDir: string;
  readonly log: ScLogger;
  /**
   * The argv that starts charon; default `['charon-systemd']` (LAB.md: it has no --help; any
   * argument starts the daemon). Tests prefix `ip netns exec NS` (which execs: the PID is charon's).
   */
  readonly charon?: readonly string[];
  readonly swanctl?: string;
  /** Wait before restarting a charon that died; default 1 s. */
  readonly restartDelayMs?: number;
}

export interface ScApplyResult {
  /** Connections loaded (0: charon stopped, nothing configured). */
  readonly connections: number;
  /** Peers that cannot be configured, with why (certificate problems, no PSK delivered). */
  readonly errors: ReadonlyMap<string, string>;
  /** A certificate problem, reported to the PCE as a `secure_connect_certificate` event. */
  readonly certificateError?: string;
  /** IKE SAs of connections no longer configured (removed peers), terminated after the load. */
  readonly endedSas?: readonly EndedSa[];
}

/** An IKE SA the VEN terminated because its connection was unloaded. */
export interface EndedSa {
  readonly conn: string;
  readonly uniqueId: number;
}

const CERT_FILES = { ca: 'palisade-ca.pem', cert: 'palisade-host.pem' } as const;

function hasPeers(plan: WorkloadPlan | undefined): plan is WorkloadPlan {
  return plan !== undefined && plan.enforcement_mode !== 'idle' && plan.secure_connect.peers.length > 0;
}

export class SecureConnect {
  readonly paths: CharonPaths;
  private readonly log: ScLogger;
  private readonly charonArgv: readonly string[];
  private readonly swanctlBin: string;
  private charon: DaemonProcess | undefined;
  /** Is charon wanted (a configuration is loaded)? A death is then restarted. */
  private wanted = false;
  private plan: WorkloadPlan | undefined;
  private errors: ReadonlyMap<string, string> = new Map();
  private queue: Promise<unknown> = Promise.resolve();
  private restartTimer: NodeJS.Timeout | undefined;
  /** Where charon's log stood at the last load: IKE failures are read from there on. */
  private logFrom = 0;
  /** Restarts of charon after it died (tests and status). */
  restarts = 0;

  constructor(private readonly opts: SecureConnectOptions) {
    this.paths = charonPaths(opts.dataDir);
    this.log = opts.log;
    this.charonArgv = opts.charon ?? ['charon-systemd'];
    this.swanctlBin = opts.swanctl ?? 'swanctl';
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  get charonPid(): number | undefined {
    return this.charon?.running() ? this.charon.pid : undefined;
  }

  /** Makes the plan's SecureConnect configuration the loaded one (or stops charon when there is none). */
  apply(plan: WorkloadPlan, psk: DeliveredPsk | null): Promise<ScApplyResult> {
    return this.serial(() => this.applyNow(plan, psk));
  }

  private async applyNow(plan: WorkloadPlan, psk: DeliveredPsk | null): Promise<ScApplyResult> {
    this.plan = plan;
    const errors = new Map<string, string>();
    let certificateError: string | undefined;
    if (!hasPeers(plan)) {
      this.errors = errors;
      await this.unconfigure();
      return { connections: 0, errors };
    }
    const capable = plan.secure_connect.peers.filter((p) => p.capable && p.ike_version !== null);
    let certificate: SwanctlCertificate | undefined;
    const ca = capable.find((p) => p.auth.method === 'certificate' && p.auth.ca_identity !== null)?.auth;
    if (ca && ca.method === 'certificate' && ca.ca_identity !== null) {
      // Loaded only in certificate mode: node-forge stays out of a PSK daemon's memory.
      const { CertificateError, findHostIdentity } = await import('./certificates.ts');
      try {
        const id = await findHostIdentity(join(this.opts.dataDir, 'etc'), ca.ca_identity);
        await this.ensureDirs();
        await writeFileAtomic(join(this.paths.swanctlDir, 'x509ca', CERT_FILES.ca), id.caPem, 0o644);
        await writeFileAtomic(join(this.paths.swanctlDir, 'x509', CERT_FILES.cert), id.certPem, 0o644);
        await writeFileAtomic(join(this.paths.swanctlDir, 'private', CERT_FILES.cert), id.keyPem, 0o600);
        certificate = { identity: id.identity, ca: ca.ca_identity, caFile: CERT_FILES.ca, certFile: CERT_FILES.cert };
      } catch (err) {
        if (!(err instanceof CertificateError)) throw err;
        certificateError = err.message;
      }
    }
    const keep = (p: SecureConnectPeer): boolean => {
      if (p.auth.method === 'certificate' && p.auth.ca_identity !== null && !certificate) {
        errors.set(p.workload, `certificate: ${certificateError ?? 'no identity certificate'}`);
        return false;
      }
      if (p.auth.method === 'psk' && p.capable && p.ike_version !== null && !psk) {
        errors.set(p.workload, 'the PCE delivered no pre-shared key');
        return false;
      }
      return true;
    };
    const peers = plan.secure_connect.peers.filter(keep);
    const files = renderSwanctl({ ...plan, secure_connect: { ...plan.secure_connect, peers } }, {
      ...(psk ? { psk: { current: psk.current, ...(psk.previous ? { previous: psk.previous } : {}) } } : {}),
      ...(certificate ? { certificate } : {}),
    });
    this.errors = errors;
    const connections = connectionNames(files['swanctl.conf']).size;
    if (connections === 0) {
      await this.unconfigure();
      return { connections, errors, ...(certificateError ? { certificateError } : {}) };
    }
    await this.ensureDirs();
    await writeFileAtomic(this.paths.conf, strongswanConf(this.paths), 0o600);
    if (files.secrets === undefined) await removeFile(this.paths.secrets);
    else await writeFileAtomic(this.paths.secrets, files.secrets, 0o600);
    await writeFileAtomic(this.paths.swanctlConf, files['swanctl.conf'], 0o600);
    this.wanted = true;
    await this.ensureCharon();
    const endedSas = await this.load();
    return { connections, errors, ...(certificateError ? { certificateError } : {}), ...(endedSas.length > 0 ? { endedSas } : {}) };
  }

  /** At daemon start (fail-static): the configuration written before is loaded again, if any. */
  resume(plan: WorkloadPlan | undefined): Promise<void> {
    return this.serial(async () => {
      this.plan = plan;
      await this.killOrphan();
      if (!hasPeers(plan) || (await readFileIfExists(this.paths.swanctlConf)) === undefined) return;
      this.wanted = true;
      await this.ensureCharon();
      await this.load();
    });
  }

  private async ensureDirs(): Promise<void> {
    await ensurePrivateDir(this.paths.dir);
    await ensurePrivateDir(this.paths.swanctlDir);
    for (const d of ['x509ca', 'x509', 'private', 'pkcs12']) await ensurePrivateDir(join(this.paths.swanctlDir, d));
  }

  private swanctl(args: readonly string[], timeoutMs = 30_000): Promise<CommandResult> {
    return runCommand(this.swanctlBin, [...args, '--uri', this.paths.viciUri], { env: charonEnv(this.paths), timeoutMs });
  }

  /** Loads the written configuration, then ends the SAs of connections it no longer has; returns those SAs. */
  private async load(): Promise<EndedSa[]> {
    // swanctl replaces changed connections only and unloads removed ones, and it unloads the
    // shared and private keys no longer in the files. No --clear: it would drop every credential
    // first and load them again, and an IKE_AUTH arriving in between (a peer whose attempt
    // retransmits right then) fails for good with AUTHENTICATION_FAILED.
    // IKE failures logged before this load may be about credentials or peers that changed: not reported any more.
    this.logFrom = await logSize(this.paths.log);
    const r = await this.swanctl(['--load-all', '--file', this.paths.swanctlConf]);
    if (r.code !== 0) throw new Error(`swanctl --load-all failed (${r.code}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' / ')}`);
    return this.endRemovedSas(connectionNames((await readFileIfExists(this.paths.swanctlConf)) ?? ''));
  }

  /**
   * charon keeps the SAs of an unloaded connection until rekey or DPD: each one whose connection
   * is not in `configured` is terminated by unique id (the SAs of kept peers are never named).
   * `--force` with a timeout: charon sends the delete and waits that long for the peer's answer
   * before destroying the SA anyway, so an unreachable peer does not hold up the apply.
   */
  private async endRemovedSas(configured: ReadonlySet<string>): Promise<EndedSa[]> {
    const { sas, listError } = await this.readSas();
    if (listError) this.log.warn({ err: listError }, 'cannot read the SAs to end those of removed SecureConnect peers');
    const ended: EndedSa[] = [];
    for (const sa of sas) {
      if (configured.has(sa.conn)) continue;
      const r = await this.swanctl(['--terminate', '--ike-id', String(sa.uniqueId), '--force', '--timeout', '5'], 15_000);
      if (r.code === 0) {
        ended.push({ conn: sa.conn, uniqueId: sa.uniqueId });
        this.log.info({ conn: sa.conn, unique_id: sa.uniqueId }, 'terminated the IKE SA of a removed SecureConnect peer');
      } else {
        this.log.warn({ conn: sa.conn, unique_id: sa.uniqueId, code: r.code, err: (r.stderr || r.stdout).trim().split('\n').slice(-2).join(' / ') }, 'could not terminate the IKE SA of a removed SecureConnect peer; it ends at rekey or dead-peer detection');
      }
    }
    return ended;
  }

  /** A charon left behind by a VEN that was killed (its PID file names it): stopped, by that PID only. */
  private async killOrphan(): Promise<void> {
    const pid = Number((await readFileIfExists(this.paths.pidFile))?.trim());
    if (!Number.isInteger(pid) || pid <= 1 || pid === this.charon?.pid) return;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    const bin = (this.charonArgv[this.charonArgv.length - 1] ?? 'charon-systemd').split('/').pop() ?? 'charon-systemd';
    if (!cmdline.split('\0')[0]?.endsWith(bin)) return;
    const env = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '');
    if (!env.split('\0').includes(`STRONGSWAN_CONF=${this.paths.conf}`)) return;
    this.log.warn({ pid }, 'stopping the charon a previous VEN left running');
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 50; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }

  private async ensureCharon(): Promise<void> {
    if (this.charon?.running()) return;
    await this.killOrphan();
    await removeFile(this.paths.vici);
    const [file = 'charon-systemd', ...args] = this.charonArgv;
    const child = await startDaemon(file, args, { env: charonEnv(this.paths) });
    this.charon = child;
    await writeFileAtomic(this.paths.pidFile, `${child.pid}\n`, 0o600);
    void child.exited.then((code) => this.onCharonExit(child, code));
    for (let i = 0; i < 100; i++) {
      if (!child.running()) break;
      if ((await this.swanctl(['--stats'], 5_000)).code === 0) {
        this.log.info({ pid: child.pid }, 'charon started');
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const log = ((await readFileIfExists(this.paths.log)) ?? '').trim().split('\n').slice(-5).join(' / ');
    await child.stop();
    throw new Error(`charon did not come up: ${log}`);
  }

  private onCharonExit(child: DaemonProcess, code: number | null): void {
    if (this.charon !== child || !this.wanted) return;
    this.charon = undefined;
    this.log.error({ pid: child.pid, code }, 'charon died; restarting it (plaintext to SecureConnect peers stays dropped meanwhile)');
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.serial(async () => {
        if (!this.wanted || this.charon?.running()) return;
        this.restarts++;
        await this.ensureCharon();
        await this.load();
      }).catch((err: unknown) => this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'charon restart failed'));
    }, this.opts.restartDelayMs ?? 1_000);
  }

  private async stopCharon(): Promise<void> {
    this.wanted = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const child = this.charon;
    this.charon = undefined;
    if (child) {
      await child.stop();
      this.log.info({ pid: child.pid }, 'charon stopped');
    }
    await removeFile(this.paths.pidFile);
  }

  /** No SecureConnect configuration: charon stopped (it deletes its SAs), config files removed. */
  private async unconfigure(): Promise<void> {
    await this.stopCharon();
    for (const f of [this.paths.swanctlConf, this.paths.secrets, join(this.paths.swanctlDir, 'private', CERT_FILES.cert)]) await removeFile(f);
  }

  /** The daemon stops: charon with it (nftables keeps plaintext to peers dropped). The files stay for the next start. */
  stop(): Promise<void> {
    return this.serial(() => this.stopCharon());
  }

  /** Unpair: charon stopped (ours, or one a killed VEN left) and everything under `<data-dir>/ipsec` removed. */
  remove(): Promise<void> {
    return this.serial(async () => {
      await this.killOrphan();
      await this.stopCharon();
      this.plan = undefined;
      await removeTree(this.paths.dir);
    });
  }

  /** The IKE SAs charon holds now (empty when it is not running). */
  async listSas(): Promise<IkeSaInfo[]> {
    if (!this.charon?.running()) return [];
    const r = await this.swanctl(['--list-sas', '--raw'], 10_000);
    if (r.code !== 0) throw new Error(`swanctl --list-sas failed: ${r.stderr.trim()}`);
    return parseListSas(r.stdout);
  }

  /** charon's SAs now, or why they could not be read. */
  private async readSas(): Promise<{ running: boolean; sas: IkeSaInfo[]; listError?: string }> {
    const running = this.charon?.running() ?? false;
    try {
      return { running, sas: await this.listSas() };
    } catch (err) {
      return { running, sas: [], listError: err instanceof Error ? err.message : String(err) };
    }
  }

  /** What the per-peer state is made of: charon's SAs and the IKE failures its log tells. */
  private async observe(): Promise<Observed> {
    const [read, log] = await Promise.all([this.readSas(), logTail(this.paths.log, this.logFrom)]);
    return { ...read, failures: ikeFailures(log) };
  }

  /** Per peer SA state for `palisade ven status`, read from charon now; null when the plan has no SecureConnect peers. */
  async status(): Promise<SecureConnectStatus | null> {
    const plan = this.plan;
    if (!hasPeers(plan)) return null;
    const seen = await this.observe();
    const peers = plan.secure_connect.peers.map((p): PeerStatus => {
      const state = peerState(p, this.errors.get(p.workload), seen);
      const sa = ikeSaOf(p, seen.sas);
      return {
        workload: p.workload,
        name: p.name,
        addresses: p.addresses,
        sa: saPhase(state, sa),
        ike_version: p.ike_version,
        ike_sa: sa ? { conn: sa.conn, unique_id: sa.uniqueId, state: sa.state, children: sa.children.map((c) => c.state) } : null,
        reason: state.reason ?? null,
      };
    });
    return { charon_pid: this.charonPid ?? null, peers };
  }

  /** Per peer `up|down|error` with a reason, and MTU warnings; null when the plan has no SecureConnect peers. */
  async report(): Promise<SecureConnectReport | null> {
    const plan = this.plan;
    if (!hasPeers(plan)) return null;
    const seen = await this.observe();
    const peers = plan.secure_connect.peers.map((p) => peerState(p, this.errors.get(p.workload), seen));
    const mtus = (await interfaceMtus()).filter((m) => m.mtu > 1400).map((m) => ({ interface: m.name, mtu: m.mtu }));
    return { peers, ...(mtus.length > 0 ? { mtu_warnings: mtus } : {}) };
  }
}

/** The connection names of a rendered swanctl.conf (`\tconn-<stem>-v4 {` lines in `connections {}`). */
export function connectionNames(swanctlConf: string): Set<string> {
  return new Set([...swanctlConf.matchAll(/^\t(conn-[^ ]+) \{$/gm)].map((m) => m[1] ?? ''));
}

interface Observed {
  readonly running: boolean;
  readonly sas: readonly IkeSaInfo[];
  readonly listError?: string;
  /** Per connection name, the last IKE failure no establishment cleared (charon's log). */
  readonly failures: ReadonlyMap<string, IkeFailure>;
}

/** The PCE keeps reasons up to 1024 characters. */
function peerState(p: SecureConnectPeer, error: string | undefined, seen: Observed): PeerState {
  const s = peerStateUncut(p, error, seen);
  return s.reason !== undefined && s.reason.length > 1000 ? { ...s, reason: `${s.reason.slice(0, 999)}…` } : s;
}

/** The latest IKE failure of any of the peer's connections (one per address family and address). */
function failureOf(p: SecureConnectPeer, failures: ReadonlyMap<string, IkeFailure>): IkeFailure | undefined {
  const prefix = `conn-${connectionStem(p)}-v`;
  let found: IkeFailure | undefined;
  for (const [conn, f] of failures) if (conn.startsWith(prefix) && (!found || (f.auth && !found.auth))) found = f;
  return found;
}

function peerStateUncut(p: SecureConnectPeer, error: string | undefined, seen: Observed): PeerState {
  const base = { workload: { href: p.workload }, ...(p.ike_version ? { ike_version: p.ike_version } : {}) };
  if (!p.capable || p.ike_version === null) return { ...base, state: 'error', reason: 'the peer cannot do SecureConnect (idle, unmanaged or an OS without IPsec): no SA, traffic with it is blocked' };
  if (error) return { ...base, state: 'error', reason: error };
  if (p.auth.method === 'certificate' && p.auth.ca_identity === null) return { ...base, state: 'error', reason: 'the org authenticates with certificates but has no CA identity: no SA, traffic is blocked' };
  if (!seen.running) return { ...base, state: 'down', reason: 'charon is not running' };
  if (seen.listError) return { ...base, state: 'down', reason: `cannot read the SAs: ${seen.listError}` };
  const sa = ikeSaOf(p, seen.sas);
  if (sa?.state === 'ESTABLISHED' && sa.children.some((c) => c.state === 'INSTALLED')) return { ...base, state: 'up', reason: `IKE SA ${sa.conn} ESTABLISHED, CHILD SA INSTALLED` };
  if (sa?.state === 'ESTABLISHED') {
    const child = sa.children.map((c) => c.state).join(', ');
    return { ...base, state: 'down', reason: `IKE SA ${sa.conn} ESTABLISHED (IKEv${sa.version}), no CHILD SA installed${child ? ` (${child})` : ''}: no ESP, traffic with the peer is dropped` };
  }
  // No established IKE SA: the last failure says why (an authentication failure needs an operator).
  const failed = failureOf(p, seen.failures);
  const last = failed ? `; last IKE attempt failed: ${failed.message}` : '';
  if (failed?.auth) return { ...base, state: 'error', reason: `IKE authentication with the peer fails: ${failed.message}; no SA, traffic with it is dropped` };
  if (!sa) return { ...base, state: 'down', reason: `no IKE SA: the first packet to the peer brings one up (on demand)${last}` };
  return { ...base, state: 'down', reason: `IKE SA ${sa.conn} ${sa.state}${last}` };
}

/** The peer's most advanced IKE SA: one carrying an installed CHILD SA, else an established one, else any. */
function ikeSaOf(p: SecureConnectPeer, sas: readonly IkeSaInfo[]): IkeSaInfo | undefined {
  const prefix = `conn-${connectionStem(p)}-v`;
  const mine = sas.filter((s) => s.conn.startsWith(prefix));
  return (
    mine.find((s) => s.state === 'ESTABLISHED' && s.children.some((c) => c.state === 'INSTALLED')) ??
    mine.find((s) => s.state === 'ESTABLISHED') ??
    mine[0]
  );
}

/** CHILD SA states on the way to INSTALLED (strongSwan's child_sa_state_t). */
const CHILD_IN_PROGRESS = new Set(['CREATED', 'ROUTED', 'INSTALLING', 'REKEYING', 'REKEYED', 'RETRYING']);

export function saPhase(state: PeerState, sa: IkeSaInfo | undefined): PeerStatus['sa'] {
  if (state.state === 'error') return 'error';
  if (state.state === 'up') return 'established';
  if (!sa) return 'down';
  if (sa.state === 'CONNECTING' || (sa.state === 'ESTABLISHED' && sa.children.some((c) => CHILD_IN_PROGRESS.has(c.state)))) return 'connecting';
  return 'down';
}

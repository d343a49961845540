/**
 * Real strongSwan hosts for tests (LAB.md "strongSwan", "Test hosts in network namespaces"):
 * two network namespaces on one veth pair (198.51.100.0/24 only: the machine's own eth0 is on
 * 192.0.2.0/24, and nothing is ever added to the root namespace), one `charon-systemd` per
 * namespace with its own strongswan.conf, vici socket, file log and the explicit plugin list of
 * LAB.md (the default `lookip`/`error-notify` sockets under /run would be shared). Everything
 * a host runs is started here and stopped by PID; namespaces are deleted by name.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderStrongswanConf } from '../../src/strongswan/strongswan-conf.ts';

/** swanctl parses credentials itself before sending them over vici; a short list keeps it fast. */

/** Looks the binaries up on PATH without running them: `charon-systemd --version` would start a daemon (LAB.md). */
export function strongswanMissing(): string | false {
  for (const bin of ['charon-systemd', 'swanctl', 'pki', 'openssl', 'nft', 'ip']) {
    const found = (process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => d !== '' && existsSync(join(d, bin)));
    if (!found) return `needs ${bin} (scripts/install-test-deps.sh: strongswan-swanctl charon-systemd strongswan-pki libcharon-extra-plugins libstrongswan-extra-plugins nftables iproute2 openssl)`;
  }
  return false;
}

export function run(cmd: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeout?: number } = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, [...args], { encoding: 'utf8', env: options.env ?? process.env, input: options.input, timeout: options.timeout ?? 30000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function must(cmd: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeout?: number } = {}): string {
  const r = run(cmd, args, options);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${String(r.status)}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

export class LabHost {
  readonly dir: string;
  readonly swanctlDir: string;
  private charon: ChildProcess | undefined;

  constructor(
    readonly ns: string,
    readonly address: string,
    readonly address6: string,
    root: string,
  ) {
    this.dir = join(root, ns);
    this.swanctlDir = join(this.dir, 'swanctl');
  }

  get vici(): string {
    return `unix://${join(this.dir, 'charon.vici')}`;
  }

  get log(): string {
    return join(this.dir, 'charon.log');
  }

  env(): NodeJS.ProcessEnv {
    return { ...process.env, STRONGSWAN_CONF: join(this.dir, 'strongswan.conf'), SWANCTL_DIR: this.swanctlDir };
  }

  /** The per-host strongswan.conf: one key per line (LAB.md), both daemon and swanctl sections. */
  writeConfig(): void {
    for (const d of ['x509', 'x509ca', 'private', 'pkcs12']) mkdirSync(join(this.swanctlDir, d), { recursive: true });
    const conf = renderStrongswanConf({ log: this.log, vici: this.vici, logLevels: { cfg: 2, ike: 2 } });
    writeFileSync(join(this.dir, 'strongswan.conf'), conf);
  }

  /** Starts charon in the namespace and waits for its vici socket. */
  async startCharon(): Promise<void> {
    if (this.charon) return;
    rmSync(join(this.dir, 'charon.vici'), { force: true });
    const child = spawn('ip', ['netns', 'exec', this.ns, 'charon-systemd'], { env: this.env(), stdio: 'ignore' });
    this.charon = child;
    for (let i = 0; i < 100; i++) {
      if (existsSync(join(this.dir, 'charon.vici')) && run('swanctl', ['--stats', '--uri', this.vici], { env: this.env(), timeout: 10000 }).status === 0) return;
      if (child.exitCode !== null) break;
      await sleep(100);
    }
    throw new Error(`charon in ${this.ns} did not come up: ${this.readLog()}`);
  }

  /** Stops our charon by its PID (`ip netns exec` execs, so the child's PID is charon's). */
  async stopCharon(): Promise<void> {
    const child = this.charon;
    this.charon = undefined;
    if (!child || child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** For a process `exit` handler (no awaiting there): SIGKILL our charon by PID if it still runs. */
  killNow(): void {
    if (this.charon && this.charon.exitCode === null) this.charon.kill('SIGKILL');
    this.charon = undefined;
  }

  swanctl(args: readonly string[], timeout = 30000): { status: number | null; stdout: string; stderr: string } {
    return run('swanctl', [...args, '--uri', this.vici], { env: this.env(), timeout });
  }

  /** Writes the rendered files and loads everything (connections, credentials, secrets). */
  load(files: { readonly 'swanctl.conf': string; readonly secrets?: string }, secretsFile: string): void {
    writeFileSync(join(this.swanctlDir, 'swanctl.conf'), files['swanctl.conf']);
    const secrets = join(this.swanctlDir, secretsFile);
    if (files.secrets === undefined) rmSync(secrets, { force: true });
    else writeFileSync(secrets, files.secrets, { mode: 0o600 });
    const r = this.swanctl(['--load-all', '--clear', '--file', join(this.swanctlDir, 'swanctl.conf')]);
    if (r.status !== 0) throw new Error(`swanctl --load-all in ${this.ns} failed: ${r.stderr}${r.stdout}`);
  }

  /**
   * The states of the IKE SAs by connection name (`ESTABLISHED`, `CONNECTING`, …): a list, since
   * both sides may initiate at once and briefly hold two SAs of one connection.
   */
  ikeStates(): Map<string, string[]> {
    const out = this.swanctl(['--list-sas', '--raw']).stdout;
    const states = new Map<string, string[]>();
    // --raw prints one line per SA: `list-sa event {conn-x {uniqueid=1 version=2 state=ESTABLISHED …`
    for (const m of out.matchAll(/\{([A-Za-z0-9._-]+) \{uniqueid=\d+ version=\d state=([A-Z_]+)/g)) {
      const name = m[1] ?? '';
      states.set(name, [...(states.get(name) ?? []), m[2] ?? '']);
    }
    return states;
  }

  readLog(): string {
    return existsSync(this.log) ? readFileSync(this.log, 'utf8') : '(no log)';
  }

  nft(args: readonly string[], input?: string): string {
    return must('ip', ['netns', 'exec', this.ns, 'nft', ...args], input === undefined ? {} : { input });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Two namespaces joined by one veth pair (IPv4 and IPv6), created inside the namespaces (never in the root one). */
export function createPair(a: LabHost, b: LabHost, prefix: number): void {
  for (const h of [a, b]) {
    must('ip', ['netns', 'add', h.ns]);
    must('ip', ['-n', h.ns, 'link', 'set', 'lo', 'up']);
  }
  must('ip', ['link', 'add', 'pal-va', 'netns', a.ns, 'type', 'veth', 'peer', 'name', 'pal-vb', 'netns', b.ns]);
  for (const [h, dev] of [
    [a, 'pal-va'],
    [b, 'pal-vb'],
  ] as const) {
    must('ip', ['-n', h.ns, 'addr', 'add', `${h.address}/${prefix}`, 'dev', dev]);
    // nodad: usable at once, no duplicate address detection wait.
    must('ip', ['-n', h.ns, 'addr', 'add', `${h.address6}/64`, 'dev', dev, 'nodad']);
    must('ip', ['-n', h.ns, 'link', 'set', dev, 'up']);
  }
}

export function deleteNamespace(ns: string): void {
  run('ip', ['netns', 'delete', ns]);
}

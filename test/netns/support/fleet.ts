/**
 * A fleet of hosts in network namespaces on one bridge (LAB.md recipe), a real PCE process in
 * its own namespace on the bridge (192.0.2.254), and real VEN daemons started as child
 * processes inside the host namespaces. Everything created here is torn down by `close()`.
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { apiRequest, type ApiAnswer } from '../../support/api-request.ts';

export const REPO = resolve(import.meta.dirname, '../../..');
const CLI = join(REPO, 'bin/palisade.mjs');
export const PCE_ADDRESS = '192.0.2.254';

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

export function nsExec(ns: string, file: string, args: readonly string[], input?: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, file, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

// 60 s: under tsx a CLI command takes ~11 s just to start on a loaded 2-core machine.
export function nsExecAsync(ns: string, file: string, args: readonly string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('ip', ['netns', 'exec', ns, file, ...args], { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      // A command killed by the timeout has no exit code and often no output: say so.
      const killed = err !== null && (err as { killed?: boolean }).killed === true;
      done({ code, stdout, stderr: killed ? `${stderr}[killed after ${timeoutMs} ms]` : stderr });
    });
  });
}

export interface Host {
  readonly ns: string;
  readonly address: string;
  readonly dataDir: string;
  ven?: ChildProcess;
  servers?: ChildProcess;
}

export type { ApiAnswer } from '../../support/api-request.ts';

export class Fleet {
  readonly id = randomBytes(2).toString('hex');
  readonly sw = `pal-sw-${this.id}`;
  readonly hosts: Host[] = [];
  readonly pceNs = `pal-pce-${this.id}`;
  pceProcess: ChildProcess | undefined;
  pceDir = '';
  apiSocket = '';
  private fp = '';
  workDir = '';
  private port = 0;
  private key = '';
  private readonly children = new Set<ChildProcess>();
  /** The first three octets of the fleet's /24 (hosts .1…, the PCE .254). */
  subnet = '192.0.2';

  get pceAddress(): string {
    return this.subnet === '192.0.2' ? PCE_ADDRESS : `${this.subnet}.254`;
  }

  async setUp(count: number, subnet = '192.0.2'): Promise<void> {
    this.subnet = subnet;
    this.workDir = await mkdtemp(join(tmpdir(), 'palisade-netns-'));
    this.pceDir = join(this.workDir, 'pce');
    ip('netns', 'add', this.sw);
    ip('-n', this.sw, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', this.sw, 'link', 'set', 'br0', 'up');
    for (let i = 1; i <= count; i++) {
      const ns = `pal-h${i}-${this.id}`;
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      ip('link', 'add', `palt${this.id}${i}`, 'netns', ns, 'type', 'veth', 'peer', 'name', `p${i}`, 'netns', this.sw);
      ip('-n', ns, 'link', 'set', `palt${this.id}${i}`, 'name', 'eth0');
      ip('-n', ns, 'addr', 'add', `${subnet}.${i}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', this.sw, 'link', 'set', `p${i}`, 'master', 'br0');
      ip('-n', this.sw, 'link', 'set', `p${i}`, 'up');
      this.hosts.push({ ns, address: `${subnet}.${i}`, dataDir: join(this.workDir, `ven${i}`) });
    }
    // The PCE's own namespace on the bridge (never the root namespace: it may be on 192.0.2.0/24 itself).
    ip('netns', 'add', this.pceNs);
    ip('-n', this.pceNs, 'link', 'set', 'lo', 'up');
    ip('link', 'add', `palp${this.id}`, 'netns', this.pceNs, 'type', 'veth', 'peer', 'name', 'pce', 'netns', this.sw);
    ip('-n', this.pceNs, 'link', 'set', `palp${this.id}`, 'name', 'eth0');
    ip('-n', this.pceNs, 'addr', 'add', `${this.pceAddress}/24`, 'dev', 'eth0');
    ip('-n', this.pceNs, 'link', 'set', 'eth0', 'up');
    ip('-n', this.sw, 'link', 'set', 'pce', 'master', 'br0');
    ip('-n', this.sw, 'link', 'set', 'pce', 'up');
    this.apiSocket = join(this.workDir, 'pce-api.sock');
    await this.startPce();
  }

  /** Starts (or restarts, same data dir and port) the PCE process in its namespace. */
  async startPce(): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', this.pceNs, process.execPath, '--import', 'tsx', join(import.meta.dirname, 'pce-process.ts'), this.pceDir, `${this.pceAddress}:${this.port}`, this.apiSocket], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    const line = await new Promise<string>((ok, fail) => {
      let buf = '';
      child.stdout?.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        const nl = buf.indexOf('\n');
        if (nl !== -1) ok(buf.slice(0, nl));
      });
      child.once('exit', (code) => fail(new Error(`the PCE process exited with ${code}`)));
    });
    const info = JSON.parse(line) as { port: number; fingerprint: string; adminKey: { key_id: string; secret: string } | null };
    this.port = info.port;
    this.fp = info.fingerprint;
    if (info.adminKey) this.key = `${info.adminKey.key_id}:${info.adminKey.secret}`;
    this.pceProcess = child;
  }

  /** Kills the PCE process outright (SIGKILL: no goodbye to the agents). */
  async killPce(): Promise<void> {
    const c = this.pceProcess;
    this.pceProcess = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((done) => {
      c.once('exit', () => done());
      c.kill('SIGKILL');
    });
  }

  get url(): string {
    return `https://${this.pceAddress}:${this.port}`;
  }

  get fingerprint(): string {
    return this.fp;
  }

  /** The REST API as the org owner (the test trusts its own PCE's self-signed certificate). */
  api(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    return apiRequest({ socketPath: this.apiSocket }, this.key, method, path, body);
  }

  /** `palisade …` inside a host namespace. */
  cli(host: Host, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return nsExecAsync(host.ns, process.execPath, [CLI, ...args]);
  }

  /** Pairs a host with a fresh activation code of the profile; the PCE fingerprint travels inside the code (CODE@FINGERPRINT). */
  async activate(host: Host, profileHref: string): Promise<{ ven: string; workload: string }> {
    const code = String(((await this.api('POST', `${profileHref}/pairing_key`, {})).body as { activation_code: string }).activation_code);
    const r = await this.cli(host, ['ven', 'activate', '--pce', this.url, '--activation-code', `${code}@${this.fingerprint}`, '--data-dir', host.dataDir, '--json']);
    if (r.code !== 0) throw new Error(`palisade ven activate in ${host.ns} exited ${r.code}: ${r.stderr}`);
    const out = JSON.parse(r.stdout) as { ven: { href: string }; workload: { href: string } };
    return { ven: out.ven.href, workload: out.workload.href };
  }

  startVen(host: Host): ChildProcess {
    const log = createWriteStream(join(this.workDir, `${host.ns}.log`), { flags: 'a' });
    const child = spawn('ip', ['netns', 'exec', host.ns, process.execPath, CLI, 'ven', 'run', '--data-dir', host.dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    host.ven = child;
    return child;
  }

  async stopVen(host: Host): Promise<void> {
    const c = host.ven;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((done) => {
      c.once('exit', () => done());
      c.kill('SIGTERM');
      setTimeout(() => c.kill('SIGKILL'), 5_000).unref();
    });
  }

  /** TCP listeners on `ports` inside the host (they answer "ok" and close). */
  startServers(host: Host, ports: readonly number[]): Promise<void> {
    const code = `const net=require('net');let n=0;for(const p of ${JSON.stringify(ports)}){net.createServer(s=>{s.end('ok')}).listen(p,'0.0.0.0',()=>{if(++n===${ports.length})console.log('ready')})}`;
    const child = spawn('ip', ['netns', 'exec', host.ns, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    host.servers = child;
    return new Promise((ok, fail) => {
      child.stdout?.once('data', () => ok());
      child.once('exit', (c) => fail(new Error(`servers in ${host.ns} exited with ${c}`)));
    });
  }

  /** Does a TCP connection from `from` to `to:port` get through within 1.2 s? */
  async connects(from: Host, to: Host, port: number): Promise<boolean> {
    const code = `const s=require('net').connect({host:'${to.address}',port:${port}});const t=setTimeout(()=>{process.exit(2)},1200);s.on('data',()=>{clearTimeout(t);process.exit(0)});s.on('error',()=>process.exit(3))`;
    const r = await nsExecAsync(from.ns, process.execPath, ['-e', code], 5_000);
    return r.code === 0;
  }

  async close(): Promise<void> {
    for (const h of this.hosts) await this.stopVen(h);
    for (const c of this.children) c.kill('SIGKILL');
    await this.killPce();
    for (const h of this.hosts) {
      try {
        ip('netns', 'del', h.ns);
      } catch {
        // gone already
      }
    }
    for (const cmd of [['netns', 'del', this.pceNs], ['netns', 'del', this.sw]]) {
      try {
        ip(...cmd);
      } catch {
        // gone already
      }
    }
    if (!process.env['PALISADE_KEEP_TEST_DIRS']) await rm(this.workDir, { recursive: true, force: true });
  }
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Where a host's VEN keeps its own charon (config, vici socket, log). */
export function ipsecDir(host: Host): string {
  return join(host.dataDir, 'ipsec');
}

/**
 * The PID of the charon a host's VEN runs (its PID file), or undefined; every PID seen is added
 * to `seen`, so a test can kill by PID whatever a killed VEN left behind.
 */
export function venCharonPid(host: Host, seen: Set<number>): number | undefined {
  const f = join(ipsecDir(host), 'charon.pid');
  if (!existsSync(f)) return undefined;
  const pid = Number(readFileSync(f, 'utf8').trim());
  if (Number.isInteger(pid)) seen.add(pid);
  return pid;
}

/** `swanctl` against the charon a host's VEN runs (its vici socket and config under `<data-dir>/ipsec`). */
export function venSwanctl(host: Host, args: readonly string[]): string {
  const dir = ipsecDir(host);
  const r = spawnSync('swanctl', [...args, '--uri', `unix://${join(dir, 'charon.vici')}`], {
    encoding: 'utf8',
    env: { ...process.env, STRONGSWAN_CONF: join(dir, 'strongswan.conf'), SWANCTL_DIR: join(dir, 'swanctl') },
    timeout: 20_000,
  });
  if (r.status !== 0) throw new Error(`swanctl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export interface VenIkeSa {
  readonly conn: string;
  readonly uniqueId: number;
  readonly state: string;
}

/** The IKE SAs a host's charon holds (none when it does not run). */
export function venIkeSas(host: Host): VenIkeSa[] {
  let out = '';
  try {
    out = venSwanctl(host, ['--list-sas', '--raw']);
  } catch {
    return [];
  }
  return [...out.matchAll(/\{([A-Za-z0-9._-]+) \{uniqueid=(\d+) version=\d state=([A-Z_]+)/g)].map((m) => ({ conn: m[1] ?? '', uniqueId: Number(m[2]), state: m[3] ?? '' }));
}

/** The last lines of a host's charon log, for failure messages. */
export function charonLogTail(host: Host, lines = 15): string {
  try {
    return readFileSync(join(ipsecDir(host), 'charon.log'), 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no charon log)';
  }
}

/**
 * Brings IKE up between two VEN hosts and returns `from`'s established IKE SA. `conn(peer)` is
 * the connection name a host uses for `peer`. Any packet brings IKE up on demand (trap policy;
 * the packet itself is dropped: no ESP in this kernel, so no CHILD SA). After a failed CHILD SA
 * the kernel keeps the larval acquire state (net.core.xfrm_acq_expires), so the trap stays
 * quiet for a while: `from` also initiates explicitly (the CHILD SA fails, IKE comes up).
 */
export async function bringUpIke(fleet: Fleet, from: Host, to: Host, conn: (peer: Host) => string, timeoutMs = 40_000): Promise<VenIkeSa> {
  const established = (h: Host, peer: Host): VenIkeSa | undefined => venIkeSas(h).find((s) => s.conn === conn(peer) && s.state === 'ESTABLISHED');
  try {
    return await waitFor(`IKE between ${from.ns} and ${to.ns}`, async () => {
      if (!established(from, to) || !established(to, from)) {
        await fleet.connects(from, to, 5432);
        if (!established(from, to)) {
          const dir = ipsecDir(from);
          spawnSync('swanctl', ['--initiate', '--child', conn(to), '--timeout', '8', '--uri', `unix://${join(dir, 'charon.vici')}`], { env: { ...process.env, STRONGSWAN_CONF: join(dir, 'strongswan.conf') }, timeout: 15_000 });
        }
      }
      const a = established(from, to);
      return a && established(to, from) ? a : undefined;
    }, timeoutMs, 500);
  } catch (err) {
    throw new Error(`${String(err)}\n${from.ns}: ${JSON.stringify(venIkeSas(from))}\n${to.ns}: ${JSON.stringify(venIkeSas(to))}\n--- ${from.ns} log\n${charonLogTail(from)}\n--- ${to.ns} log\n${charonLogTail(to)}`);
  }
}

/**
 * System access for the flow collector (issue 6), kept in `sys/` like every other process
 * spawn and system-file write of the VEN (STYLE §8): the flow sets read with `nft -j list
 * set`, the long-running `tcpdump -i nflog:N -U -w -` children whose stdout is raw pcap, and
 * the append-only segment files of the on-disk flow buffer.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { runCommand, type CommandResult } from './run-command.ts';

/** `nft -j list set inet TABLE NAME` (`nft` may be prefixed: `['ip', 'netns', 'exec', 'ns', 'nft']`). */
export function listSetJson(nft: readonly string[], table: string, set: string): Promise<CommandResult> {
  const [bin = 'nft', ...pre] = nft;
  return runCommand(bin, [...pre, '-j', 'list', 'set', 'inet', table, set], { timeoutMs: 30_000 });
}

/**
 * The argv that starts tcpdump so that it dies with the VEN: through util-linux `setpriv
 * --pdeathsig KILL` when installed, with `-Z root` (tcpdump otherwise switches to its own user,
 * and a credential change clears the parent-death signal). Without it, a VEN killed with
 * SIGKILL leaves tcpdump waiting for the next NFLOG packet (it only notices the closed pipe
 * when it writes) — forever in a namespace that is gone.
 */
export function tcpdumpCommand(): string[] {
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  return setpriv ? [setpriv, '--pdeathsig', 'KILL', '--', 'tcpdump', '-Z', 'root'] : ['tcpdump'];
}

export interface BinaryProcess {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  stop(): void;
}

/**
 * Starts a long-running `file argv…` whose stdout is binary (tcpdump writing pcap to `-`):
 * every chunk goes to `onData`; `onExit` is called once, whatever ended it (also a spawn error
 * such as ENOENT: tcpdump not installed). stderr is kept (last 2 KiB) for the exit report.
 */
export function spawnBinary(file: string, args: readonly string[], onData: (chunk: Buffer) => void, onExit: (code: number | null, stderr: string) => void): BinaryProcess {
  const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'pipe'], shell: false });
  let err = '';
  child.stdout?.on('data', (c: Buffer) => onData(c));
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => {
    err = (err + c).slice(-2048);
  });
  let exited = false;
  const done = (code: number | null, e?: Error): void => {
    if (exited) return;
    exited = true;
    onExit(code, e ? `${e.message}\n${err}` : err);
  };
  child.once('error', (e) => done(null, e));
  child.once('close', (code) => done(code));
  return {
    child,
    pid: child.pid,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

/** Appends `data` to `path` (created 0600 if absent) and fsyncs it: a line is on disk when this resolves. */
export async function appendDurable(path: string, data: string): Promise<void> {
  const fh = await open(path, 'a', 0o600);
  try {
    await fh.appendFile(data, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Names in a directory ([] when it does not exist). */
export async function listDirectory(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8');
}

export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** Removes a directory of the VEN's own and everything in it (the flow buffer at unpair). */
export async function removeTree(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}

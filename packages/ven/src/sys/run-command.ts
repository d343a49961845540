/**
 * Spawning processes: the only place in the VEN that does (STYLE §8). Always `execFile`-style
 * argv arrays, never a shell string; input goes through stdin, never the command line.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to the child's stdin, then stdin is closed. */
  readonly stdin?: string;
  /** Killed with SIGKILL after this long; default 60 s. */
  readonly timeoutMs?: number;
  /** The child's whole environment; default ours (swanctl needs STRONGSWAN_CONF and SWANCTL_DIR). */
  readonly env?: NodeJS.ProcessEnv;
}

/** A command started by `startCommand`. */
export interface RunningCommand {
  /**
   * Settles once the child has been handed all of its stdin (the pipe took the last byte),
   * or could not take it. Until then the child may be waiting for input: work that keeps
   * this thread busy belongs after it.
   */
  readonly written: Promise<void>;
  /** The exit code and output. Never rejects for a non-zero exit: the caller reads `code`. */
  readonly done: Promise<CommandResult>;
}

/** Starts `file argv…`; see `RunningCommand`. */
export function startCommand(file: string, args: readonly string[], opts: RunOptions = {}): RunningCommand {
  let inputDone: () => void = () => undefined;
  const written = new Promise<void>((resolve) => (inputDone = resolve));
  const done = new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(file, [...args], { stdio: ['pipe', 'pipe', 'pipe'], shell: false, ...(opts.env ? { env: opts.env } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.once('error', (e) => {
      clearTimeout(timer);
      inputDone();
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      inputDone();
      resolve({ code: code ?? (signal ? 128 : 1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    // A child that exits before reading all of stdin makes the write fail with EPIPE: its exit code tells the story.
    child.stdin.on('error', () => inputDone());
    child.stdin.end(opts.stdin ?? '', () => inputDone());
  });
  return { written, done };
}

/** Runs `file argv…` to completion. Never throws for a non-zero exit: the caller reads `code`. */
export function runCommand(file: string, args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
  return startCommand(file, args, opts).done;
}

export interface LineProcess {
  readonly child: ChildProcess;
  stop(): void;
}

/**
 * Starts a long-running `file argv…` and calls `onLine` for each line of its stdout
 * (`nft monitor`). `onExit` is called once when it ends, for whatever reason.
 */
export function spawnLines(file: string, args: readonly string[], onLine: (line: string) => void, onExit: (code: number | null) => void): LineProcess {
  const child = spawn(file, [...args], { stdio: ['ignore', 'pipe', 'ignore'], shell: false });
  let rest = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    rest += chunk;
    let nl = rest.indexOf('\n');
    while (nl !== -1) {
      onLine(rest.slice(0, nl));
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
  });
  let exited = false;
  const done = (code: number | null): void => {
    if (exited) return;
    exited = true;
    onExit(code);
  };
  child.once('error', () => done(null));
  child.once('close', (code) => done(code));
  return {
    child,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

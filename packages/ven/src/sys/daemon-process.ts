/**
 * Long-running child daemons (the VEN's own charon): argv only, never a shell, PID tracked so
 * that only the process we started is ever signalled. Part of `sys`, the only code in the VEN
 * that spawns processes (STYLE §8).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface DaemonProcess {
  readonly pid: number;
  /** Settles with the exit code (or null after a signal) once the process has ended. */
  readonly exited: Promise<number | null>;
  running(): boolean;
  /** SIGTERM to our PID, SIGKILL after `graceMs` (default 5 s); resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

export interface DaemonOptions {
  /** The child's whole environment (not merged with ours). */
  readonly env?: NodeJS.ProcessEnv;
}

export function startDaemon(file: string, args: readonly string[], opts: DaemonOptions = {}): Promise<DaemonProcess> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(file, [...args], { stdio: 'ignore', shell: false, env: opts.env ?? process.env });
    let code: number | null | undefined;
    const exited = new Promise<number | null>((done) => {
      child.once('exit', (c) => {
        code = c;
        done(c);
      });
    });
    child.once('error', (err) => reject(err));
    child.once('spawn', () => {
      const pid = child.pid;
      if (pid === undefined) return reject(new Error(`${file} has no PID`));
      resolve({
        pid,
        exited,
        running: () => code === undefined,
        stop: async (graceMs = 5_000) => {
          if (code !== undefined) return;
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}

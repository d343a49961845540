/**
 * `palisade-ven run [--data-dir DIR]`: the daemon alone, for the systemd unit. Same daemon
 * as `palisade ven run`, without the CLI's other commands and the PCE code they pull in.
 * Two entries call it: `bin/palisade-ven.mjs` (through tsx, from the source tree) and the
 * production bundle `dist/palisade-ven.mjs` (`npm run build:ven`), which needs no loader.
 */
import { resolve } from 'node:path';
import pino from 'pino';
import { DEFAULT_DATA_DIR, runVen } from './main.ts';

const USAGE = 'usage: palisade-ven run [--data-dir DIR]   (other commands: palisade ven …)\n';

/** Runs the daemon until it stops; sets `process.exitCode` on a usage or start-up error. */
export async function daemonCli(args: readonly string[]): Promise<void> {
  if (args[0] !== 'run') {
    process.stderr.write(USAGE);
    process.exitCode = 2;
    return;
  }
  const i = args.indexOf('--data-dir');
  const dataDir = i === -1 ? DEFAULT_DATA_DIR : args[i + 1];
  if (!dataDir) {
    process.stderr.write('--data-dir needs a directory\n');
    process.exitCode = 2;
    return;
  }
  const log = pino({ level: process.env['PALISADE_LOG_LEVEL'] || 'info', base: { component: 'ven' } });
  try {
    const daemon = await runVen({ dataDir: resolve(dataDir), log });
    await daemon.done;
  } catch (err) {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

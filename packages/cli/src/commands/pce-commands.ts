/** `palisade pce start`: the PCE on its embedded default or the given store. */
import type { Command } from 'commander';
import { startPce, type RunningPce } from '@palisade/pce/main.ts';
import { invalid } from '@palisade/core/errors.ts';
import type { CliIo } from '../io.ts';
import { resolve } from 'node:path';

export interface PceStartFlags {
  readonly dataDir: string;
  readonly listen: string;
  readonly db?: string;
  readonly tls: string;
  readonly rateLimit: string;
}

export async function pceStart(flags: PceStartFlags, io: CliIo): Promise<RunningPce> {
  if (flags.tls !== 'auto' && flags.tls !== 'off') throw invalid('invalid_flag', `--tls must be auto or off, not "${flags.tls}"`);
  if (!/^\d+$/.test(flags.rateLimit)) throw invalid('invalid_flag', `--rate-limit must be a number of requests a minute per API key (0 = unlimited), not "${flags.rateLimit}"`);
  const running = await startPce({
    dataDir: resolve(io.cwd, flags.dataDir),
    listen: flags.listen,
    ...(flags.db ? { db: flags.db } : {}),
    tls: flags.tls,
    rateLimitPerMinute: Number(flags.rateLimit),
  });
  io.out(`Palisade PCE listening on ${running.url}`);
  if (running.fingerprint) io.out(`TLS certificate SHA-256 fingerprint: ${running.fingerprint}`);
  if (running.adminKey) {
    io.out(`Created org 1 and its owner API key (shown once):`);
    io.out(`  key id: ${running.adminKey.key_id}`);
    io.out(`  secret: ${running.adminKey.secret}`);
  }
  io.out(`Owner API key file: ${running.adminKeyPath} (mode 0600)`);
  if (running.consolePassword) io.out(`Console: ${running.url}/ — sign in as "${running.consolePassword.username}" with the password in ${running.consolePasswordPath} (mode 0600)`);
  io.out(`Try: curl -sk -u "$(jq -r '.key_id + ":" + .secret' ${running.adminKeyPath})" ${running.url}/api/v2/orgs/1/labels`);
  return running;
}

export function registerPceCommands(program: Command, io: CliIo, run: (fn: () => Promise<unknown>) => Promise<void>): void {
  const pce = program.command('pce').description('run the Policy Compute Engine');
  pce
    .command('start')
    .description('start the PCE (embedded SQLite and a self-signed certificate by default)')
    .option('--data-dir <dir>', 'data directory (database, TLS certificate, owner key)', './data')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8443')
    .option('--db <url>', 'sqlite:PATH or postgres://user@host/db (default: SQLite in the data dir)')
    .option('--tls <mode>', 'auto (self-signed on first start) or off (plain HTTP: loopback and tests only)', 'auto')
    .option('--rate-limit <n>', 'API requests a minute per key, 0 for unlimited', '500')
    .action((flags: PceStartFlags) =>
      run(async () => {
        const running = await pceStart(flags, io);
        await new Promise<void>((done) => {
          const stop = (): void => {
            void running.close().then(done);
          };
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
      }),
    );
}

/** Runs the CLI in-process against a real in-process PCE in a temp dir. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPce, type RunningPce } from '@palisade/pce/main.ts';
import { main } from '../src/main.ts';
import type { CliIo } from '../src/io.ts';

export interface RunResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export interface TestPce {
  readonly dir: string;
  readonly pce: RunningPce;
  /** Runs `palisade …` with --pce and the owner key added. */
  readonly cli: (...argv: string[]) => Promise<RunResult>;
  /** Runs `palisade …` exactly as given, with the temp dir as cwd. */
  readonly raw: (argv: readonly string[], env?: Record<string, string>) => Promise<RunResult>;
  readonly close: () => Promise<void>;
}

export async function withPce(tls: 'off' | 'auto' = 'off'): Promise<TestPce> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-cli-'));
  const pce = await startPce({ dataDir: join(dir, 'data'), listen: '127.0.0.1:0', tls, rateLimitPerMinute: 0 });
  const raw = async (argv: readonly string[], env: Record<string, string> = {}): Promise<RunResult> => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), cwd: dir, env };
    const code = await main(argv, io);
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  const extra = tls === 'auto' ? ['--fingerprint', pce.fingerprint ?? ''] : [];
  return {
    dir,
    pce,
    raw,
    cli: (...argv) => raw([...argv, '--pce', pce.url, ...extra]),
    close: async () => {
      await pce.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The `palisade` command as plain JavaScript for the QEMU guest: under TCG, tsx transpiling
 * the sources at each start costs minutes per process (measured: importing the PCE through
 * tsx took 207 s in the guest, `node -e 1` 5 s), so the guest runs the same sources bundled
 * once on the host by esbuild (the way `npm run build:ven` bundles the daemon). Code split
 * per dynamic import, so `palisade ven …` loads no PCE code. Written under
 * `node_modules/.cache/` of the repository so that the packages left outside (native
 * addons, database drivers) resolve from there as they do for `bin/palisade.mjs`.
 */
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../../..');

/**
 * Builds the bundle (seconds) and returns its two entries: `cli` is `bin/palisade.mjs`
 * (`node CLI ven activate …`), `daemon` is `bin/palisade-ven.mjs` (`node DAEMON run …`, what
 * the systemd unit runs).
 */
export async function buildGuestBundles(): Promise<{ cli: string; daemon: string }> {
  const dir = join(REPO, 'node_modules', '.cache', 'palisade-guest-cli');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const entry = join(dir, 'entry.ts');
  writeFileSync(entry, `import { main } from ${JSON.stringify(join(REPO, 'packages/cli/src/main.ts'))};\nprocess.exitCode = await main(process.argv.slice(2));\n`);
  const daemonEntry = join(dir, 'daemon-entry.ts');
  writeFileSync(daemonEntry, `import { daemonCli } from ${JSON.stringify(join(REPO, 'packages/ven/src/daemon-cli.ts'))};\nawait daemonCli(process.argv.slice(2));\n`);
  await build({
    entryPoints: { palisade: entry, 'palisade-ven': daemonEntry },
    outdir: join(dir, 'out'),
    bundle: true,
    splitting: true,
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['better-sqlite3', 'pg', 'pg-native', 'pg-query-stream', 'playwright-core'],
    banner: { js: "import { createRequire as __palisadeCreateRequire } from 'node:module';\nconst require = __palisadeCreateRequire(import.meta.url);" },
    minifySyntax: true,
    legalComments: 'none',
    logLevel: 'error',
  });
  return { cli: join(dir, 'out', 'palisade.mjs'), daemon: join(dir, 'out', 'palisade-ven.mjs') };
}

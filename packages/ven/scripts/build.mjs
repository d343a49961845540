#!/usr/bin/env node
// `npm run build:ven`: the production bundle of the VEN daemon, dist/palisade-ven.mjs — one
// ESM file with @palisade/core, @palisade/render and pino inside, Node built-ins outside. It
// runs on plain `node` (no tsx: no TypeScript hooks, no transpiling at start), which is what
// keeps an idle agent's memory low. The systemd unit and the benchmark run it.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(pkg, 'dist', 'palisade-ven.mjs');
await build({
  stdin: {
    contents: "import { daemonCli } from './src/daemon-cli.ts';\nawait daemonCli(process.argv.slice(2));\n",
    resolveDir: pkg,
    sourcefile: 'palisade-ven-entry.ts',
    loader: 'ts',
  },
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // pino is CommonJS and require()s Node built-ins; an ES module has no `require` of its own.
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __palisadeCreateRequire } from 'node:module';\nconst require = __palisadeCreateRequire(import.meta.url);" },
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'none',
  logLevel: 'warning',
});
process.stdout.write(`built ${outfile}\n`);

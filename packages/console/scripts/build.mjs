#!/usr/bin/env node
// `npm run build:console`: bundles the console (src/main.tsx, Preact) into dist/ — app.js,
// app.css and index.html — which the PCE serves at `/`. Fast (well under a second), so
// `npm start`, `npm ci` (prepare) and the browser tests simply rebuild it.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(pkg, 'dist');
mkdirSync(dist, { recursive: true });
await build({
  entryPoints: { app: join(pkg, 'src', 'main.tsx') },
  outdir: dist,
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: ['chrome120', 'firefox120', 'safari17'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: process.env.CONSOLE_MINIFY !== '0',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(join(pkg, 'src', 'index.html'), join(dist, 'index.html'));
process.stdout.write(`built ${dist}\n`);

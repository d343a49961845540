#!/usr/bin/env node
// The VEN daemon alone, for systemd: `palisade-ven run [--data-dir DIR]`. Same daemon as
// `palisade ven run`, without the CLI's other commands (and the PCE code they pull in), and
// with tsx's in-thread CommonJS hook instead of its ESM loader thread: an idle agent then
// needs about half the memory. Run with `node --max-semi-space-size=1` (the unit does).
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

// No module.register(): tsx's CommonJS hook runs in this thread, so no loader thread is started.
const require = createRequire(import.meta.url);
require('tsx/cjs/api').register();
const { runVen } = require('../src/main.ts');
const pino = require('pino');

const args = process.argv.slice(2);
if (args[0] !== 'run') {
  process.stderr.write('usage: palisade-ven run [--data-dir DIR]   (other commands: palisade ven …)\n');
  process.exit(2);
}
const i = args.indexOf('--data-dir');
const dataDir = i === -1 ? '/var/lib/palisade' : args[i + 1];
if (!dataDir) {
  process.stderr.write('--data-dir needs a directory\n');
  process.exit(2);
}
const log = pino({ level: process.env.PALISADE_LOG_LEVEL || 'info', base: { component: 'ven' } });
runVen({ dataDir: resolve(dataDir), log }).then(
  (daemon) => daemon.done,
  (err) => {
    process.stderr.write(`error: ${err && err.message ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

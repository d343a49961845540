#!/usr/bin/env node
// The VEN daemon alone, from the source tree: `palisade-ven run [--data-dir DIR]`
// (src/daemon-cli.ts). Production runs the bundle instead (`npm run build:ven` →
// dist/palisade-ven.mjs: no TypeScript loader, less memory). This entry uses tsx's in-thread
// CommonJS hook rather than its ESM loader thread, which would cost a second V8 isolate.
import { createRequire } from 'node:module';

// No module.register(): tsx's CommonJS hook runs in this thread, so no loader thread is started.
const require = createRequire(import.meta.url);
require('tsx/cjs/api').register();
const { daemonCli } = require('../src/daemon-cli.ts');

await daemonCli(process.argv.slice(2));

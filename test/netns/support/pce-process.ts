/**
 * The fleet's PCE as its own process, run inside its own network namespace (the root
 * namespace of these machines is itself on 192.0.2.0/24, so the PCE cannot sit there).
 * It serves VENs on 192.0.2.254 and the test's REST calls through a unix socket that
 * forwards to the same port (unix sockets are not namespaced). Prints one JSON line when up.
 * Usage: node --import tsx pce-process.ts DATA_DIR LISTEN UNIX_SOCKET
 */
import { createConnection, createServer } from 'node:net';
import { rmSync } from 'node:fs';
import pino from 'pino';
import { startPce } from '@palisade/pce/main.ts';

const [dataDir, listen, unixPath] = process.argv.slice(2);
if (!dataDir || !listen || !unixPath) throw new Error('usage: pce-process.ts DATA_DIR LISTEN UNIX_SOCKET');
const running = await startPce({ dataDir, listen, tls: 'auto', rateLimitPerMinute: 0, logger: pino({ level: process.env['PALISADE_TEST_LOG_LEVEL'] ?? 'silent' }) });
const host = listen.slice(0, listen.lastIndexOf(':'));
rmSync(unixPath, { force: true });
const proxy = createServer((c) => {
  const up = createConnection({ host, port: running.port });
  c.pipe(up).pipe(c);
  c.on('error', () => up.destroy());
  up.on('error', () => c.destroy());
});
proxy.listen(unixPath, () => {
  process.stdout.write(JSON.stringify({ url: running.url, port: running.port, fingerprint: running.fingerprint, adminKey: running.adminKey ?? null }) + '\n');
});
const stop = (): void => {
  proxy.close();
  void running.close().then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

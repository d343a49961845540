/**
 * The pinned TLS agent against a real TLS server (the PCE's own certificate code): the pin is
 * checked on a full handshake, later connections resume the session, and a server whose
 * certificate is not the pinned one is refused whatever was resumed before.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOrCreateTls } from '@palisade/pce/tls.ts';
import { PinnedAgent } from '../src/channel/pinned-agent.ts';

async function serve(dir: string): Promise<{ server: Server; port: number; fingerprint: string; resumed: () => number }> {
  const tls = await loadOrCreateTls(dir, '127.0.0.1', new Date());
  let resumed = 0;
  // A new connection per request: the agent must dial (and resume) every time.
  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    res.setHeader('connection', 'close');
    res.end('ok');
  });
  server.on('secureConnection', (s) => {
    if (s.isSessionReused()) resumed++;
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, port: (server.address() as AddressInfo).port, fingerprint: tls.fingerprint, resumed: () => resumed };
}

function get(agent: PinnedAgent, port: number): Promise<string> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => ok(text));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('PinnedAgent', () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'palisade-pin-a-')), mkdtempSync(join(tmpdir(), 'palisade-pin-b-'))];
  let a: Awaited<ReturnType<typeof serve>>;
  let b: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    a = await serve(dirs[0] ?? '');
    b = await serve(dirs[1] ?? '');
  });
  after(() => {
    a.server.close();
    b.server.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('pins the first connection and resumes the session on the next ones', async () => {
    const agent = new PinnedAgent(a.fingerprint, { keepAlive: false });
    for (let i = 0; i < 4; i++) assert.equal(await get(agent, a.port), 'ok');
    assert.ok(a.resumed() >= 2, `${a.resumed()} of 3 later connections resumed`);
    agent.destroy();
  });

  it('refuses a server with another certificate, also after a session with the pinned one', async () => {
    const agent = new PinnedAgent(a.fingerprint, { keepAlive: false });
    assert.equal(await get(agent, a.port), 'ok');
    // The other server cannot resume a session it did not issue: a full handshake shows its certificate.
    await assert.rejects(get(agent, b.port), (err: unknown) => err instanceof Error && /tls_fingerprint_mismatch|not the pinned/.test(`${(err as { token?: string }).token ?? ''} ${err.message}`));
    assert.equal(b.resumed(), 0);
    agent.destroy();
  });
});

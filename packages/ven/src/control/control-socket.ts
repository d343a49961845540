/**
 * The running daemon's control socket: `<data-dir>/control.sock`, mode 0600 inside the 0700
 * data directory, so only root reaches it. One JSON request line, one JSON answer line:
 * `{"cmd": "status" | "suspend" | "unsuspend" | "unpair"}` → `{"ok": true, "status": {…}}`
 * or `{"ok": false, "error": {"token", "message"}}`.
 */
import { createConnection, createServer, type Server } from 'node:net';
import { PalisadeError, isPalisadeError } from '@palisade/core/errors.ts';
import { removeFile, restrictToOwner } from '../sys/files.ts';

export const CONTROL_COMMANDS = ['status', 'suspend', 'unsuspend', 'unpair'] as const;
export type ControlCommand = (typeof CONTROL_COMMANDS)[number];

export type ControlHandler = (cmd: ControlCommand) => Promise<unknown>;

export async function listenControl(path: string, handler: ControlHandler): Promise<Server> {
  await removeFile(path); // a socket left by a daemon that died
  const server = createServer((conn) => {
    let buf = '';
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.length > 4096) {
        conn.destroy();
        return;
      }
      const nl = buf.indexOf('\n');
      if (nl === -1) return;
      let cmd: unknown;
      try {
        cmd = (JSON.parse(buf.slice(0, nl)) as { cmd?: unknown }).cmd;
      } catch {
        cmd = undefined;
      }
      const reply = (o: unknown): void => {
        conn.end(JSON.stringify(o) + '\n');
      };
      if (typeof cmd !== 'string' || !(CONTROL_COMMANDS as readonly string[]).includes(cmd)) {
        reply({ ok: false, error: { token: 'invalid_control_command', message: `commands are ${CONTROL_COMMANDS.join(', ')}` } });
        return;
      }
      handler(cmd as ControlCommand).then(
        (status) => reply({ ok: true, status }),
        (err: unknown) => reply({ ok: false, error: isPalisadeError(err) ? { token: err.token, message: err.message } : { token: 'internal', message: String(err) } }),
      );
    });
    conn.on('error', () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await restrictToOwner(path);
  return server;
}

/** Asks the daemon; undefined when no daemon listens on the socket. */
export function sendControl(path: string, cmd: ControlCommand, timeoutMs = 30_000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const conn = createConnection(path);
    let buf = '';
    const timer = setTimeout(() => conn.destroy(new Error('the daemon did not answer on its control socket')), timeoutMs);
    conn.setEncoding('utf8');
    conn.once('connect', () => conn.write(JSON.stringify({ cmd }) + '\n'));
    conn.on('data', (c: string) => (buf += c));
    conn.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') resolve(undefined);
      else reject(e);
    });
    conn.once('end', () => {
      clearTimeout(timer);
      try {
        const o = JSON.parse(buf) as { ok?: boolean; status?: unknown; error?: { token?: string; message?: string } };
        if (o.ok) resolve(o.status ?? null);
        else reject(new PalisadeError('internal', [{ token: o.error?.token ?? 'control_failed', message: o.error?.message ?? 'the daemon refused the command' }]));
      } catch {
        reject(new PalisadeError('internal', [{ token: 'control_failed', message: 'the daemon answered something that is not JSON on its control socket' }]));
      }
    });
  });
}

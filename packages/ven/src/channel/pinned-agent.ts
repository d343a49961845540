/**
 * An HTTP agent whose connections are TLS sockets to the PCE accepted only when the
 * certificate's SHA-256 fingerprint is the pinned one. The check happens on
 * `secureConnect`, before the socket is handed to a request, so no byte of a request (and
 * no agent secret) is ever written to an unverified peer. Sockets are kept alive and reused.
 */
import { Agent, type AgentOptions, type ClientRequestArgs } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { PalisadeError } from '@palisade/core/errors.ts';

/** `ab:cd…`, `ABCD…`, `sha256:AB:CD…` → `AB:CD:…` as `X509Certificate#fingerprint256` prints it. */
export function normalizeFingerprint(fp: string): string | undefined {
  const hex = fp.trim().replace(/^sha-?256[:=]?/i, '').replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)?.join(':');
}

export class PinnedAgent extends Agent {
  private readonly fingerprint: string;

  constructor(fingerprint: string, opts: AgentOptions = {}) {
    super({ keepAlive: true, ...opts });
    const fp = normalizeFingerprint(fingerprint);
    if (!fp) throw new PalisadeError('invalid', [{ token: 'invalid_fingerprint', message: `"${fingerprint}" is not a SHA-256 fingerprint (64 hex digits, AB:CD:… as "palisade pce start" prints it)` }]);
    this.fingerprint = fp;
  }

  override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = (options.hostname ?? options.host ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = Number(options.port ?? 443);
    const socket = tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), rejectUnauthorized: false });
    const fail = (err: Error): void => {
      socket.destroy();
      callback?.(err, socket);
    };
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      socket.removeListener('error', fail);
      const got = socket.getPeerCertificate().fingerprint256;
      if (typeof got !== 'string' || normalizeFingerprint(got) !== this.fingerprint) {
        fail(
          new PalisadeError('unavailable', [
            {
              token: 'tls_fingerprint_mismatch',
              message: `the PCE at ${host}:${port} presented a certificate with SHA-256 fingerprint ${String(got)}, not the pinned ${this.fingerprint}`,
            },
          ]),
        );
        return;
      }
      callback?.(null, socket);
    });
    return undefined;
  }
}

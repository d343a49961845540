/**
 * An HTTP agent whose connections are TLS sockets to the PCE accepted only when the
 * certificate's SHA-256 fingerprint is the pinned one. The check happens on
 * `secureConnect`, before the socket is handed to a request, so no byte of a request (and
 * no agent secret) is ever written to an unverified peer. Sockets are kept alive and reused.
 *
 * New connections resume the TLS session of an earlier pinned one (a ticket from the PCE)
 * when they can: a resumed handshake skips the certificate, so its fingerprint cannot be
 * read, but only the server that issued the ticket can complete it, and tickets are kept
 * only from connections whose certificate matched. One TLS context serves every connection
 * (building one per connection was the costliest part of a reconnect).
 */
import { Agent, type AgentOptions, type ClientRequestArgs } from 'node:http';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import { PalisadeError } from '@palisade/core/errors.ts';

/** `ab:cd…`, `ABCD…`, `sha256:AB:CD…` → `AB:CD:…` as `X509Certificate#fingerprint256` prints it. */
export function normalizeFingerprint(fp: string): string | undefined {
  const hex = fp.trim().replace(/^sha-?256[:=]?/i, '').replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return undefined;
  return hex.match(/../g)?.join(':');
}

/** No CA store: the pin is the check (the context is the same for every PCE). */
let sharedContext: SecureContext | undefined;

export class PinnedAgent extends Agent {
  private readonly fingerprint: string;
  /** The last TLS session of a pinned connection, to resume; dropped after a mismatch. */
  private session: Buffer | undefined;

  constructor(fingerprint: string, opts: AgentOptions = {}) {
    super({ keepAlive: true, ...opts });
    const fp = normalizeFingerprint(fingerprint);
    if (!fp) throw new PalisadeError('invalid', [{ token: 'invalid_fingerprint', message: `"${fingerprint}" is not a SHA-256 fingerprint (64 hex digits, AB:CD:… as "palisade pce start" prints it)` }]);
    this.fingerprint = fp;
  }

  override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = (options.hostname ?? options.host ?? 'localhost').replace(/^\[|\]$/g, '');
    const port = Number(options.port ?? 443);
    sharedContext ??= createSecureContext({});
    const socket = tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), rejectUnauthorized: false, secureContext: sharedContext, ...(this.session ? { session: this.session } : {}) });
    let pinned = false;
    let ticket: Buffer | undefined;
    // TLS 1.3 tickets arrive after the handshake, TLS 1.2 sessions before `secureConnect`: keep one only once the peer is pinned.
    socket.on('session', (s: Buffer) => {
      if (pinned) this.session = s;
      else ticket = s;
    });
    const fail = (err: Error): void => {
      socket.destroy();
      callback?.(err, socket);
    };
    socket.once('error', fail);
    socket.once('secureConnect', () => {
      socket.removeListener('error', fail);
      const got = socket.isSessionReused() ? this.fingerprint : socket.getPeerX509Certificate()?.fingerprint256;
      if (typeof got !== 'string' || normalizeFingerprint(got) !== this.fingerprint) {
        this.session = undefined;
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
      pinned = true;
      if (ticket) this.session = ticket;
      callback?.(null, socket);
    });
    return undefined;
  }
}

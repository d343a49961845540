/**
 * The CLI's one door to the PCE: HTTP Basic on every request, Illumio-shaped errors turned
 * into PalisadeErrors, and TLS that is either the system CAs, a pinned certificate
 * fingerprint (checked before a byte of the request is sent) or explicitly insecure.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { isIP } from 'node:net';
import { PalisadeError, type ErrorDetail, type ErrorKind } from '@palisade/core/errors.ts';

export type TlsMode = { readonly kind: 'system' } | { readonly kind: 'pinned'; readonly fingerprint: string } | { readonly kind: 'insecure' };

export interface ApiClientOptions {
  /** `https://host:port` or `http://host:port`, without `/api/v2`. */
  readonly baseUrl: string;
  readonly keyId: string;
  readonly secret: string;
  readonly org: number;
  readonly tls: TlsMode;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: unknown;
}

const KIND_BY_STATUS: Record<number, ErrorKind> = { 400: 'invalid', 406: 'invalid', 422: 'invalid', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 409: 'conflict', 429: 'rate_limited', 503: 'unavailable' };

/** Normalizes `AB:CD:…`, `abcd…` or `SHA256:AB:CD…` to upper-case hex without colons. */
export function normalizeFingerprint(f: string): string {
  return f.replace(/^sha-?256[:=]?/i, '').replace(/[:\s]/g, '').toUpperCase();
}

function isDetail(x: unknown): x is ErrorDetail {
  return typeof x === 'object' && x !== null && typeof (x as { token?: unknown }).token === 'string' && typeof (x as { message?: unknown }).message === 'string';
}

export function errorFromResponse(status: number, body: unknown, retryAfter: string | undefined): PalisadeError {
  const kind = KIND_BY_STATUS[status] ?? (status >= 500 ? 'internal' : 'invalid');
  const list = Array.isArray(body) ? body.filter(isDetail).map((d) => ({ token: d.token, message: d.message })) : [];
  const details = list.length > 0 ? list : [{ token: `http_${status}`, message: `the PCE answered HTTP ${status}${typeof body === 'string' && body ? `: ${body.slice(0, 200)}` : ''}` }];
  const wait = retryAfter !== undefined && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  return new PalisadeError(kind, details, wait);
}

function unreachable(baseUrl: string, err: unknown): PalisadeError {
  const code = typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : '';
  const msg = err instanceof Error ? err.message : String(err);
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) {
    return new PalisadeError('unavailable', [
      {
        token: 'tls_untrusted',
        message: `the PCE at ${baseUrl} presented a certificate the system does not trust (${code}); pin it with --fingerprint SHA256 (printed by "palisade pce start") or, on a lab machine only, pass --insecure`,
      },
    ]);
  }
  if (code === 'EPROTO' || /wrong version number|packet length too long/i.test(msg)) {
    return new PalisadeError('unavailable', [{ token: 'pce_unreachable', message: `TLS handshake with ${baseUrl} failed (${msg}); is the PCE running with --tls off? then use an http:// URL` }]);
  }
  return new PalisadeError('unavailable', [
    {
      token: 'pce_unreachable',
      message: `cannot reach the PCE at ${baseUrl} (${code || msg}): is it running ("palisade pce start")? is the URL right (--pce or PALISADE_PCE)?`,
    },
  ]);
}

/** Opens a TLS connection and accepts it only if the peer certificate has the pinned fingerprint. */
function pinnedSocket(host: string, port: number, fingerprint: string, baseUrl: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), rejectUnauthorized: false });
    socket.once('error', (e) => reject(unreachable(baseUrl, e)));
    socket.once('secureConnect', () => {
      const got = socket.getPeerCertificate().fingerprint256;
      if (typeof got !== 'string' || normalizeFingerprint(got) !== normalizeFingerprint(fingerprint)) {
        socket.destroy();
        reject(
          new PalisadeError('unavailable', [
            {
              token: 'tls_fingerprint_mismatch',
              message: `the PCE at ${baseUrl} presented a certificate with SHA-256 fingerprint ${got ?? '(none)'}, not the pinned ${fingerprint}; check --fingerprint (printed by "palisade pce start") — if the certificate really changed, verify it out of band before pinning the new one`,
            },
          ]),
        );
        return;
      }
      socket.removeAllListeners('error');
      resolve(socket);
    });
  });
}

export class ApiClient {
  readonly org: number;
  readonly keyId: string;
  private readonly url: URL;

  constructor(private readonly opts: ApiClientOptions) {
    this.org = opts.org;
    this.keyId = opts.keyId;
    this.url = new URL(opts.baseUrl);
  }

  /** `/orgs/{org}` + path. */
  orgPath(path: string): string {
    return `/orgs/${this.org}${path}`;
  }

  async get(path: string, query?: Record<string, string | undefined>): Promise<unknown> {
    return (await this.send('GET', path, undefined, query)).body;
  }

  /** A collection GET: the array and X-Total-Count. */
  async list(path: string, query?: Record<string, string | undefined>): Promise<{ items: unknown[]; total: number }> {
    const r = await this.send('GET', path, undefined, { max_results: '100000', ...query });
    const items = Array.isArray(r.body) ? (r.body as unknown[]) : [];
    const total = Number(r.headers['x-total-count'] ?? items.length);
    return { items, total: Number.isFinite(total) ? total : items.length };
  }

  async post(path: string, body: unknown): Promise<unknown> {
    return (await this.send('POST', path, body)).body;
  }

  async put(path: string, body: unknown): Promise<void> {
    await this.send('PUT', path, body);
  }

  async delete(path: string): Promise<void> {
    await this.send('DELETE', path);
  }

  async send(method: string, path: string, body?: unknown, query?: Record<string, string | undefined>): Promise<ApiResponse> {
    const target = new URL(`/api/v2${path}`, this.url);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) target.searchParams.set(k, v);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const https = this.url.protocol === 'https:';
    const host = this.url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(this.url.port || (https ? 443 : 80));
    const options: RequestOptions = {
      method,
      host,
      port,
      path: target.pathname + target.search,
      headers: {
        authorization: `Basic ${Buffer.from(`${this.opts.keyId}:${this.opts.secret}`).toString('base64')}`,
        accept: 'application/json',
        ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
      },
    };
    let req: ClientRequest;
    if (!https) {
      req = httpRequest(options);
    } else if (this.opts.tls.kind === 'pinned') {
      const socket = await pinnedSocket(host, port, this.opts.tls.fingerprint, this.opts.baseUrl);
      // No agent: with createConnection, http.request uses our already-verified socket as is.
      req = httpRequest({ ...options, createConnection: () => socket });
    } else {
      req = httpsRequest({ ...options, agent: false, rejectUnauthorized: this.opts.tls.kind !== 'insecure', ...(isIP(host) ? {} : { servername: host }) });
    }
    const res = await new Promise<{ msg: IncomingMessage; text: string }>((resolve, reject) => {
      req.once('error', (e) => reject(e instanceof PalisadeError ? e : unreachable(this.opts.baseUrl, e)));
      req.once('response', (msg) => {
        const chunks: Buffer[] = [];
        msg.on('data', (c: Buffer) => chunks.push(c));
        msg.once('end', () => resolve({ msg, text: Buffer.concat(chunks).toString('utf8') }));
        msg.once('error', (e) => reject(unreachable(this.opts.baseUrl, e)));
      });
      req.end(payload);
    });
    const status = res.msg.statusCode ?? 0;
    let parsed: unknown = res.text;
    if (res.text !== '') {
      try {
        parsed = JSON.parse(res.text) as unknown;
      } catch {
        // not JSON: keep the text for the message
      }
    } else {
      parsed = undefined;
    }
    if (status >= 400) {
      const ra = res.msg.headers['retry-after'];
      throw errorFromResponse(status, parsed, Array.isArray(ra) ? ra[0] : ra);
    }
    return { status, headers: res.msg.headers, body: parsed };
  }
}

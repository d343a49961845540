/**
 * HTTP to the PCE's agent channel: `node:https` semantics over pinned TLS sockets
 * (pinned-agent.ts) for https:// URLs, plain `node:http` for http:// (`pce start --tls off`).
 * Errors from the PCE (`[{token, message}]`) become PalisadeErrors with the same token.
 */
import { Agent, request, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { PalisadeError, type ErrorKind } from '@palisade/core/errors.ts';
import { PinnedAgent } from './pinned-agent.ts';

export interface PceTransportOptions {
  readonly url: string;
  /** Required for https:// URLs. */
  readonly fingerprint: string | null;
  /** HTTP Basic `agent_id:secret`, once paired. */
  readonly credentials?: { readonly agentId: string; readonly secret: string };
  /** Most sockets kept open at once (the benchmark shares one transport per agent). */
  readonly maxSockets?: number;
}

export interface JsonResponse {
  readonly status: number;
  readonly body: unknown;
}

const KIND_BY_STATUS: Record<number, ErrorKind> = { 400: 'invalid', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 406: 'invalid', 409: 'conflict', 429: 'rate_limited' };

export function errorFromResponse(status: number, body: unknown, what: string): PalisadeError {
  const first = Array.isArray(body) ? (body[0] as { token?: unknown; message?: unknown } | undefined) : undefined;
  const token = typeof first?.token === 'string' ? first.token : `http_${status}`;
  const message = typeof first?.message === 'string' ? first.message : `${what} answered HTTP ${status}`;
  return new PalisadeError(KIND_BY_STATUS[status] ?? (status >= 500 ? 'unavailable' : 'internal'), [{ token, message }]);
}

export function unreachable(url: string, err: unknown): PalisadeError {
  if (err instanceof PalisadeError) return err;
  const e = err as NodeJS.ErrnoException;
  return new PalisadeError('unavailable', [{ token: 'pce_unreachable', message: `cannot reach the PCE at ${url} (${e.code ?? e.message})` }]);
}

export class PceTransport {
  readonly url: URL;
  readonly host: string;
  readonly port: number;
  private readonly agent: Agent;
  /** Sent with every request (built once: an agent's acks and heartbeats are its hot path). */
  private readonly baseHeaders: OutgoingHttpHeaders;

  constructor(opts: PceTransportOptions) {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      throw new PalisadeError('invalid', [{ token: 'pce_url_invalid', message: `--pce "${opts.url}" is not a URL; write it as https://HOST:PORT` }]);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new PalisadeError('invalid', [{ token: 'pce_url_invalid', message: `the PCE URL must be https:// (or http:// with "pce start --tls off"), not ${opts.url}` }]);
    if (url.protocol === 'https:' && !opts.fingerprint) {
      throw new PalisadeError('invalid', [{ token: 'fingerprint_required', message: 'an https:// PCE needs its certificate fingerprint: pass --fingerprint AB:CD:… (printed by "palisade pce start") or an activation code of the form CODE@FINGERPRINT' }]);
    }
    this.url = url;
    const maxSockets = opts.maxSockets ?? 8;
    this.agent = url.protocol === 'https:' && opts.fingerprint ? new PinnedAgent(opts.fingerprint, { maxSockets }) : new Agent({ keepAlive: true, maxSockets });
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const auth = opts.credentials ? `Basic ${Buffer.from(`${opts.credentials.agentId}:${opts.credentials.secret}`).toString('base64')}` : undefined;
    this.baseHeaders = { accept: 'application/json', ...(auth ? { authorization: auth } : {}) };
  }

  private open(method: string, path: string, headers: OutgoingHttpHeaders, payload: Buffer | undefined, timeoutMs: number): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request({
        method,
        host: this.host,
        port: this.port,
        path,
        agent: this.agent,
        headers: { ...this.baseHeaders, ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}) },
      });
      const timer = setTimeout(() => req.destroy(new Error('timed out')), timeoutMs);
      req.once('error', (e) => {
        clearTimeout(timer);
        reject(unreachable(this.url.origin, e));
      });
      req.once('response', (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      req.end(payload);
    });
  }

  /** A JSON request; a 4xx/5xx answer is thrown as a PalisadeError. */
  async json(method: string, path: string, body?: unknown, timeoutMs = 15_000): Promise<JsonResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const res = await this.open(method, path, {}, payload, timeoutMs);
    const text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.once('error', (e) => reject(unreachable(this.url.origin, e)));
    });
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        parsed = text;
      }
    }
    const status = res.statusCode ?? 0;
    if (status >= 400) throw errorFromResponse(status, parsed, `${method} ${path}`);
    return { status, body: parsed };
  }

  /** A long-lived GET (the SSE stream): the response once headers are in, 2xx only. */
  async stream(path: string, timeoutMs = 15_000): Promise<IncomingMessage> {
    const res = await this.open('GET', path, { accept: 'text/event-stream' }, undefined, timeoutMs);
    const status = res.statusCode ?? 0;
    if (status >= 400) {
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
      } catch {
        body = undefined;
      }
      throw errorFromResponse(status, body, `GET ${path}`);
    }
    return res;
  }

  close(): void {
    this.agent.destroy();
  }
}

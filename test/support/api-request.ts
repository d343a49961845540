/**
 * One REST API call to a PCE under test, as a client with an API key sends it (HTTPS to a
 * self-signed PCE the test started itself, by port or by Unix socket). Answers the status and
 * the parsed body (the text when it is not JSON); a 4xx/5xx rejects with the body in the message.
 */
import { request } from 'node:https';

export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

export type PceAddress = { readonly port: number } | { readonly socketPath: string };

export function apiRequest(to: PceAddress, key: string, method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((ok, fail) => {
    const req = request(
      {
        ...('port' in to ? { host: '127.0.0.1', port: to.port } : { socketPath: to.socketPath }),
        method,
        path: `/api/v2${path}`,
        rejectUnauthorized: false,
        agent: false,
        headers: {
          authorization: `Basic ${Buffer.from(key).toString('base64')}`,
          accept: 'application/json',
          ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
          } catch {
            // keep the text
          }
          if ((res.statusCode ?? 0) >= 400) fail(new Error(`${method} ${path} → ${res.statusCode}: ${text}`));
          else ok({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', fail);
    req.end(payload);
  });
}

/** The OpenAPI 3.1 document, generated from the route declarations and their zod schemas. */
import { z } from 'zod';
import type { RouteRegistry } from './route-registry.ts';

const ERROR = {
  description: 'Error: a JSON array of {token, message}',
  content: { 'application/json': { schema: { type: 'array', items: { type: 'object', required: ['token', 'message'], properties: { token: { type: 'string' }, message: { type: 'string' } } } } } },
};

export function openApiDocument(registry: RouteRegistry, version: string): unknown {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { spec } of registry.routes) {
    const path = `/api/v2${spec.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`;
    const params = [...spec.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    if (spec.collection) {
      params.push({ name: 'max_results', in: 'query', required: false, schema: { type: 'integer' } } as (typeof params)[number]);
    }
    const responses: Record<string, unknown> = spec.collection
      ? { '200': { description: 'A bare JSON array; X-Total-Count carries the number of matches', headers: { 'X-Total-Count': { schema: { type: 'integer' } } } }, '202': { description: 'With Prefer: respond-async: Location of the job' } }
      : spec.method === 'post'
        ? { '201': { description: 'Created' } }
        : spec.method === 'get'
          ? { '200': { description: 'OK' } }
          : { '204': { description: 'Done' } };
    for (const code of ['401', '403', '404', '406', '409', '429']) responses[code] = ERROR;
    (paths[path] ??= {})[spec.method] = {
      summary: spec.summary,
      tags: [spec.tag],
      ...(spec.palisade ? { 'x-palisade': true } : {}),
      parameters: params,
      ...(spec.body ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(spec.body, { io: 'input', unrepresentable: 'any' }) } } } } : {}),
      responses,
      security: [{ basic: [] }],
    };
  }
  paths['/api/v2/health'] = { get: { summary: 'Health (credentials accepted, not required)', tags: ['health'], responses: { '200': { description: 'OK' } } } };
  return {
    openapi: '3.1.0',
    info: { title: 'Palisade PCE API', version, description: "Illumio REST API v2 shapes. Operations marked x-palisade are Palisade's own additions." },
    components: { securitySchemes: { basic: { type: 'http', scheme: 'basic', description: 'API key id as user name, secret as password' } } },
    paths,
  };
}

/**
 * Traffic flows over HTTP: the agent's ingest endpoint (`POST /api/v2/agent/flows`, agent
 * credentials, docs/agent-channel.md) and Illumio's async traffic queries for API clients.
 */
import type { Context, Hono } from 'hono';
import { invalid } from '@palisade/core/errors.ts';
import { parseInput } from '@palisade/core/validate.ts';
import type { Pce } from '../pce.ts';
import { toErrorResponse } from '../api/http-errors.ts';
import type { RouteRegistry } from '../api/route-registry.ts';
import { authenticateAgent } from '../agents/agent-service.ts';
import { FlowBatchSchema, TrafficQuerySchema } from './flow-schemas.ts';
import { createTrafficQuery, downloadTrafficQuery, getTrafficQuery, renderQuery, storedFlowsToCsv } from './traffic-queries.ts';

/** 10,000 flows of a few hundred bytes each, with room to spare. */
const MAX_BATCH_BYTES = 16 * 1024 * 1024;

async function batchBody(c: Context): Promise<unknown> {
  if (Number(c.req.header('content-length') ?? '0') > MAX_BATCH_BYTES) throw invalid('request_too_large', `a flow batch is at most ${MAX_BATCH_BYTES} bytes; send fewer flows per batch`);
  const text = await c.req.text();
  if (text.length > MAX_BATCH_BYTES) throw invalid('request_too_large', `a flow batch is at most ${MAX_BATCH_BYTES} bytes; send fewer flows per batch`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw invalid('input_validation_error', 'the request body is not valid JSON');
  }
}

export function mountFlowAgentRoutes(app: Hono, pce: Pce): void {
  app.post('/api/v2/agent/flows', async (c) => {
    try {
      const a = await authenticateAgent(pce, c.req.header('authorization'));
      const batch = parseInput(FlowBatchSchema, await batchBody(c));
      const accepted = await pce.flows.ingest({ org: a.org, workloadId: a.ven.workload_id }, batch);
      return new Response(JSON.stringify({ accepted }), { status: 202, headers: { 'Content-Type': 'application/json' } });
    } catch (err) {
      return toErrorResponse(err, c, pce.env.log);
    }
  });
}

const ID = /^[A-Za-z0-9-]{1,64}$/;

function queryId(params: Readonly<Record<string, string>>): string {
  const id = params['id'] ?? '';
  if (!ID.test(id)) throw invalid('invalid_id', `"${id}" is not a traffic query id`);
  return id;
}

export function trafficRoutes(r: RouteRegistry, pce: Pce): void {
  const base = '/orgs/:org/traffic_flows/async_queries';
  r.add({ method: 'post', path: base, summary: 'Start a traffic query (sources, destinations, services, policy_decisions, start_date, end_date, max_results)', tag: 'traffic_flows', body: TrafficQuerySchema }, async (q) => ({
    status: 202,
    body: await createTrafficQuery(pce, q.principal, q.org, q.body),
  }));
  r.add({ method: 'get', path: base, summary: 'List traffic queries, newest first', tag: 'traffic_flows', collection: true }, async (q) => {
    const rows = await pce.store.read((tx) => tx.listFlowQueries(q.org));
    return { list: rows.slice(0, q.limit).map(renderQuery), total: rows.length };
  });
  r.add({ method: 'get', path: `${base}/:id`, summary: 'Poll a traffic query: queued, working, completed (result: the download href) or failed', tag: 'traffic_flows' }, async (q) => ({
    status: 200,
    body: renderQuery(await getTrafficQuery(pce, q.org, queryId(q.params))),
  }));
  r.add({ method: 'get', path: `${base}/:id/download`, summary: 'The flows of a completed traffic query: JSON, or CSV with Accept: text/csv or ?format=csv', tag: 'traffic_flows' }, async (q) => {
    const format = q.query.get('format');
    if (format !== null && format !== 'json' && format !== 'csv') throw invalid('invalid_query', 'format must be json or csv');
    const content = await downloadTrafficQuery(pce, q.org, queryId(q.params));
    const csv = format === 'csv' || (format === null && /\btext\/csv\b/i.test(q.c.req.header('accept') ?? ''));
    if (!csv) return { status: 200, text: content, contentType: 'application/json' };
    return { status: 200, text: await storedFlowsToCsv(content), contentType: 'text/csv' };
  });
}

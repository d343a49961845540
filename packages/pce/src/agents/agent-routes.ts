/**
 * The agent channel's HTTP side (docs/agent-channel.md): its own authentication (agent
 * credentials, not API keys), the SSE policy stream, and the VEN's reports.
 */
import type { IncomingMessage } from 'node:http';
import type { Context, Hono } from 'hono';
import { notFound } from '@palisade/core/errors.ts';
import { parseInput } from '@palisade/core/validate.ts';
import type { ChangeResult } from '@palisade/core/compute/index.ts';
import type { PskDelivery } from './psk-cache.ts';
import type { Pce } from '../pce.ts';
import { toErrorResponse } from '../api/http-errors.ts';
import { ActivateSchema, AgentEventsSchema, HeartbeatSchema, SecureConnectReportSchema } from './agent-schemas.ts';
import { activate, agentEvents, authenticateAgent, authenticatedAck, heartbeat, reportSecureConnect, unpairVen } from './agent-service.ts';
import { pushPlan } from './deliveries.ts';
import type { AgentHub, AgentStream } from './agent-hub.ts';

const PING_MS = 15_000;

async function body(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.length > 1_000_000) return null;
  try {
    return text.trim() === '' ? {} : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

function localEndpoint(c: Context, fallbackPort: number): { addresses: string[]; port: number } {
  const socket = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming?.socket;
  const addr = socket?.localAddress?.replace(/^::ffff:/, '');
  return { addresses: addr ? [addr] : [], port: socket?.localPort ?? fallbackPort };
}

/** Send the current plan of a stream's workload as a new delivery. */
async function deliver(pce: Pce, hub: AgentHub, s: AgentStream, floor: number): Promise<void> {
  const { plan, version } = await pce.compute.plan(s.org, s.workloadId);
  if (!plan) return;
  pushPlan(pce, hub, s, plan, version, await pce.psk.get(s.org), floor);
}

export function mountAgentRoutes(app: Hono, pce: Pce, hub: AgentHub): void {
  const log = pce.env.log;
  const handle = (fn: (c: Context) => Promise<Response>) => async (c: Context): Promise<Response> => {
    try {
      return await fn(c);
    } catch (err) {
      return toErrorResponse(err, c, log);
    }
  };

  app.post('/api/v2/agent/activate', handle(async (c) => {
    const out = await activate(pce, parseInput(ActivateSchema, await body(c)));
    return new Response(JSON.stringify(out), { status: 201, headers: { 'Content-Type': 'application/json' } });
  }));

  app.get('/api/v2/agent/policy/stream', handle(async (c) => {
    const a = await authenticateAgent(pce, c.req.header('authorization'));
    const pceEndpoint = localEndpoint(c, 8443);
    let cleanup = (): void => {};
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        let open = true;
        const s: AgentStream = {
          org: a.org,
          venId: a.venId,
          workloadId: a.ven.workload_id,
          pce: pceEndpoint,
          deltas: c.req.query('deltas') === '1',
          send(event, data) {
            if (open) controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
          },
          close() {
            if (!open) return;
            open = false;
            cleanup();
            controller.close();
          },
        };
        const remove = hub.add(s);
        const ping = setInterval(() => s.send('ping', {}), PING_MS);
        cleanup = () => {
          open = false;
          clearInterval(ping);
          remove();
        };
        deliver(pce, hub, s, a.ven.delivered).catch((err: unknown) => {
          log.warn({ err, ven: a.venId }, 'first delivery failed');
          s.close();
        });
      },
      cancel() {
        cleanup();
      },
    });
    return new Response(stream, { status: 200, headers: { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' } });
  }));

  app.post('/api/v2/agent/ack', handle(async (c) => {
    await authenticatedAck(pce, c.req.header('authorization'), await body(c));
    return new Response(null, { status: 204 });
  }));

  app.post('/api/v2/agent/heartbeat', handle(async (c) => {
    const a = await authenticateAgent(pce, c.req.header('authorization'));
    await heartbeat(pce, a, parseInput(HeartbeatSchema, await body(c)));
    return new Response(null, { status: 204 });
  }));

  app.post('/api/v2/agent/secure_connect', handle(async (c) => {
    const a = await authenticateAgent(pce, c.req.header('authorization'));
    await reportSecureConnect(pce, a, a.ven, parseInput(SecureConnectReportSchema, await body(c)));
    return new Response(null, { status: 204 });
  }));

  app.post('/api/v2/agent/events', handle(async (c) => {
    const a = await authenticateAgent(pce, c.req.header('authorization'));
    await agentEvents(pce, a, a.ven, parseInput(AgentEventsSchema, await body(c)));
    return new Response(null, { status: 204 });
  }));

  app.post('/api/v2/agent/deactivate', handle(async (c) => {
    const a = await authenticateAgent(pce, c.req.header('authorization'));
    await unpairVen(pce, a.org, a.venId, { system: `agent ${a.ven.hostname}` });
    for (const s of hub.streamsOfVen(a.org, a.venId)) s.close();
    return new Response(null, { status: 204 });
  }));

  // Push: whenever compute says plans changed, every connected agent of those workloads
  // gets its new plan at once.
  pce.compute.onChange((org: number, change: ChangeResult) => {
    const push = (psk: PskDelivery | null): void => {
      for (const id of change.changed) {
        const current = pce.compute.currentPlan(org, id);
        if (!current?.plan) continue;
        // The floor of the delivery counter was set from the VEN's record when it connected.
        for (const s of hub.streamsOfWorkload(org, id)) pushPlan(pce, hub, s, current.plan, current.version, psk, 0);
      }
    };
    const cached = pce.psk.peek(org);
    if (cached !== undefined) push(cached);
    else pce.psk.get(org).then(push, (err: unknown) => log.warn({ err, org }, 'policy push failed: could not read the org'));
  });
}

export function venNotFound(org: number, id: string): never {
  throw notFound('ven_not_found', `no VEN /orgs/${org}/vens/${id}`);
}

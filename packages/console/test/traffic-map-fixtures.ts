/** Flows and workloads for the traffic map tests, built like the API renders them. */
import { parseFlow, type Flow, type LabelRef, type WorkloadRef } from '../src/traffic-map/traffic-model.ts';

let labelId = 0;
const labels = new Map<string, LabelRef>();
export function label(key: string, value: string): LabelRef {
  const k = `${key}=${value}`;
  let l = labels.get(k);
  if (!l) {
    labelId++;
    l = { href: `/orgs/1/labels/${labelId}`, key, value };
    labels.set(k, l);
  }
  return l;
}

export function workload(id: string, app: string | undefined, env: string | undefined): WorkloadRef {
  return { href: `/orgs/1/workloads/${id}`, name: id, labels: [...(app ? [label('app', app)] : []), ...(env ? [label('env', env)] : []), label('role', 'web')] };
}

export function flow(src: WorkloadRef | string, dst: WorkloadRef | string, decision: string, port = 443, connections = 1): Flow {
  const end = (e: WorkloadRef | string): unknown => (typeof e === 'string' ? { ip: e } : { ip: '10.0.0.1', workload: { href: e.href, hostname: e.name, name: null, labels: e.labels } });
  const f = parseFlow({
    src: end(src),
    dst: end(dst),
    service: { proto: 6, port },
    num_connections: connections,
    policy_decision: decision,
    draft_policy_decision: decision,
    flow_direction: 'inbound',
    state: 'active',
    timestamp_range: { first_detected: '2026-01-01T00:00:00.000Z', last_detected: '2026-01-01T01:00:00.000Z' },
  });
  if (!f) throw new Error('fixture flow did not parse');
  return f;
}

/**
 * Flows + workloads → the map's graph. Two views: one node per workload inside app|env boxes,
 * or (large orgs) one node per app|env group inside app boxes, with counts. Addresses that are
 * not workloads are nodes of an "Outside" box (one per IP, or one for all in the group view).
 * An edge joins two nodes that talked and shows the most severe decision among its flows.
 * Pure and deterministic: the same input gives the same graph (ids, order).
 */
import { DECISIONS, worstDecision, type PolicyDecision } from '../decision-palette.ts';
import { labelValue, serviceText, type Flow, type LabelRef, type WorkloadRef } from './traffic-model.ts';

export type MapView = 'workloads' | 'groups';
export type NodeKind = 'workload' | 'group' | 'ip' | 'outside';

export interface MapNode {
  readonly id: string;
  readonly kind: NodeKind;
  readonly label: string;
  /** The box it is drawn in (`MapBox.id`). */
  readonly box: string;
  /** Workloads it stands for (1 for a workload, 0 for addresses). */
  readonly workloads: number;
  /** kind workload: the workload's href. */
  readonly href?: string;
  /** kind group: its app and env labels (what Explorer filters on). */
  readonly labels: readonly LabelRef[];
  /** kind ip / outside: the addresses (outside: every address seen). */
  readonly ips: readonly string[];
}

export interface MapEdge {
  readonly id: string;
  readonly source: number;
  readonly target: number;
  readonly decision: PolicyDecision;
  /** Flows per decision. */
  readonly byDecision: Readonly<Record<PolicyDecision, number>>;
  readonly flows: number;
  readonly connections: number;
  /** Up to 5 services, most connections first. */
  readonly services: readonly string[];
}

export interface MapBox {
  readonly id: string;
  readonly label: string;
  /** Node indexes, sorted by label. */
  readonly nodes: readonly number[];
}

export interface MapGraph {
  readonly view: MapView;
  readonly nodes: readonly MapNode[];
  readonly edges: readonly MapEdge[];
  readonly boxes: readonly MapBox[];
  /** Flows that went into edges (after the decision filter). */
  readonly flows: number;
}

export interface AggregateOptions {
  readonly view: MapView;
  /** Decisions to draw; default all. */
  readonly decisions?: readonly PolicyDecision[];
  /** Also show workloads without any flow (default true). */
  readonly idleWorkloads?: boolean;
}

/** Above this many workloads the map opens on the group view. */
export const AUTO_WORKLOAD_VIEW_LIMIT = 300;
export function defaultView(workloads: number): MapView {
  return workloads > AUTO_WORKLOAD_VIEW_LIMIT ? 'groups' : 'workloads';
}

const OUTSIDE_BOX = 'outside';
const NONE = '—';

function groupOf(labels: readonly LabelRef[]): { app?: LabelRef; env?: LabelRef; key: string; text: string } {
  const app = labelValue(labels, 'app');
  const env = labelValue(labels, 'env');
  const text = `${app?.value ?? 'no app'} · ${env?.value ?? 'no env'}`;
  return { ...(app ? { app } : {}), ...(env ? { env } : {}), key: `${app?.value ?? NONE}|${env?.value ?? NONE}`, text };
}

class GraphBuilder {
  readonly nodes: MapNode[] = [];
  private readonly index = new Map<string, number>();
  readonly boxLabels = new Map<string, string>();

  node(n: MapNode, boxLabel: string): number {
    const at = this.index.get(n.id);
    if (at !== undefined) return at;
    this.nodes.push(n);
    this.index.set(n.id, this.nodes.length - 1);
    if (!this.boxLabels.has(n.box)) this.boxLabels.set(n.box, boxLabel);
    return this.nodes.length - 1;
  }

  get(id: string): number | undefined {
    return this.index.get(id);
  }
}

interface EdgeAcc {
  readonly source: number;
  readonly target: number;
  readonly byDecision: Record<PolicyDecision, number>;
  flows: number;
  connections: number;
  readonly services: Map<string, number>;
}

/** Sorts nodes by box then label, renumbering edges, so the result does not depend on flow order. */
function finish(view: MapView, b: GraphBuilder, acc: Map<string, EdgeAcc>, flows: number): MapGraph {
  const order = b.nodes.map((_, i) => i);
  const boxKey = (id: string): string => (id === OUTSIDE_BOX ? `\uffff` : id);
  order.sort((x, y) => {
    const a = b.nodes[x];
    const c = b.nodes[y];
    if (!a || !c) return 0;
    return boxKey(a.box).localeCompare(boxKey(c.box)) || a.label.localeCompare(c.label, undefined, { numeric: true }) || a.id.localeCompare(c.id);
  });
  const renumber = new Array<number>(order.length);
  order.forEach((old, i) => (renumber[old] = i));
  const nodes = order.flatMap((i) => {
    const n = b.nodes[i];
    return n ? [n] : [];
  });
  const boxes: MapBox[] = [];
  nodes.forEach((n, i) => {
    const last = boxes[boxes.length - 1];
    if (last && last.id === n.box) (last.nodes as number[]).push(i);
    else boxes.push({ id: n.box, label: b.boxLabels.get(n.box) ?? n.box, nodes: [i] });
  });
  const edges: MapEdge[] = [];
  for (const e of acc.values()) {
    const source = renumber[e.source] ?? 0;
    const target = renumber[e.target] ?? 0;
    let decision: PolicyDecision = 'allowed';
    let any = false;
    for (const d of DECISIONS) {
      if (e.byDecision[d] > 0) {
        decision = any ? worstDecision(decision, d) : d;
        any = true;
      }
    }
    const services = [...e.services.entries()].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0])).slice(0, 5).map(([s]) => s);
    edges.push({ id: '', source, target, decision, byDecision: e.byDecision, flows: e.flows, connections: e.connections, services });
  }
  edges.sort((x, y) => x.source - y.source || x.target - y.target);
  return { view, nodes, edges: edges.map((e) => ({ ...e, id: `${e.source}>${e.target}` })), boxes, flows };
}

export function aggregate(flows: readonly Flow[], workloads: readonly WorkloadRef[], o: AggregateOptions): MapGraph {
  const b = new GraphBuilder();
  const current = new Map(workloads.map((w) => [w.href, w]));
  const visible = new Set(o.decisions ?? DECISIONS);

  const members = new Map<number, Set<string>>();
  const workloadNode = (w: WorkloadRef): number => {
    const n = placeWorkload(w);
    const m = members.get(n) ?? new Set<string>();
    m.add(w.href);
    members.set(n, m);
    return n;
  };
  const placeWorkload = (w: WorkloadRef): number => {
    // Group by the labels the workload has now; a flow's labels are those it had then.
    const labels = current.get(w.href)?.labels ?? w.labels;
    const g = groupOf(labels);
    if (o.view === 'workloads') {
      return b.node({ id: w.href, kind: 'workload', label: current.get(w.href)?.name ?? w.name, box: g.key, workloads: 1, href: w.href, labels, ips: [] }, g.text);
    }
    const id = `group:${g.key}`;
    const at = b.get(id);
    if (at !== undefined) return at;
    const appKey = g.app?.value ?? NONE;
    return b.node({ id, kind: 'group', label: g.text, box: appKey, workloads: 0, labels: [...(g.app ? [g.app] : []), ...(g.env ? [g.env] : [])], ips: [] }, g.app ? `app ${g.app.value}` : 'no app');
  };
  const outsideIps = new Set<string>();
  const ipNode = (ip: string): number => {
    if (o.view === 'workloads') return b.node({ id: `ip:${ip}`, kind: 'ip', label: ip, box: OUTSIDE_BOX, workloads: 0, labels: [], ips: [ip] }, 'Outside (IP addresses)');
    outsideIps.add(ip);
    return b.node({ id: 'outside', kind: 'outside', label: 'IP addresses', box: OUTSIDE_BOX, workloads: 0, labels: [], ips: [] }, 'Outside');
  };
  const end = (e: Flow['src']): number => (e.workload ? workloadNode(e.workload) : ipNode(e.ip));

  // Every workload is placed even without traffic (an idle app is worth seeing).
  if (o.idleWorkloads !== false) for (const w of workloads) workloadNode(w);

  const acc = new Map<string, EdgeAcc>();
  let used = 0;
  for (const f of flows) {
    if (!visible.has(f.decision)) continue;
    const s = end(f.src);
    const t = end(f.dst);
    used++;
    const key = `${s}>${t}`;
    let e = acc.get(key);
    if (!e) {
      e = { source: s, target: t, byDecision: { allowed: 0, potentially_blocked: 0, blocked: 0, unknown: 0 }, flows: 0, connections: 0, services: new Map() };
      acc.set(key, e);
    }
    e.byDecision[f.decision]++;
    e.flows++;
    e.connections += f.connections;
    const svc = serviceText(f);
    e.services.set(svc, (e.services.get(svc) ?? 0) + f.connections);
  }
  // Group nodes carry their workload count; the outside node every address seen.
  b.nodes.forEach((n, i) => {
    if (n.kind === 'group') b.nodes[i] = { ...n, workloads: members.get(i)?.size ?? 0 };
    if (n.kind === 'outside') b.nodes[i] = { ...n, ips: [...outsideIps].sort() };
  });
  return finish(o.view, b, acc, used);
}

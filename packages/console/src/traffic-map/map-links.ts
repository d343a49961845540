/**
 * From the map to Explorer: the filters that select a node's or an edge's flows, as an
 * Explorer URL (`#/explorer?…&run=1`). Pure.
 */
import type { PolicyDecision } from '../decision-palette.ts';
import { DEFAULT_FILTERS, EMPTY_SIDE, filtersToQuery, type ExplorerFilters, type SideFilters, type TimeRange } from '../explorer/explorer-filters.ts';
import type { MapEdge, MapGraph, MapNode } from './aggregate.ts';

/** The API takes at most 100 alternatives a side; a bigger "outside" node leaves the side open. */
const MAX_IPS = 100;

/** The side filter that selects a node's flows at one end. */
export function nodeSide(n: MapNode): SideFilters {
  switch (n.kind) {
    case 'workload':
      return n.href === undefined ? EMPTY_SIDE : { ...EMPTY_SIDE, workloads: [n.href] };
    case 'group':
      return { ...EMPTY_SIDE, labels: n.labels.map((l) => l.href) };
    case 'ip':
    case 'outside':
      return n.ips.length > 0 && n.ips.length <= MAX_IPS ? { ...EMPTY_SIDE, ips: [...n.ips] } : EMPTY_SIDE;
  }
}

export interface MapContext {
  readonly range: TimeRange;
  /** The decisions the map shows (empty: all). */
  readonly decisions: readonly PolicyDecision[];
}

function explorerHref(f: ExplorerFilters): string {
  const q = new URLSearchParams({ ...filtersToQuery(f), run: '1' });
  return `#/explorer?${q.toString()}`;
}

const base = (c: MapContext): ExplorerFilters => ({ ...DEFAULT_FILTERS, range: c.range, decisions: [...c.decisions] });

export function edgeExplorerHref(g: MapGraph, e: MapEdge, c: MapContext): string {
  const s = g.nodes[e.source];
  const t = g.nodes[e.target];
  return explorerHref({ ...base(c), src: s ? nodeSide(s) : EMPTY_SIDE, dst: t ? nodeSide(t) : EMPTY_SIDE });
}

/** A node's flows from it, to it, or both ways (sources OR destinations). */
export function nodeExplorerHref(n: MapNode, direction: 'from' | 'to' | 'both', c: MapContext): string {
  const side = nodeSide(n);
  if (direction === 'both') return explorerHref({ ...base(c), src: side, dst: side, either: true });
  return explorerHref(direction === 'from' ? { ...base(c), src: side } : { ...base(c), dst: side });
}

/**
 * Everything the canvas needs, computed once per graph: positions (layout), the hit-test
 * index, and edges pre-sorted into draw batches (one stroke per decision and width, so a frame
 * changes the canvas style a dozen times, not once per edge).
 */
import type { PolicyDecision } from '../decision-palette.ts';
import type { MapGraph } from './aggregate.ts';
import { layoutGraph, type MapLayout } from './layout.ts';
import { SpatialIndex } from './spatial-index.ts';

export interface EdgeBatch {
  readonly decision: PolicyDecision;
  /** Line width in screen pixels. */
  readonly width: number;
  readonly edges: Int32Array;
}

export interface MapScene {
  readonly graph: MapGraph;
  readonly layout: MapLayout;
  readonly index: SpatialIndex;
  readonly batches: readonly EdgeBatch[];
}

/** More connections, a thicker line (three steps: the eye compares few widths well). */
export function edgeWidth(connections: number): number {
  return connections > 1000 ? 3 : connections > 10 ? 2 : 1.25;
}

/** Severe decisions last, on top. */
const DRAW_ORDER: readonly PolicyDecision[] = ['unknown', 'allowed', 'potentially_blocked', 'blocked'];

export function buildScene(graph: MapGraph): MapScene {
  const layout = layoutGraph(graph);
  const groups = new Map<string, number[]>();
  graph.edges.forEach((e, i) => {
    const key = `${e.decision}|${edgeWidth(e.connections)}`;
    const list = groups.get(key) ?? [];
    list.push(i);
    groups.set(key, list);
  });
  const batches: EdgeBatch[] = [];
  for (const decision of DRAW_ORDER) {
    for (const width of [1.25, 2, 3]) {
      const list = groups.get(`${decision}|${width}`);
      if (list) batches.push({ decision, width, edges: Int32Array.from(list) });
    }
  }
  return { graph, layout, index: new SpatialIndex(layout, graph.edges), batches };
}

/**
 * Where every box and node of the map goes. Computed once per graph (not per frame) and
 * deterministic: boxes are grids of their nodes, packed onto shelves, tallest first; no force
 * simulation, so 2,000 nodes lay out in a few milliseconds and the same data always looks the
 * same (a user finds an app where it was yesterday).
 */
import type { MapGraph, MapNode } from './aggregate.ts';

export interface BoxPlacement {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
  readonly label: string;
}

export interface MapLayout {
  /** Node centres and radii, by node index (typed arrays: the renderer reads them every frame). */
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly r: Float64Array;
  readonly boxes: readonly BoxPlacement[];
  readonly width: number;
  readonly height: number;
}

export const NODE_RADIUS = 6;
const NODE_GAP = 10;
const BOX_PAD = 12;
/** Room for the box title. */
export const BOX_HEADER = 22;
const BOX_GAP = 28;
const MIN_BOX_W = 120;

/** A group node grows with the log of its workload count; a workload node is a dot. */
export function nodeRadius(n: MapNode): number {
  if (n.kind === 'group') return Math.min(36, 10 + 4 * Math.log2(1 + n.workloads));
  if (n.kind === 'outside') return 16;
  return NODE_RADIUS;
}

interface SizedBox {
  readonly index: number;
  readonly cols: number;
  readonly cell: number;
  readonly w: number;
  readonly h: number;
}

export function layoutGraph(g: MapGraph): MapLayout {
  const n = g.nodes.length;
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const r = new Float64Array(n);
  g.nodes.forEach((node, i) => (r[i] = nodeRadius(node)));

  // Each box: a near-square grid (a little wider than tall: screens are) of equal cells.
  const sized: SizedBox[] = g.boxes.map((b, index) => {
    let maxR = NODE_RADIUS;
    for (const i of b.nodes) maxR = Math.max(maxR, r[i] ?? 0);
    const cell = 2 * maxR + NODE_GAP;
    const count = b.nodes.length;
    const cols = Math.max(1, Math.ceil(Math.sqrt(count * 1.5)));
    const rows = Math.max(1, Math.ceil(count / cols));
    const w = Math.max(MIN_BOX_W, cols * cell + 2 * BOX_PAD);
    return { index, cols, cell, w, h: BOX_HEADER + rows * cell + BOX_PAD };
  });

  // Shelf packing, tallest first (ties: the graph's box order), to a width that makes the
  // whole map landscape, like the screen it is shown on.
  const area = sized.reduce((s, b) => s + (b.w + BOX_GAP) * (b.h + BOX_GAP), 0);
  const widest = sized.reduce((m, b) => Math.max(m, b.w), 0);
  const target = Math.max(widest, Math.sqrt(area * 2.2));
  const order = [...sized].sort((a, b) => b.h - a.h || a.index - b.index);
  const boxes = new Array<BoxPlacement>(g.boxes.length);
  let cx = 0;
  let cy = 0;
  let shelf = 0;
  let width = 0;
  for (const s of order) {
    if (cx > 0 && cx + s.w > target) {
      cx = 0;
      cy += shelf + BOX_GAP;
      shelf = 0;
    }
    const box = g.boxes[s.index];
    if (!box) continue;
    boxes[s.index] = { x: cx, y: cy, w: s.w, h: s.h, label: box.label };
    box.nodes.forEach((node, k) => {
      const col = k % s.cols;
      const row = Math.floor(k / s.cols);
      x[node] = cx + BOX_PAD + col * s.cell + s.cell / 2;
      y[node] = cy + BOX_HEADER + row * s.cell + s.cell / 2;
    });
    cx += s.w + BOX_GAP;
    width = Math.max(width, cx - BOX_GAP);
    shelf = Math.max(shelf, s.h);
  }
  return { x, y, r, boxes, width, height: sized.length === 0 ? 0 : cy + shelf };
}

/**
 * Hit testing for the map (hover, click) without scanning every node and edge on each mouse
 * move: a uniform grid over the layout. Nodes sit in the cell of their centre; an edge is
 * registered in every cell it passes through (sampled at half a cell, so a point near the edge
 * is always within the neighbourhood of one of its cells).
 */
import type { MapLayout } from './layout.ts';

export interface Segment {
  readonly source: number;
  readonly target: number;
}

export type Hit = { readonly kind: 'node'; readonly index: number } | { readonly kind: 'edge'; readonly index: number };

export class SpatialIndex {
  private readonly cell: number;
  private readonly cols: number;
  private readonly rows: number;
  private readonly nodeCells: number[][];
  private readonly edgeCells: number[][];

  constructor(
    private readonly layout: MapLayout,
    private readonly edges: readonly Segment[],
  ) {
    let maxR = 0;
    for (const r of layout.r) maxR = Math.max(maxR, r);
    this.cell = Math.max(48, 2 * maxR);
    this.cols = Math.max(1, Math.ceil((layout.width + 1) / this.cell));
    this.rows = Math.max(1, Math.ceil((layout.height + 1) / this.cell));
    this.nodeCells = Array.from({ length: this.cols * this.rows }, () => []);
    this.edgeCells = Array.from({ length: this.cols * this.rows }, () => []);
    for (let i = 0; i < layout.x.length; i++) this.nodeCells[this.cellOf(layout.x[i] ?? 0, layout.y[i] ?? 0)]?.push(i);
    edges.forEach((e, i) => this.addEdge(e, i));
  }

  private cellOf(x: number, y: number): number {
    const c = Math.min(this.cols - 1, Math.max(0, Math.floor(x / this.cell)));
    const r = Math.min(this.rows - 1, Math.max(0, Math.floor(y / this.cell)));
    return r * this.cols + c;
  }

  private addEdge(e: Segment, i: number): void {
    const { x, y } = this.layout;
    const x0 = x[e.source] ?? 0;
    const y0 = y[e.source] ?? 0;
    const x1 = x[e.target] ?? 0;
    const y1 = y[e.target] ?? 0;
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0) / (this.cell / 2)));
    let last = -1;
    for (let s = 0; s <= steps; s++) {
      const c = this.cellOf(x0 + ((x1 - x0) * s) / steps, y0 + ((y1 - y0) * s) / steps);
      if (c !== last) this.edgeCells[c]?.push(i);
      last = c;
    }
  }

  /** Cells around (x, y) within `reach` world units (plus the sampling slack). */
  private around(x: number, y: number, reach: number, fn: (cell: number) => void): void {
    const k = Math.ceil((reach + this.cell * 0.75) / this.cell);
    const c0 = Math.floor(x / this.cell);
    const r0 = Math.floor(y / this.cell);
    for (let r = Math.max(0, r0 - k); r <= Math.min(this.rows - 1, r0 + k); r++) {
      for (let c = Math.max(0, c0 - k); c <= Math.min(this.cols - 1, c0 + k); c++) fn(r * this.cols + c);
    }
  }

  /**
   * The node under (x, y) (within its radius + `tolerance`), else the nearest edge within
   * `tolerance`, in world units. Nodes win: they are drawn over edges.
   */
  hit(x: number, y: number, tolerance: number): Hit | undefined {
    const L = this.layout;
    let best: Hit | undefined;
    let bestD = Infinity;
    this.around(x, y, tolerance, (c) => {
      for (const i of this.nodeCells[c] ?? []) {
        const d = Math.hypot((L.x[i] ?? 0) - x, (L.y[i] ?? 0) - y) - (L.r[i] ?? 0);
        if (d <= tolerance && d < bestD) {
          bestD = d;
          best = { kind: 'node', index: i };
        }
      }
    });
    if (best) return best;
    const seen = new Set<number>();
    this.around(x, y, tolerance, (c) => {
      for (const i of this.edgeCells[c] ?? []) {
        if (seen.has(i)) continue;
        seen.add(i);
        const e = this.edges[i];
        if (!e) continue;
        const d = segmentDistance(x, y, L.x[e.source] ?? 0, L.y[e.source] ?? 0, L.x[e.target] ?? 0, L.y[e.target] ?? 0);
        if (d <= tolerance && d < bestD) {
          bestD = d;
          best = { kind: 'edge', index: i };
        }
      }
    });
    return best;
  }
}

export function segmentDistance(px: number, py: number, x0: number, y0: number, x1: number, y1: number): number {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / len2));
  return Math.hypot(px - (x0 + t * dx), py - (y0 + t * dy));
}

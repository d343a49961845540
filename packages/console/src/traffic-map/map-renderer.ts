/**
 * Draws the map on a 2D canvas: boxes, edges (batched per decision and width, dash pattern
 * from the palette), nodes (one path per kind), then labels only where they are readable.
 * Everything off screen is skipped. The canvas component draws this into a cached bitmap and
 * the hovered node or edge (drawHighlight) over it.
 */
import { DECISION_STYLES } from '../decision-palette.ts';
import type { NodeKind } from './aggregate.ts';
import { BOX_HEADER } from './layout.ts';
import type { MapScene } from './map-scene.ts';
import type { Hit } from './spatial-index.ts';
import { visibleWorld, type Viewport } from './viewport.ts';

const NODE_FILL: Readonly<Record<NodeKind, string>> = { workload: '#33414f', group: '#4a5a6a', ip: '#ffffff', outside: '#ffffff' };
const NODE_STROKE = '#1f2933';
const BOX_FILL = 'rgba(238, 242, 246, 0.9)';
const BOX_STROKE = '#c3ccd5';
const TEXT = '#1f2933';
const HIGHLIGHT = '#000000';

export interface FrameSize {
  readonly width: number;
  readonly height: number;
  readonly dpr: number;
}

export function drawMap(ctx: CanvasRenderingContext2D, scene: MapScene, v: Viewport, size: FrameSize): void {
  for (const _ of mapDrawing(ctx, scene, v, size, () => Infinity)) {
    // all steps at once
  }
}

/**
 * The same drawing in steps: it yields after every `chunk()` edges, so that the canvas can
 * spread a full render over several frames (rasterising thousands of dashed lines in software
 * takes far longer than a frame) while it keeps showing the previous bitmap.
 */
export function* mapDrawing(ctx: CanvasRenderingContext2D, scene: MapScene, v: Viewport, size: FrameSize, chunk: () => number): Generator<undefined, void, undefined> {
  const { layout: L, graph: g } = scene;
  const { dpr } = size;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, size.width, size.height);
  ctx.setTransform(dpr * v.k, 0, 0, dpr * v.k, dpr * v.x, dpr * v.y);
  // A margin so that nodes and lines straddling the edge of the screen are drawn.
  const w = visibleWorld(v, size.width, size.height);
  const m = 40 / v.k;
  const x0 = w.x0 - m;
  const y0 = w.y0 - m;
  const x1 = w.x1 + m;
  const y1 = w.y1 + m;
  const px = 1 / v.k;

  // Boxes.
  ctx.fillStyle = BOX_FILL;
  ctx.strokeStyle = BOX_STROKE;
  ctx.lineWidth = px;
  ctx.setLineDash([]);
  ctx.beginPath();
  for (const b of L.boxes) {
    if (b.x > x1 || b.y > y1 || b.x + b.w < x0 || b.y + b.h < y0) continue;
    ctx.rect(b.x, b.y, b.w, b.h);
  }
  ctx.fill();
  ctx.stroke();

  // Edges, one stroke per batch; arrowheads (direction) once they are big enough to read.
  const arrows = v.k >= 0.5;
  for (const batch of scene.batches) {
    const style = DECISION_STYLES[batch.decision];
    const dash = style.dash.map((d) => d * Math.max(1, batch.width) * px);
    const period = dash.reduce((a, b) => a + b, 0);
    const headSize = (4 + 2 * batch.width) * px;
    let heads: number[] = [];
    let drawn = 0;
    const begin = (): void => {
      ctx.strokeStyle = style.color;
      ctx.fillStyle = style.color;
      ctx.lineWidth = batch.width * px;
      ctx.setLineDash(dash);
      ctx.beginPath();
      heads = [];
      drawn = 0;
    };
    const finish = (): void => {
      ctx.stroke();
      if (heads.length === 0) return;
      ctx.setLineDash([]);
      ctx.beginPath();
      for (const i of heads) {
        const e = g.edges[i];
        if (e) arrowHead(ctx, L.x[e.source] ?? 0, L.y[e.source] ?? 0, L.x[e.target] ?? 0, L.y[e.target] ?? 0, L.r[e.target] ?? 0, headSize);
      }
      ctx.fill();
    };
    begin();
    for (const i of batch.edges) {
      const e = g.edges[i];
      if (!e) continue;
      const sx = L.x[e.source] ?? 0;
      const sy = L.y[e.source] ?? 0;
      const tx = L.x[e.target] ?? 0;
      const ty = L.y[e.target] ?? 0;
      if (Math.max(sx, tx) < x0 || Math.min(sx, tx) > x1 || Math.max(sy, ty) < y0 || Math.min(sy, ty) > y1) continue;
      if (e.source === e.target) {
        // Traffic inside one node (a group talking to itself): a small loop on its shoulder.
        const r = L.r[e.source] ?? 0;
        ctx.moveTo(sx + r * 1.45, sy - r * 0.7);
        ctx.arc(sx + r * 0.75, sy - r * 0.7, r * 0.7, 0, Math.PI * 2);
      } else {
        // Only the part on screen: a dashed line is dashed along its whole length before the
        // clip applies, so a long line half off screen would cost as much as if all of it showed.
        const c = clipSegment(sx, sy, tx, ty, x0, y0, x1, y1, period);
        if (!c) continue;
        ctx.moveTo(sx + (tx - sx) * c[0], sy + (ty - sy) * c[0]);
        ctx.lineTo(sx + (tx - sx) * c[1], sy + (ty - sy) * c[1]);
        if (arrows && c[1] === 1) heads.push(i);
      }
      drawn++;
      if (drawn >= chunk()) {
        finish();
        yield;
        begin();
      }
    }
    finish();
  }
  yield;

  // Nodes, one path per kind (workloads and groups filled, addresses hollow, "outside" square).
  ctx.setLineDash([]);
  ctx.lineWidth = 1.25 * px;
  ctx.strokeStyle = NODE_STROKE;
  for (const kind of ['workload', 'group', 'ip', 'outside'] as const) {
    ctx.fillStyle = NODE_FILL[kind];
    ctx.beginPath();
    let count = 0;
    for (let i = 0; i < g.nodes.length; i++) {
      if (g.nodes[i]?.kind !== kind) continue;
      const x = L.x[i] ?? 0;
      const y = L.y[i] ?? 0;
      if (x < x0 || x > x1 || y < y0 || y > y1) continue;
      const r = L.r[i] ?? 0;
      count++;
      if (kind === 'outside') ctx.rect(x - r, y - r, 2 * r, 2 * r);
      else {
        ctx.moveTo(x + r, y);
        ctx.arc(x, y, r, 0, Math.PI * 2);
      }
      if (count >= 2 * chunk()) {
        ctx.fill();
        ctx.stroke();
        yield;
        ctx.beginPath();
        count = 0;
      }
    }
    if (count === 0) continue;
    ctx.fill();
    ctx.stroke();
  }
  yield;

  drawLabels(ctx, scene, v, size, { x0, y0, x1, y1 });
}

/**
 * The part of segment s→t inside the rectangle, as [t0, t1] along it (Liang–Barsky), or
 * undefined. t0 moves back to a whole dash period from s, so the dashes do not shift when the
 * visible part changes.
 */
export function clipSegment(sx: number, sy: number, tx: number, ty: number, x0: number, y0: number, x1: number, y1: number, period: number): [number, number] | undefined {
  const dx = tx - sx;
  const dy = ty - sy;
  let a = 0;
  let b = 1;
  const edges: readonly [number, number][] = [
    [-dx, sx - x0],
    [dx, x1 - sx],
    [-dy, sy - y0],
    [dy, y1 - sy],
  ];
  for (const [p, q] of edges) {
    if (p === 0) {
      if (q < 0) return undefined;
      continue;
    }
    const r = q / p;
    if (p < 0) a = Math.max(a, r);
    else b = Math.min(b, r);
    if (a > b) return undefined;
  }
  const len = Math.hypot(dx, dy);
  if (period > 0 && a > 0 && len > 0) a = (Math.floor((a * len) / period) * period) / len;
  return [a, b];
}

function arrowHead(ctx: CanvasRenderingContext2D, sx: number, sy: number, tx: number, ty: number, r: number, size: number): void {
  const len = Math.hypot(tx - sx, ty - sy);
  if (len <= r + size) return;
  const ux = (tx - sx) / len;
  const uy = (ty - sy) / len;
  const px = tx - ux * r;
  const py = ty - uy * r;
  ctx.moveTo(px, py);
  ctx.lineTo(px - ux * size - uy * size * 0.5, py - uy * size + ux * size * 0.5);
  ctx.lineTo(px - ux * size + uy * size * 0.5, py - uy * size - ux * size * 0.5);
  ctx.closePath();
}

/** The hovered node or edge, drawn over the map (the transform is the viewport's). */
export function drawHighlight(ctx: CanvasRenderingContext2D, scene: MapScene, h: Hit, v: Viewport, dpr: number): void {
  const { layout: L, graph: g } = scene;
  const px = 1 / v.k;
  ctx.setTransform(dpr * v.k, 0, 0, dpr * v.k, dpr * v.x, dpr * v.y);
  ctx.setLineDash([]);
  ctx.strokeStyle = HIGHLIGHT;
  ctx.lineWidth = 3 * px;
  ctx.beginPath();
  if (h.kind === 'node') {
    const r = (L.r[h.index] ?? 0) + 3 * px;
    ctx.arc(L.x[h.index] ?? 0, L.y[h.index] ?? 0, r, 0, Math.PI * 2);
  } else {
    const e = g.edges[h.index];
    if (!e) return;
    const style = DECISION_STYLES[e.decision];
    ctx.strokeStyle = style.color;
    ctx.lineWidth = 5 * px;
    ctx.setLineDash(style.dash.map((d) => d * 3 * px));
    ctx.moveTo(L.x[e.source] ?? 0, L.y[e.source] ?? 0);
    ctx.lineTo(L.x[e.target] ?? 0, L.y[e.target] ?? 0);
  }
  ctx.stroke();
}

/** Text in screen pixels (crisp at any zoom), only where it fits and is on screen. */
function drawLabels(ctx: CanvasRenderingContext2D, scene: MapScene, v: Viewport, size: FrameSize, w: { x0: number; y0: number; x1: number; y1: number }): void {
  const { layout: L, graph: g } = scene;
  ctx.setTransform(size.dpr, 0, 0, size.dpr, 0, 0);
  ctx.fillStyle = TEXT;
  ctx.textBaseline = 'top';
  // Box titles fit their header band (BOX_HEADER world units), so they shrink with the zoom and go under 7 px.
  const title = Math.min(12, BOX_HEADER * v.k * 0.6);
  if (title >= 7) {
    ctx.font = `600 ${title.toFixed(1)}px system-ui, sans-serif`;
    for (const b of L.boxes) {
      if (b.x > w.x1 || b.y > w.y1 || b.x + b.w < w.x0 || b.y + b.h < w.y0) continue;
      ctx.fillText(b.label, b.x * v.k + v.x + 6 * Math.min(1, v.k), b.y * v.k + v.y + BOX_HEADER * v.k * 0.2, b.w * v.k - 8);
    }
  }
  // Workload counts inside group nodes, once the circle can hold them.
  if (g.view === 'groups') {
    ctx.font = '600 11px system-ui, sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.fillStyle = '#ffffff';
    for (let i = 0; i < g.nodes.length; i++) {
      const n = g.nodes[i];
      const x = L.x[i] ?? 0;
      const y = L.y[i] ?? 0;
      if (n?.kind !== 'group' || (L.r[i] ?? 0) * v.k < 9 || x < w.x0 || x > w.x1 || y < w.y0 || y > w.y1) continue;
      ctx.fillText(String(n.workloads), x * v.k + v.x, y * v.k + v.y, 2 * (L.r[i] ?? 0) * v.k - 4);
    }
    ctx.fillStyle = TEXT;
    ctx.textBaseline = 'top';
    ctx.textAlign = 'start';
  }
  // Node labels once nodes are far enough apart to carry them.
  if (v.k < (g.view === 'groups' ? 0.8 : 2.2)) return;
  ctx.font = '11px system-ui, sans-serif';
  ctx.textAlign = 'center';
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i];
    const x = L.x[i] ?? 0;
    const y = L.y[i] ?? 0;
    if (!n || x < w.x0 || x > w.x1 || y < w.y0 || y > w.y1) continue;
    const sx = x * v.k + v.x;
    const sy = (y + (L.r[i] ?? 0)) * v.k + v.y + 2;
    const text = n.label;
    ctx.fillText(text, sx, sy, Math.max(40, (2 * (L.r[i] ?? 0) + 10) * v.k));
  }
  ctx.textAlign = 'start';
}

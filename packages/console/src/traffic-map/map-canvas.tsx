/**
 * The interactive map: a <canvas> (2,000 nodes as DOM/SVG elements would not pan smoothly),
 * drag to pan, wheel or buttons to zoom, Fit; hover shows a tooltip, click opens what was hit.
 * The viewport lives in a ref, not in component state: moving it asks for one animation frame,
 * nothing else re-renders. The map is drawn once into a bitmap with half a screen of margin;
 * a frame copies that bitmap (pan) or scales it (mid-zoom) and draws the hovered item over it.
 * The map is drawn again only when the zoom settles or the pan leaves the margin, and then in
 * slices of about 10 ms a frame into a second bitmap while the first stays on screen:
 * rasterising thousands of dashed lines (in software, seconds) is what costs, not copying pixels. The canvas' data attributes tell
 * tests and benchmarks what is drawn (counts, transform, frames, full renders and their time).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { drawHighlight, mapDrawing, type FrameSize } from './map-renderer.ts';
import type { MapScene } from './map-scene.ts';
import type { Hit } from './spatial-index.ts';
import { fit, pan, toWorld, wheelFactor, zoomAt, type Viewport } from './viewport.ts';

export interface MapCanvasProps {
  readonly scene: MapScene;
  readonly label: string;
  readonly tooltip: (hit: Hit) => ComponentChildren;
  readonly onActivate: (hit: Hit) => void;
}

/** Time a frame may spend drawing a slice of a new bitmap. */
const FRAME_BUDGET_MS = 10;

/**
 * Makes the browser rasterise what was drawn on `c` now: canvas drawing is recorded and only
 * rasterised when its pixels are needed, and reading one pixel needs them (copying the canvas
 * elsewhere would only copy the recording).
 */
function flush(c: HTMLCanvasElement): void {
  c.getContext('2d')?.getImageData(0, 0, 1, 1);
}

/** A gesture (drag, wheel) has ended when no input came for this long; then the map is redrawn crisp. */
const SETTLE_MS = 140;

interface MapCache {
  readonly canvas: HTMLCanvasElement;
  readonly scene: MapScene;
  /** The viewport it was drawn for, and the margin (CSS pixels) drawn around the screen. */
  readonly v: Viewport;
  readonly mx: number;
  readonly my: number;
  readonly width: number;
  readonly height: number;
  readonly dpr: number;
}

/** A bitmap for viewport `v` with a margin around, not drawn yet. */
function newCache(canvas: HTMLCanvasElement, scene: MapScene, v: Viewport, size: FrameSize): MapCache {
  // Half a screen each side: a quarter (less to draw and copy) measured worse, as drags
  // left the bitmap, and so redrew it, two to five times as often.
  const mx = Math.round(size.width / 2);
  const my = Math.round(size.height / 2);
  canvas.width = Math.round((size.width + 2 * mx) * size.dpr);
  canvas.height = Math.round((size.height + 2 * my) * size.dpr);
  return { canvas, scene, v, mx, my, width: size.width, height: size.height, dpr: size.dpr };
}

function drawing(m: MapCache): Generator<undefined, void, undefined> | undefined {
  const ctx = m.canvas.getContext('2d');
  const size = { width: m.width + 2 * m.mx, height: m.height + 2 * m.my, dpr: m.dpr };
  return ctx ? mapDrawing(ctx, m.scene, { x: m.v.x + m.mx, y: m.v.y + m.my, k: m.v.k }, size, () => Infinity) : undefined;
}

/** Can bitmap `m` show viewport `v` unscaled (same scene, size and zoom, pan within its margin)? */
function covers(m: MapCache | undefined, scene: MapScene, v: Viewport, size: FrameSize): boolean {
  return m !== undefined && m.scene === scene && m.dpr === size.dpr && m.width === size.width && m.height === size.height && m.v.k === v.k && Math.abs(v.x - m.v.x) <= m.mx && Math.abs(v.y - m.v.y) <= m.my;
}

/** Copies the bitmap so that it shows viewport `v` (shifted and scaled from the one it was drawn for). */
function blit(ctx: CanvasRenderingContext2D, m: MapCache, v: Viewport, size: FrameSize): void {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  // A bitmap pixel at (px, py) (CSS) shows world ((px - mx - m.v.x) / m.v.k, …); on screen that is world × v.k + v.x.
  const s = v.k / m.v.k;
  // Unscaled copies land on whole device pixels (no blur while panning).
  const snap = (n: number): number => (s === 1 ? Math.round(n * size.dpr) / size.dpr : n);
  const dx = snap(v.x - (m.mx + m.v.x) * s);
  const dy = snap(v.y - (m.my + m.v.y) * s);
  ctx.setTransform(size.dpr, 0, 0, size.dpr, 0, 0);
  ctx.imageSmoothingEnabled = s !== 1;
  ctx.drawImage(m.canvas, dx, dy, (m.width + 2 * m.mx) * s, (m.height + 2 * m.my) * s);
}

/** Pixels the pointer may move between down and up and still count as a click. */
const CLICK_SLOP = 4;
/** Hit tolerance around lines, in screen pixels. */
const HIT_PX = 5;

export function MapCanvas(props: MapCanvasProps) {
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const tip = useRef<HTMLDivElement>(null);
  const view = useRef<Viewport>({ x: 0, y: 0, k: 1 });
  const size = useRef({ width: 0, height: 0, dpr: 1 });
  const frame = useRef(0);
  const frames = useRef(0);
  const renders = useRef(0);
  const hover = useRef<Hit | undefined>(undefined);
  const [hovered, setHovered] = useState<Hit | undefined>(undefined);
  const sceneRef = useRef(props.scene);
  sceneRef.current = props.scene;
  const activate = useRef(props.onActivate);
  activate.current = props.onActivate;

  const cache = useRef<MapCache | undefined>(undefined);
  /** The bitmap being drawn in slices, and the canvas a replaced bitmap leaves for the next one. */
  const job = useRef<{ cache: MapCache; steps: Generator<undefined, void, undefined>; started: number; frames: number } | undefined>(undefined);
  const spare = useRef<HTMLCanvasElement | undefined>(undefined);
  const chunk = useRef(400);
  const lastInput = useRef(0);
  const settle = useRef(0);

  const draw = (): void => {
    frame.current = 0;
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    const sz = size.current;
    if (!c || !ctx || sz.width === 0) return;
    const v = view.current;
    const scene = sceneRef.current;
    const interacting = performance.now() - lastInput.current < SETTLE_MS;
    const front = cache.current;
    const exact = covers(front, scene, v, sz);
    const sameScene = front !== undefined && front.scene === scene && front.dpr === sz.dpr && front.width === sz.width && front.height === sz.height;
    if (!sameScene) {
      // New data or a resize: nothing valid to show meanwhile, so draw it all now.
      job.current = undefined;
      const t0 = performance.now();
      const m = newCache(spare.current ?? document.createElement('canvas'), scene, v, sz);
      spare.current = front?.canvas;
      for (const _ of drawing(m) ?? []) {
        // every step
      }
      cache.current = m;
      rendered(c, performance.now() - t0, 1);
    } else if (!exact && !interacting && !(job.current && covers(job.current.cache, scene, v, sz))) {
      // The view moved off the bitmap: draw a new one over the next frames, showing the old one meanwhile.
      const m = newCache(spare.current ?? document.createElement('canvas'), scene, v, sz);
      spare.current = undefined;
      const ctx2 = m.canvas.getContext('2d');
      job.current = ctx2 ? { cache: m, steps: mapDrawing(ctx2, scene, { x: v.x + m.mx, y: v.y + m.my, k: v.k }, { width: m.width + 2 * m.mx, height: m.height + 2 * m.my, dpr: m.dpr }, () => chunk.current), started: performance.now(), frames: 0 } : undefined;
    } else if (!exact && interacting) {
      // Mid-gesture, the bitmap is scaled or shifted past its margin: crisp once the gesture settles.
      clearTimeout(settle.current);
      settle.current = window.setTimeout(schedule, SETTLE_MS + 10);
    }
    const j = job.current;
    if (j) {
      // One slice of the new bitmap per frame, sized to about FRAME_BUDGET_MS of rasterising.
      const t0 = performance.now();
      const done = j.steps.next().done === true;
      flush(j.cache.canvas);
      const spent = performance.now() - t0;
      chunk.current = Math.max(50, Math.min(50_000, Math.round(chunk.current * Math.min(1.5, FRAME_BUDGET_MS / Math.max(0.5, spent)))));
      j.frames += 1;
      if (done) {
        spare.current = cache.current?.canvas;
        cache.current = j.cache;
        job.current = undefined;
        rendered(c, performance.now() - j.started, j.frames);
      }
    }
    const shown = cache.current;
    if (shown) blit(ctx, shown, v, sz);
    if (hover.current) drawHighlight(ctx, scene, hover.current, v, sz.dpr);
    frames.current += 1;
    c.dataset['frames'] = String(frames.current);
    c.dataset['transform'] = `${v.x.toFixed(2)},${v.y.toFixed(2)},${v.k.toFixed(5)}`;
    if (job.current) schedule();
  };
  const rendered = (c: HTMLCanvasElement, ms: number, frameCount: number): void => {
    renders.current += 1;
    c.dataset['renders'] = String(renders.current);
    c.dataset['renderMs'] = ms.toFixed(1);
    c.dataset['renderFrames'] = String(frameCount);
  };
  const schedule = (): void => {
    if (frame.current === 0) frame.current = requestAnimationFrame(draw);
  };
  const setView = (v: Viewport, gesture = false): void => {
    view.current = v;
    if (gesture) lastInput.current = performance.now();
    schedule();
  };
  const fitView = (): void => {
    const L = sceneRef.current.layout;
    setView(fit(L.width, L.height, size.current.width, size.current.height));
  };

  // Size the canvas to its box (device pixels) and keep it so.
  useEffect(() => {
    const el = wrap.current;
    const c = canvas.current;
    if (!el || !c) return undefined;
    let first = true;
    const ro = new ResizeObserver(() => {
      const dpr = window.devicePixelRatio || 1;
      const width = el.clientWidth;
      const height = el.clientHeight;
      size.current = { width, height, dpr };
      c.width = Math.round(width * dpr);
      c.height = Math.round(height * dpr);
      if (first && width > 0) {
        first = false;
        fitView();
      } else schedule();
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      clearTimeout(settle.current);
      if (frame.current !== 0) cancelAnimationFrame(frame.current);
      frame.current = 0;
    };
  }, []);

  // A new scene (data, view or filter changed): show all of it.
  useEffect(() => {
    hover.current = undefined;
    setHovered(undefined);
    if (size.current.width > 0) fitView();
  }, [props.scene]);

  // Pointer and wheel (the wheel listener must not be passive: it stops the page scrolling).
  useEffect(() => {
    const c = canvas.current;
    if (!c) return undefined;
    let drag: { id: number; x: number; y: number; moved: boolean } | undefined;
    const local = (e: MouseEvent): { sx: number; sy: number } => {
      const r = c.getBoundingClientRect();
      return { sx: e.clientX - r.left, sy: e.clientY - r.top };
    };
    const hitAt = (sx: number, sy: number): Hit | undefined => {
      const w = toWorld(view.current, sx, sy);
      return sceneRef.current.index.hit(w.x, w.y, HIT_PX / view.current.k);
    };
    const setHover = (h: Hit | undefined, sx: number, sy: number): void => {
      const t = tip.current;
      if (t) {
        t.style.left = `${sx + 14}px`;
        t.style.top = `${sy + 14}px`;
      }
      const same = h?.kind === hover.current?.kind && h?.index === hover.current?.index;
      if (same) return;
      hover.current = h;
      setHovered(h);
      schedule();
    };
    const down = (e: PointerEvent): void => {
      if (e.button !== 0) return;
      c.setPointerCapture(e.pointerId);
      drag = { id: e.pointerId, x: e.clientX, y: e.clientY, moved: false };
    };
    const move = (e: PointerEvent): void => {
      const { sx, sy } = local(e);
      if (drag && drag.id === e.pointerId) {
        const dx = e.clientX - drag.x;
        const dy = e.clientY - drag.y;
        if (!drag.moved && Math.hypot(dx, dy) < CLICK_SLOP) return;
        if (!drag.moved) setHover(undefined, sx, sy);
        drag = { ...drag, x: e.clientX, y: e.clientY, moved: true };
        c.style.cursor = 'grabbing';
        setView(pan(view.current, dx, dy), true);
        return;
      }
      const h = hitAt(sx, sy);
      c.style.cursor = h ? 'pointer' : 'grab';
      setHover(h, sx, sy);
    };
    const up = (e: PointerEvent): void => {
      if (!drag || drag.id !== e.pointerId) return;
      const wasDrag = drag.moved;
      drag = undefined;
      c.style.cursor = 'grab';
      if (wasDrag) return;
      const { sx, sy } = local(e);
      const h = hitAt(sx, sy);
      if (h) activate.current(h);
    };
    const leave = (): void => {
      if (!drag) setHover(undefined, 0, 0);
    };
    const wheel = (e: WheelEvent): void => {
      e.preventDefault();
      const { sx, sy } = local(e);
      setView(zoomAt(view.current, sx, sy, wheelFactor(e.deltaY, e.deltaMode)), true);
    };
    c.addEventListener('pointerdown', down);
    c.addEventListener('pointermove', move);
    c.addEventListener('pointerup', up);
    c.addEventListener('pointercancel', up);
    c.addEventListener('pointerleave', leave);
    c.addEventListener('wheel', wheel, { passive: false });
    return () => {
      c.removeEventListener('pointerdown', down);
      c.removeEventListener('pointermove', move);
      c.removeEventListener('pointerup', up);
      c.removeEventListener('pointercancel', up);
      c.removeEventListener('pointerleave', leave);
      c.removeEventListener('wheel', wheel);
    };
  }, []);

  const zoomCentre = (factor: number): void => setView(zoomAt(view.current, size.current.width / 2, size.current.height / 2, factor));
  const key = (e: KeyboardEvent): void => {
    const step = 60;
    const moves: Record<string, () => void> = {
      ArrowLeft: () => setView(pan(view.current, step, 0)),
      ArrowRight: () => setView(pan(view.current, -step, 0)),
      ArrowUp: () => setView(pan(view.current, 0, step)),
      ArrowDown: () => setView(pan(view.current, 0, -step)),
      '+': () => zoomCentre(1.25),
      '=': () => zoomCentre(1.25),
      '-': () => zoomCentre(0.8),
      '0': fitView,
    };
    const f = moves[e.key];
    if (f) {
      e.preventDefault();
      f();
    }
  };

  const g = props.scene.graph;
  return (
    <div class="traffic-map-canvas" ref={wrap}>
      <canvas
        ref={canvas}
        tabIndex={0}
        role="img"
        aria-label={`${props.label}. Arrow keys pan, plus and minus zoom, 0 fits. The same content is available as tables below.`}
        data-testid="traffic-map-canvas"
        data-nodes={g.nodes.length}
        data-edges={g.edges.length}
        style={{ cursor: 'grab', touchAction: 'none' }}
        onKeyDown={key}
      />
      <div class="traffic-map-zoom" role="group" aria-label="Zoom">
        <button type="button" class="icon-button" aria-label="Zoom in" data-testid="map-zoom-in" onClick={() => zoomCentre(1.25)}>
          +
        </button>
        <button type="button" class="icon-button" aria-label="Zoom out" data-testid="map-zoom-out" onClick={() => zoomCentre(0.8)}>
          −
        </button>
        <button type="button" class="button button-quiet" data-testid="map-fit" onClick={fitView}>
          Fit
        </button>
      </div>
      <div class="traffic-map-tooltip" ref={tip} role="tooltip" data-testid="map-tooltip" hidden={hovered === undefined}>
        {hovered !== undefined && props.tooltip(hovered)}
      </div>
    </div>
  );
}

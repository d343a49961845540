/**
 * Pan and zoom as a transform: screen = world × k + (x, y). Pure, so the canvas only keeps one
 * of these and asks for a frame when it changes.
 */

export interface Viewport {
  readonly x: number;
  readonly y: number;
  readonly k: number;
}

export const MIN_ZOOM = 0.02;
export const MAX_ZOOM = 8;

const clampK = (k: number): number => Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k));

export function toWorld(v: Viewport, sx: number, sy: number): { x: number; y: number } {
  return { x: (sx - v.x) / v.k, y: (sy - v.y) / v.k };
}

export function pan(v: Viewport, dx: number, dy: number): Viewport {
  return { x: v.x + dx, y: v.y + dy, k: v.k };
}

/** Zoom by `factor` keeping the world point under (sx, sy) where it is on screen. */
export function zoomAt(v: Viewport, sx: number, sy: number, factor: number): Viewport {
  const k = clampK(v.k * factor);
  const w = toWorld(v, sx, sy);
  return { x: sx - w.x * k, y: sy - w.y * k, k };
}

/** The whole map centred in a `width` × `height` screen with `margin` pixels around. */
export function fit(mapWidth: number, mapHeight: number, width: number, height: number, margin = 24): Viewport {
  const k = clampK(Math.min(2.5, (width - 2 * margin) / Math.max(1, mapWidth), (height - 2 * margin) / Math.max(1, mapHeight)));
  return { x: (width - mapWidth * k) / 2, y: (height - mapHeight * k) / 2, k };
}

/** The world rectangle on screen (for culling what is not visible). */
export function visibleWorld(v: Viewport, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } {
  return { x0: -v.x / v.k, y0: -v.y / v.k, x1: (width - v.x) / v.k, y1: (height - v.y) / v.k };
}

/** Wheel delta (pixels or lines) → a zoom factor; one notch ≈ ×1.2. */
export function wheelFactor(deltaY: number, deltaMode: number): number {
  const px = deltaMode === 1 ? deltaY * 16 : deltaMode === 2 ? deltaY * 400 : deltaY;
  return Math.exp(-px * 0.0018);
}

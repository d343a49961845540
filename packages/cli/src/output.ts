/** Human output: aligned tables and short lines; `--json` prints the API's JSON instead. */
import type { CliIo } from './io.ts';

export function table(io: CliIo, header: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  io.out(line(header));
  for (const r of rows) io.out(line(r));
}

export function json(io: CliIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** A field of an API object as display text. */
export function field(o: unknown, name: string): string {
  if (typeof o !== 'object' || o === null) return '';
  const v = (o as Record<string, unknown>)[name];
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
}

export function obj(o: unknown): Record<string, unknown> {
  return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>) : {};
}

export function arr(o: unknown): unknown[] {
  return Array.isArray(o) ? (o as unknown[]) : [];
}

/** The last segment of an href (`/orgs/1/labels/7` → `7`). */
export function idOf(href: string): string {
  return href.split('/').pop() ?? href;
}

/**
 * Field-level differences between two versions of a policy object, for the provision page
 * (draft vs active) and the versions page (version a vs version b). Lists of objects with an
 * `href` or `id` (rules) are matched by it, so moving or editing one rule reads as that rule
 * changing, not as every later index changing. Bookkeeping fields are left out.
 */
import { describeActor, describeService, nameOf, type ApiActor, type ApiService, type NameBook } from './actors.ts';

export type ChangeType = 'create' | 'update' | 'delete';

export interface FieldChange {
  /** `rules › 12 › sec_connect` */
  readonly field: string;
  readonly before?: string;
  readonly after?: string;
}

const IGNORED = new Set(['created_at', 'created_by', 'updated_at', 'updated_by', 'href', 'id', 'update_type']);
const ACTOR_KEYS = new Set(['actors', 'label', 'label_group', 'workload', 'ip_list', 'virtual_service']);

type Json = unknown;

function isRecord(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyOf(v: Json): string | undefined {
  if (!isRecord(v)) return undefined;
  const href = v['href'];
  if (typeof href === 'string') return href.slice(href.lastIndexOf('/') + 1);
  const id = v['id'];
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

function isActor(v: Record<string, Json>): boolean {
  const keys = Object.keys(v);
  return keys.length === 1 && ACTOR_KEYS.has(keys[0] ?? '');
}

/** One value as a short readable string. */
export function formatValue(v: Json, names: NameBook): string {
  if (v === undefined || v === null) return '—';
  if (v === '') return '(empty)';
  if (typeof v === 'string') return v.startsWith('/orgs/') ? nameOf(names, v) : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? '(none)' : v.map((x) => formatValue(x, names)).join(', ');
  if (!isRecord(v)) return JSON.stringify(v);
  if (isActor(v)) return describeActor(v as ApiActor, names).text;
  if ('proto' in v || (typeof v['href'] === 'string' && Object.keys(v).length === 1)) return describeService(v as unknown as ApiService, names);
  // A scope: an AND of labels.
  if ('label' in v || 'label_group' in v) {
    const ref = v['label'] ?? v['label_group'];
    const href = isRecord(ref) && typeof ref['href'] === 'string' ? ref['href'] : undefined;
    const name = href ? nameOf(names, href) : '?';
    return `${v['exclusion'] === true ? 'not ' : ''}${'label_group' in v ? `group: ${name}` : name}`;
  }
  return JSON.stringify(v);
}

function keyedList(v: Json): Map<string, Json> | undefined {
  if (!Array.isArray(v) || v.length === 0) return undefined;
  const m = new Map<string, Json>();
  for (const x of v) {
    const k = keyOf(x);
    if (k === undefined) return undefined;
    m.set(k, x);
  }
  return m;
}

function same(a: Json, b: Json): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Every field of a value that exists on one side only (created, deleted, a rule added). */
function oneSide(path: readonly string[], v: Json, side: 'before' | 'after', names: NameBook, out: FieldChange[]): void {
  if (isRecord(v) && !isActor(v)) {
    for (const [k, x] of Object.entries(v)) if (!IGNORED.has(k)) oneSide([...path, k], x, side, names, out);
    return;
  }
  const keyed = keyedList(v);
  if (keyed) {
    for (const [k, x] of keyed) oneSide([...path, k], x, side, names, out);
    return;
  }
  // Nothing to say about an empty description or list on a side that did not exist.
  if (v === '' || v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return;
  out.push({ field: path.join(' › '), [side]: formatValue(v, names) });
}

function walk(path: readonly string[], a: Json, b: Json, names: NameBook, out: FieldChange[]): void {
  if (same(a, b)) return;
  const field = path.join(' › ');
  if (isRecord(a) && isRecord(b) && !isActor(a) && !isActor(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (!IGNORED.has(k)) walk([...path, k], a[k], b[k], names, out);
    return;
  }
  const ka = a === undefined ? new Map<string, Json>() : keyedList(a);
  const kb = b === undefined ? new Map<string, Json>() : keyedList(b);
  if (ka && kb && (ka.size > 0 || kb.size > 0)) {
    for (const k of new Set([...ka.keys(), ...kb.keys()])) {
      const x = ka.get(k);
      const y = kb.get(k);
      if (x === undefined) oneSide([...path, k], y, 'after', names, out);
      else if (y === undefined) oneSide([...path, k], x, 'before', names, out);
      else walk([...path, k], x, y, names, out);
    }
    return;
  }
  out.push({ field, ...(a === undefined ? {} : { before: formatValue(a, names) }), ...(b === undefined ? {} : { after: formatValue(b, names) }) });
}

/** Policy hrefs name the version they were read from; compare them in draft form. */
function normalize(v: Json): Json {
  return v === undefined || v === null ? undefined : (JSON.parse(JSON.stringify(v).replace(/\/sec_policy\/(?:active|\d+)\//g, '/sec_policy/draft/')) as Json);
}

/**
 * The changes from `before` to `after` (either may be missing: created or deleted). A created
 * or deleted object lists its fields with only the side that exists.
 */
export function objectDiff(before: Json, after: Json, names: NameBook): FieldChange[] {
  const out: FieldChange[] = [];
  const a = normalize(before);
  const b = normalize(after);
  if (a === undefined) oneSide([], b, 'after', names, out);
  else if (b === undefined) oneSide([], a, 'before', names, out);
  else walk([], a, b, names, out);
  return out;
}

export function changeTitle(c: ChangeType): string {
  return c === 'create' ? 'created' : c === 'delete' ? 'deleted' : 'modified';
}

/** `rule_sets` → `Rule set` */
export function typeTitle(type: string): string {
  const s = type.replace(/_/g, ' ').replace(/s$/, '');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

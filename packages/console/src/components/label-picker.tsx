/**
 * Choose labels, one select per key (role, app, env, loc, then custom keys), from the org's
 * labels. `value` and `onChange` carry label hrefs. `multiple` allows several values per key
 * (filters: "app=a OR app=b"); otherwise one per key (a workload's labels).
 */
import { api, type ListResult } from '../api/client.ts';
import { useSession } from '../session.tsx';
import { sortLabels, type LabelLike } from './label-chips.tsx';
import { useFetch } from './use-fetch.ts';

export interface LabelRef extends LabelLike {
  readonly href: string;
}

/** Components mounting together (a page and its picker) share one request for the labels. */
const SHARE_MS = 2_000;
let shared: { orgHref: string; at: number; result: Promise<ListResult<LabelRef>> } | undefined;
function loadLabels(orgHref: string): Promise<ListResult<LabelRef>> {
  const now = Date.now();
  if (!shared || shared.orgHref !== orgHref || now - shared.at > SHARE_MS) shared = { orgHref, at: now, result: api.list<LabelRef>(`${orgHref}/labels`, { max_results: 10000 }) };
  return shared.result;
}

/** The org's labels, loaded on mount. */
export function useLabels(): { labels: readonly LabelRef[]; loading: boolean; error: unknown } {
  const { orgHref } = useSession();
  const f = useFetch(() => loadLabels(orgHref), [orgHref]);
  return { labels: f.data?.items ?? [], loading: f.loading, error: f.error };
}

export function groupByKey<T extends LabelLike>(labels: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const l of sortLabels(labels)) m.set(l.key, [...(m.get(l.key) ?? []), l]);
  return m;
}

export function LabelPicker(props: { value: readonly string[]; onChange: (hrefs: string[]) => void; keys?: readonly string[]; multiple?: boolean; disabled?: boolean; testid?: string; anyLabel?: string }) {
  const { labels, loading } = useLabels();
  const byKey = groupByKey(labels);
  const keys = props.keys ?? [...byKey.keys()];
  const chosen = new Set(props.value);
  if (loading && labels.length === 0) return <span class="muted">Loading labels…</span>;
  if (keys.length === 0) return <span class="muted">No labels yet: create them on the Labels page.</span>;
  const setKey = (key: string, hrefs: string[]): void => {
    const inKey = new Set((byKey.get(key) ?? []).map((l) => l.href));
    props.onChange([...props.value.filter((h) => !inKey.has(h)), ...hrefs]);
  };
  return (
    <div class="label-picker" data-testid={props.testid ?? 'label-picker'}>
      {keys.map((key) => {
        const options = byKey.get(key) ?? [];
        const current = options.filter((l) => chosen.has(l.href)).map((l) => l.href);
        return (
          <label class="label-picker-key" key={key}>
            <span class="label-picker-name">{key}</span>
            <select
              multiple={props.multiple}
              size={props.multiple ? Math.min(4, Math.max(2, options.length)) : undefined}
              disabled={props.disabled}
              title={props.multiple ? 'Ctrl- or ⌘-click to choose several' : undefined}
              data-testid={`label-picker-${key}`}
              onChange={(e) => {
                const sel = e.currentTarget as HTMLSelectElement;
                setKey(key, [...sel.selectedOptions].map((o) => o.value).filter((v) => v !== ''));
              }}
            >
              {!props.multiple && (
                <option value="" selected={current.length === 0}>
                  {props.anyLabel ?? '(none)'}
                </option>
              )}
              {options.map((l) => (
                <option key={l.href} value={l.href} selected={chosen.has(l.href)}>
                  {l.value}
                </option>
              ))}
            </select>
          </label>
        );
      })}
    </div>
  );
}

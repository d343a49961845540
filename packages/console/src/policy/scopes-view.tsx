/** Scopes as chips (OR of ANDs) and their editor: each scope is one label set. */
import { LabelChips, type LabelLike } from '../components/label-chips.tsx';
import { LabelPicker } from '../components/label-picker.tsx';
import type { NameBook } from './actors.ts';
import type { ApiScopeEntry } from './rule-rows.ts';

function asLabel(e: ApiScopeEntry, names: NameBook): LabelLike {
  const href = e.label?.href ?? e.label_group?.href ?? '';
  const text = names.get(href) ?? href;
  const eq = text.indexOf('=');
  const [key, value] = e.label && eq > 0 ? [text.slice(0, eq), text.slice(eq + 1)] : ['group', text];
  return { key: e.exclusion ? `not ${key}` : key, value, href };
}

export function ScopesView(props: { scopes: readonly (readonly ApiScopeEntry[])[]; names: NameBook }) {
  if (props.scopes.length === 0 || props.scopes.every((s) => s.length === 0)) return <span class="muted">all workloads</span>;
  return (
    <span data-testid="scopes">
      {props.scopes.map((scope, i) => (
        <span class="scope-block" key={i}>
          {i > 0 && <span class="scope-or">or</span>}
          <LabelChips labels={scope.map((e) => asLabel(e, props.names))} empty="all workloads" />
        </span>
      ))}
    </span>
  );
}

/** Edits scopes as label href lists (label groups and exclusions are kept as they were). */
export function ScopesEditor(props: { value: string[][]; onChange: (v: string[][]) => void }) {
  const set = (i: number, hrefs: string[]): void => props.onChange(props.value.map((s, j) => (j === i ? hrefs : s)));
  return (
    <div data-testid="scopes-editor">
      {props.value.length === 0 && <p class="muted">No scope: the rules apply to all workloads. Add a scope to limit them to a set of labels.</p>}
      {props.value.map((scope, i) => (
        <div class="scope-editor" key={i} data-testid={`scope-${i}`}>
          <div class="picker-row">
            <strong>{i === 0 ? 'Scope' : 'or scope'}</strong>
            <button type="button" class="link-button" onClick={() => props.onChange(props.value.filter((_, j) => j !== i))}>
              remove
            </button>
          </div>
          <LabelPicker value={scope} onChange={(h) => set(i, h)} anyLabel="(any)" testid={`scope-${i}-labels`} />
        </div>
      ))}
      <button type="button" class="button" data-testid="add-scope" onClick={() => props.onChange([...props.value, []])}>
        Add scope
      </button>
    </div>
  );
}

export function scopesBody(value: readonly string[][]): { label: { href: string } }[][] {
  return value.map((s) => s.map((href) => ({ label: { href } })));
}

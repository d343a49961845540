/** Labels as `key=value` chips, in the built-in key order (role, app, env, loc), then the rest. */

export interface LabelLike {
  readonly key: string;
  readonly value: string;
  readonly href?: string;
}

const ORDER = ['role', 'app', 'env', 'loc'];
function rank(key: string): number {
  const i = ORDER.indexOf(key);
  return i === -1 ? ORDER.length : i;
}

export function sortLabels<T extends LabelLike>(labels: readonly T[]): T[] {
  return [...labels].sort((a, b) => rank(a.key) - rank(b.key) || a.key.localeCompare(b.key) || a.value.localeCompare(b.value));
}

export function LabelChips(props: { labels: readonly LabelLike[]; empty?: string }) {
  if (props.labels.length === 0) return <span class="muted">{props.empty ?? 'no labels'}</span>;
  return (
    <span class="chips">
      {sortLabels(props.labels).map((l) => (
        <span class={`chip chip-${ORDER.includes(l.key) ? l.key : 'custom'}`} key={`${l.key}=${l.value}`} title={`${l.key}=${l.value}`}>
          <span class="chip-key">{l.key}</span>
          <span class="chip-value">{l.value}</span>
        </span>
      ))}
    </span>
  );
}

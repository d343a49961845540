/** One object's changes as a before/after table (provision page, versions page). */
import type { NameBook } from './actors.ts';
import { changeTitle, objectDiff, typeTitle, type ChangeType } from './object-diff.ts';

export function ChangeBadge(props: { change: ChangeType }) {
  const symbol = props.change === 'create' ? '+' : props.change === 'delete' ? '−' : '~';
  return (
    <span class={`state-badge change-${props.change}`} data-change={props.change}>
      <span aria-hidden="true">{symbol} </span>
      {changeTitle(props.change)}
    </span>
  );
}

export function DiffTable(props: { before: unknown; after: unknown; names: NameBook }) {
  const changes = objectDiff(props.before, props.after, props.names);
  if (changes.length === 0) return <p class="muted">No field differs (only bookkeeping such as the update time).</p>;
  return (
    <table class="diff-table" data-testid="diff-table">
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {changes.map((c, i) => (
          <tr key={i} data-field={c.field}>
            <td>{c.field}</td>
            <td class={c.before !== undefined ? 'diff-before' : ''}>{c.before ?? ''}</td>
            <td class={c.after !== undefined ? 'diff-after' : ''}>{c.after ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function objectTitle(type: string, name: string): string {
  return `${typeTitle(type)} ${name}`;
}

/** Errors and warnings of one rule, each with a symbol and, when known, the field at fault. */
import type { RuleNote } from './rule-notes.ts';

export function NoteList(props: { notes: readonly RuleNote[]; testid: string }) {
  if (props.notes.length === 0) return null;
  return (
    // Errors of a write just refused are announced; standing warnings are not re-announced.
    <div role={props.notes.some((n) => n.severity === 'error') ? 'alert' : undefined} data-testid={props.testid}>
      {props.notes.map((n, i) => (
        <div key={i} class={`rule-note rule-note-${n.severity}`} data-token={n.token}>
          <span aria-hidden="true">{n.severity === 'error' ? '✕' : '⚠'}</span>
          <span class="visually-hidden">{n.severity === 'error' ? 'Error: ' : 'Warning: '}</span>
          <span>
            {n.field && <span class="rule-note-field">{n.field}: </span>}
            {n.message}
          </span>
        </div>
      ))}
    </div>
  );
}


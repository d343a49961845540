import type { ComponentChildren } from 'preact';

/** Shown instead of an empty table: says what is missing and what to do next. */
export function EmptyState(props: { title: string; children?: ComponentChildren; action?: ComponentChildren }) {
  return (
    <div class="empty-state" data-testid="empty-state">
      <p class="empty-title">{props.title}</p>
      {props.children !== undefined && <p class="empty-next">{props.children}</p>}
      {props.action !== undefined && <div class="empty-action">{props.action}</div>}
    </div>
  );
}

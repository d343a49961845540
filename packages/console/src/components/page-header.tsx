import type { ComponentChildren } from 'preact';

/** The top of every page: its title, an optional line under it, and the page's actions (right). */
export function PageHeader(props: { title: string; subtitle?: ComponentChildren; children?: ComponentChildren }) {
  return (
    <header class="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle !== undefined && <p class="page-subtitle">{props.subtitle}</p>}
      </div>
      {props.children !== undefined && <div class="page-actions">{props.children}</div>}
    </header>
  );
}

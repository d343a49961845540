import type { PageProps } from '../page.ts';

// Placeholder until the page is built (console work in progress).
export function ServicesPage(_props: PageProps) {
  return <p class="empty">This page is being built.</p>;
}

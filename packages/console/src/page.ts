import type { ComponentType } from 'preact';

/** What the router hands every page: the `:params` of its path and the hash query string. */
export interface PageProps {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
}

export type Role = 'owner' | 'admin' | 'ruleset_manager' | 'read_only';

export interface RouteEntry {
  /** `/rule-sets/:id` */
  readonly path: string;
  readonly title: string;
  /** Shown in the navigation when set (routes with params are reached by links). */
  readonly nav?: 'Policy' | 'Inventory' | 'Visibility' | 'Admin';
  readonly component: ComponentType<PageProps>;
}

/**
 * Pending changes (`GET /sec_policy/pending`, keyed by object type) as one flat list, and the
 * `change_subset` body that provisions or reverts the ones picked.
 */
import type { ChangeType } from './object-diff.ts';

export interface PendingItem {
  readonly type: string;
  readonly href: string;
  readonly change: ChangeType;
  readonly name: string;
  readonly updatedAt: string;
}

interface ApiPending {
  readonly href: string;
  readonly change_type: ChangeType;
  readonly name?: string;
  readonly updated_at?: string;
}

export function pendingItems(body: Readonly<Record<string, readonly ApiPending[]>>): PendingItem[] {
  const out: PendingItem[] = [];
  for (const [type, list] of Object.entries(body)) {
    for (const p of list) out.push({ type, href: p.href, change: p.change_type, name: p.name ?? p.href.slice(p.href.lastIndexOf('/') + 1), updatedAt: p.updated_at ?? '' });
  }
  // Rule sets first (what people provision for), then the objects they use, newest first.
  const order = (t: string): number => (t === 'rule_sets' ? 0 : 1);
  return out.sort((a, b) => order(a.type) - order(b.type) || a.type.localeCompare(b.type) || b.updatedAt.localeCompare(a.updatedAt) || a.href.localeCompare(b.href));
}

export function changeSubset(picked: readonly PendingItem[]): Record<string, { href: string }[]> {
  const out: Record<string, { href: string }[]> = {};
  for (const p of picked) (out[p.type] ??= []).push({ href: p.href });
  return out;
}

/** The active-version href of a pending draft object (what it replaces). */
export function activeHref(href: string): string {
  return href.replace('/sec_policy/draft/', '/sec_policy/active/');
}

/** Draft rule set hrefs with a pending change, by change type (for the rule set list). */
export function pendingByHref(items: readonly PendingItem[]): Map<string, ChangeType> {
  return new Map(items.map((i) => [i.href, i.change]));
}

export type RuleSetState = 'active' | 'new' | 'modified' | 'deleted';

/** Whether a draft rule set is active as is, only in the draft, or changed since provision. */
export function ruleSetState(href: string, pending: ReadonlyMap<string, ChangeType>): RuleSetState {
  const c = pending.get(href);
  return c === undefined ? 'active' : c === 'create' ? 'new' : c === 'delete' ? 'deleted' : 'modified';
}

export const RULE_SET_STATE_TEXT: Record<RuleSetState, string> = {
  active: 'Active',
  new: 'Draft (never provisioned)',
  modified: 'Active, pending changes',
  deleted: 'Pending deletion',
};

/** Name → href lookups the commands share (labels by key=value, IP lists by name, …). */
import { notFound, invalid } from '@palisade/core/errors.ts';
import type { ApiClient } from './api-client.ts';
import { arr, field, obj } from './output.ts';

export interface LabelRef {
  readonly href: string;
  readonly key: string;
  readonly value: string;
}

export async function fetchLabels(api: ApiClient): Promise<LabelRef[]> {
  const { items } = await api.list(api.orgPath('/labels'));
  return items.map((l) => ({ href: field(l, 'href'), key: field(l, 'key'), value: field(l, 'value') }));
}

export function labelKeyOf(key: string, value: string): string {
  return `${key}=${value}`;
}

/** `role=web` → its parts; an error that says how to write it otherwise. */
export function splitLabel(text: string, what = 'label'): { key: string; value: string } {
  const i = text.indexOf('=');
  if (i <= 0 || i === text.length - 1) throw invalid('invalid_label_syntax', `${what} "${text}" must be written KEY=VALUE, e.g. role=web`);
  return { key: text.slice(0, i).trim(), value: text.slice(i + 1).trim() };
}

export async function labelHref(api: ApiClient, text: string, cache?: LabelRef[]): Promise<string> {
  const { key, value } = splitLabel(text);
  const labels = cache ?? (await fetchLabels(api));
  const l = labels.find((x) => x.key === key && x.value === value);
  if (!l) throw notFound('label_not_found', `no label ${key}=${value}; create it with "palisade labels create ${key} ${value}"`);
  return l.href;
}

/** A draft policy object by exact name or id. */
export async function policyObjectHref(api: ApiClient, type: 'ip_lists' | 'services' | 'label_groups' | 'rule_sets', nameOrId: string): Promise<string> {
  if (nameOrId.startsWith('/orgs/')) return nameOrId;
  const { items } = await api.list(api.orgPath(`/sec_policy/draft/${type}`));
  const hit = items.find((o) => field(o, 'name') === nameOrId) ?? items.find((o) => field(o, 'href').endsWith(`/${type}/${nameOrId}`));
  if (!hit) throw notFound('object_not_found', `no ${type.replace(/_/g, ' ').replace(/s$/, '')} named "${nameOrId}" in the draft (list them with "palisade ${type.replace('_', '-').replace('rule-sets', 'rulesets')} list")`);
  return field(hit, 'href');
}

export async function workloadHref(api: ApiClient, hostnameOrId: string): Promise<string> {
  if (hostnameOrId.startsWith('/orgs/')) return hostnameOrId;
  const { items } = await api.list(api.orgPath('/workloads'));
  const hit = items.find((w) => field(w, 'hostname') === hostnameOrId) ?? items.find((w) => field(w, 'name') === hostnameOrId) ?? items.find((w) => field(w, 'href').endsWith(`/workloads/${hostnameOrId}`));
  if (!hit) throw notFound('workload_not_found', `no workload with hostname, name or id "${hostnameOrId}"`);
  return field(hit, 'href');
}

/** `/orgs/1/labels/7` or `7` → an org href of the given collection. */
export function orgObjectHref(api: ApiClient, collection: string, idOrHref: string): string {
  return idOrHref.startsWith('/orgs/') ? idOrHref : api.orgPath(`/${collection}/${idOrHref}`);
}

export function labelsText(w: unknown): string {
  return arr(obj(w)['labels'])
    .map((l) => `${field(l, 'key')}=${field(l, 'value')}`)
    .join(',');
}

/**
 * Org-relative hrefs, Illumio style: `/orgs/1/labels/7`,
 * `/orgs/1/sec_policy/draft/rule_sets/3/sec_rules/12`. Never with `/api/v2` or a host.
 */
import { invalid } from './errors.ts';

export type PolicyVersionRef = 'draft' | 'active' | number;

export const POLICY_TYPES = [
  'label_groups',
  'ip_lists',
  'services',
  'rule_sets',
  'virtual_services',
  'firewall_settings',
] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

export const ORG_TYPES = ['labels', 'label_dimensions', 'workloads', 'vens', 'pairing_profiles', 'users', 'events'] as const;
export type OrgType = (typeof ORG_TYPES)[number];

const ID = /^[A-Za-z0-9-]{1,64}$/;

export function isId(s: string): boolean {
  return ID.test(s);
}

export function orgHref(org: number, type: OrgType, id: string | number): string {
  return `/orgs/${org}/${type}/${id}`;
}

export function policyHref(org: number, version: PolicyVersionRef, type: PolicyType, id: string | number): string {
  return type === 'firewall_settings'
    ? `/orgs/${org}/sec_policy/${version}/firewall_settings`
    : `/orgs/${org}/sec_policy/${version}/${type}/${id}`;
}

export type ParsedHref =
  | { readonly kind: 'org'; readonly org: number; readonly type: OrgType; readonly id: string }
  | {
      readonly kind: 'policy';
      readonly org: number;
      readonly version: PolicyVersionRef;
      readonly type: PolicyType;
      readonly id: string;
      /** For rules: `sec_rules` or `deny_rules` and the rule id. */
      readonly sub?: { readonly type: 'sec_rules' | 'deny_rules'; readonly id: string };
    };

/** Parse an href; `undefined` when it is not one of ours. Accepts a leading `/api/v2`. */
export function parseHref(href: string): ParsedHref | undefined {
  const parts = href.replace(/^\/api\/v2(?=\/)/, '').split('/');
  if (parts[0] !== '' || parts[1] !== 'orgs') return undefined;
  const org = Number(parts[2]);
  if (!Number.isSafeInteger(org) || org <= 0 || String(org) !== parts[2]) return undefined;
  if (parts[3] === 'sec_policy') {
    const v = parts[4];
    let version: PolicyVersionRef;
    if (v === 'draft' || v === 'active') version = v;
    else if (v !== undefined && /^[1-9][0-9]*$/.test(v)) version = Number(v);
    else return undefined;
    const type = parts[5] as PolicyType;
    if (!POLICY_TYPES.includes(type)) return undefined;
    if (type === 'firewall_settings') {
      return parts.length === 6 ? { kind: 'policy', org, version, type, id: 'firewall_settings' } : undefined;
    }
    const id = parts[6];
    if (id === undefined || !isId(id)) return undefined;
    if (parts.length === 7) return { kind: 'policy', org, version, type, id };
    const subType = parts[7];
    const subId = parts[8];
    if (type === 'rule_sets' && (subType === 'sec_rules' || subType === 'deny_rules') && subId !== undefined && isId(subId) && parts.length === 9) {
      return { kind: 'policy', org, version, type, id, sub: { type: subType, id: subId } };
    }
    return undefined;
  }
  const type = parts[3] as OrgType;
  const id = parts[4];
  if (!ORG_TYPES.includes(type) || id === undefined || !isId(id) || parts.length !== 5) return undefined;
  return { kind: 'org', org, type, id };
}

/** Parse an href that must point at an org object of `type` in `org`. */
export function expectOrgHref(href: string, org: number, type: OrgType, path: string): string {
  const p = parseHref(href);
  if (!p || p.kind !== 'org' || p.type !== type) {
    throw invalid('invalid_href', `${path}: "${href}" is not a ${type} href (expected /orgs/${org}/${type}/{id})`, path);
  }
  if (p.org !== org) throw invalid('invalid_href', `${path}: "${href}" belongs to another org`, path);
  return p.id;
}

/**
 * Parse an href that must point at a policy object of `type` in `org`, in the draft or the
 * active version (a draft object may reference active objects: same id). Returns the id.
 */
export function expectPolicyHref(href: string, org: number, type: PolicyType, path: string): string {
  const p = parseHref(href);
  if (!p || p.kind !== 'policy' || p.type !== type || p.sub) {
    throw invalid('invalid_href', `${path}: "${href}" is not a ${type} href (expected /orgs/${org}/sec_policy/draft/${type}/{id})`, path);
  }
  if (p.org !== org) throw invalid('invalid_href', `${path}: "${href}" belongs to another org`, path);
  if (p.version !== 'draft' && p.version !== 'active') {
    throw invalid('invalid_href', `${path}: "${href}" names a past version; reference the draft or active object`, path);
  }
  return p.id;
}

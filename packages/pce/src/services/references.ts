/**
 * Checks that every href a request names exists, in this org, with the expected type, and
 * normalizes policy hrefs to their draft form (a draft may reference active objects).
 */
import { PalisadeError, type ErrorDetail } from '@palisade/core/errors.ts';
import { parseHref, policyHref, POLICY_TYPES, type OrgType, type PolicyType } from '@palisade/core/href.ts';
import type { StoreTx } from '../store/store.ts';

export type RefType = PolicyType | Extract<OrgType, 'labels' | 'workloads'>;

export interface RefCheck {
  readonly href: string;
  readonly type: RefType;
  readonly path: string;
}

function singular(t: string): string {
  return t.replace(/s$/, '').replace(/_/g, ' ');
}

/**
 * Verify all references; throws one 406 listing every bad one. Returns the hrefs in storage
 * form (same order).
 */
export async function checkReferences(tx: StoreTx, org: number, refs: readonly RefCheck[]): Promise<string[]> {
  const problems: ErrorDetail[] = [];
  const out: string[] = [];
  for (const r of refs) {
    const p = parseHref(r.href);
    const isPolicy = (POLICY_TYPES as readonly string[]).includes(r.type);
    const expected = isPolicy ? policyHref(org, 'draft', r.type as PolicyType, '{id}') : `/orgs/${org}/${r.type}/{id}`;
    if (!p || p.type !== r.type || ('sub' in p && p.sub)) {
      problems.push({ token: 'invalid_href', message: `${r.path}: "${r.href}" is not a ${singular(r.type)} href (expected ${expected})`, path: r.path });
      out.push(r.href);
      continue;
    }
    if (p.org !== org) {
      problems.push({ token: 'invalid_href', message: `${r.path}: "${r.href}" belongs to another org`, path: r.path });
      out.push(r.href);
      continue;
    }
    let exists: boolean;
    if (p.kind === 'policy') {
      if (p.version !== 'draft' && p.version !== 'active') {
        problems.push({ token: 'invalid_href', message: `${r.path}: "${r.href}" names a past policy version; reference the draft or active object`, path: r.path });
        out.push(r.href);
        continue;
      }
      const row = await tx.getDraft(org, p.type, p.id);
      exists = row !== undefined && row.data !== null;
      out.push(policyHref(org, 'draft', p.type, p.id));
    } else {
      exists = p.type === 'labels' ? /^\d+$/.test(p.id) && (await tx.getLabel(org, Number(p.id))) !== undefined : (await tx.getWorkload(org, p.id)) !== undefined;
      out.push(`/orgs/${org}/${p.type}/${p.id}`);
    }
    if (!exists) problems.push({ token: `${singular(r.type).replace(/ /g, '_')}_not_found`, message: `${r.path}: ${r.href} does not exist`, path: r.path });
  }
  if (problems.length > 0) throw new PalisadeError('invalid', problems);
  return out;
}

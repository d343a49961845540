/**
 * Draft → active. Provisioning turns all pending changes, or a chosen subset, into a new
 * numbered immutable version, after checking that the resulting active policy is whole:
 * nothing it references is missing, and SecureConnect rules are valid (DESIGN §2, §4).
 */
import { invalid, PalisadeError, type ErrorDetail } from '@palisade/core/errors.ts';
import { errorsOf, warningsOf } from '@palisade/core/diagnostics.ts';
import { parseHref, policyHref, POLICY_TYPES, type PolicyType } from '@palisade/core/href.ts';
import type { Principal } from '../auth/principal.ts';
import type { Pce } from '../pce.ts';
import type { DraftRow, StoreTx } from '../store/store.ts';
import { recordEvent } from './events.ts';
import { referencesOf, versioned } from './policy-store.ts';
import { ruleSetDiagnostics } from './rule-sets.ts';
import { affectedWorkloads } from './affected-workloads.ts';
import { loadInventory, type SecureConnectInventory } from './secure-connect-warnings.ts';

export type ChangeSubset = Partial<Record<PolicyType, { href: string }[]>>;

const key = (type: string, id: string): string => `${type}/${id}`;

/** Pending rows selected by a change subset (all of them when there is none). */
async function selectPending(tx: StoreTx, org: number, subset: ChangeSubset | undefined): Promise<DraftRow[]> {
  const pending = await tx.listPending(org);
  if (!subset) return pending;
  const byKey = new Map(pending.map((r) => [key(r.type, r.id), r]));
  const out: DraftRow[] = [];
  const problems: ErrorDetail[] = [];
  for (const [type, refs] of Object.entries(subset)) {
    if (!(POLICY_TYPES as readonly string[]).includes(type)) {
      problems.push({ token: 'invalid_change_subset', message: `change_subset.${type}: not a policy object type (${POLICY_TYPES.join(', ')})` });
      continue;
    }
    for (const [i, ref] of (refs ?? []).entries()) {
      const p = typeof ref?.href === 'string' ? parseHref(ref.href) : undefined;
      if (!p || p.kind !== 'policy' || p.type !== type || p.org !== org) {
        problems.push({ token: 'invalid_change_subset', message: `change_subset.${type}[${i}]: not a ${type} href of org ${org}` });
        continue;
      }
      const row = byKey.get(key(type, p.id));
      if (!row) problems.push({ token: 'no_pending_change', message: `change_subset.${type}[${i}]: ${ref.href} has no pending change` });
      else out.push(row);
    }
  }
  if (problems.length > 0) throw new PalisadeError('invalid', problems);
  return out;
}

/** Verify the active policy after applying `rows` is whole; throws naming every gap. */
async function checkDependencies(tx: StoreTx, org: number, rows: readonly DraftRow[], latest: number): Promise<void> {
  const changing = new Map(rows.map((r) => [key(r.type, r.id), r]));
  const problems: ErrorDetail[] = [];
  const memo = new Map<string, boolean>();
  const existsAfter = async (href: string): Promise<boolean> => {
    const hit = memo.get(href);
    if (hit !== undefined) return hit;
    const found = await existsAfterUncached(href);
    memo.set(href, found);
    return found;
  };
  const existsAfterUncached = async (href: string): Promise<boolean> => {
    const p = parseHref(href);
    if (!p) return true;
    if (p.kind === 'org') return p.type === 'labels' ? (await tx.getLabel(org, Number(p.id))) !== undefined : p.type === 'workloads' ? (await tx.getWorkload(org, p.id)) !== undefined : true;
    const c = changing.get(key(p.type, p.id));
    if (c) return c.data !== null;
    return (await tx.getRevision(org, p.type, p.id, latest)) !== undefined;
  };
  for (const r of rows) {
    const href = policyHref(org, 'draft', r.type, r.id);
    if (r.data !== null) {
      for (const ref of referencesOf(JSON.parse(r.data))) {
        if (!(await existsAfter(ref))) {
          const dep = parseHref(ref);
          const pendingDep = dep?.kind === 'policy' ? (await tx.getDraft(org, dep.type, dep.id))?.change : undefined;
          const how = pendingDep === 'create' ? 'it is only in the draft: provision it too (add it to change_subset)' : 'it does not exist';
          problems.push({ token: 'provision_dependency_missing', message: `${href} references ${ref}, but ${how}` });
        }
      }
    } else {
      for (const user of await tx.revisionsReferencing(org, href, latest)) {
        const c = changing.get(key(user.type, user.id));
        if (c && (c.data === null || !referencesOf(JSON.parse(c.data)).includes(href))) continue;
        problems.push({ token: 'provision_dependency_in_use', message: `${href} is deleted in the draft but active ${policyHref(org, 'draft', user.type, user.id)} still references it: provision that change too` });
      }
    }
  }
  if (problems.length > 0) throw new PalisadeError('invalid', problems);
}

export interface ProvisionResult {
  readonly href: string;
  readonly version: number;
  readonly commit_message: string;
  readonly workloads_affected: number;
  /** `href`: the rule (or other object) the warning is about, when known. */
  readonly warnings: { token: string; message: string; href?: string }[];
}

export async function provision(pce: Pce, p: Principal, input: { update_description: string; change_subset?: ChangeSubset | undefined }): Promise<ProvisionResult> {
  const result = await pce.store.transaction(async (tx) => {
    await tx.lockOrg(p.org);
    const rows = await selectPending(tx, p.org, input.change_subset);
    if (rows.length === 0) throw invalid('nothing_to_provision', 'there are no pending changes to provision');
    const latest = await tx.latestVersion(p.org);
    await checkDependencies(tx, p.org, rows, latest);
    const diags = [];
    // One inventory for the whole provision, loaded only if a SecureConnect rule needs it.
    let inventory: Promise<SecureConnectInventory> | undefined;
    const lazyInventory = (): Promise<SecureConnectInventory> => (inventory ??= loadInventory(tx, p.org, 'draft'));
    for (const r of rows) if (r.type === 'rule_sets' && r.data !== null) diags.push(...(await ruleSetDiagnostics(tx, p.org, JSON.parse(r.data) as Record<string, unknown>, lazyInventory)));
    const errs = errorsOf(diags);
    if (errs.length > 0) throw new PalisadeError('invalid', errs.map((d) => ({ token: d.token, message: `${d.href ?? ''} ${d.path ?? ''}: ${d.message}`.trim() })));

    const version = latest + 1;
    const now = pce.env.now().toISOString();
    // Batched: a provision of thousands of rule sets is a handful of statements, not thousands.
    await tx.closeRevisions(p.org, rows.filter((r) => r.change !== 'create'), version);
    const kept = rows.filter((r): r is DraftRow & { data: string } => r.data !== null);
    await tx.insertRevisions(kept.map((r) => ({ org_id: p.org, type: r.type, id: r.id, since_version: version, until_version: null, data: r.data })));
    await tx.putDrafts(kept.map((r) => ({ ...r, change: null })));
    for (const r of rows) if (r.data === null) await tx.deleteDraftRow(p.org, r.type, r.id);
    const workloadsAffected = await affectedWorkloads(tx, p.org, rows, latest, lazyInventory);
    const changes = rows.map((r) => ({ type: r.type, id: r.id, change: r.change }));
    await tx.insertVersion({ org_id: p.org, version, commit_message: input.update_description, created_at: now, created_by: p.keyId, workloads_affected: workloadsAffected, changes: JSON.stringify(changes) });
    const warnings = warningsOf(diags).map((d) => ({ token: d.token, message: d.message, ...(d.href !== undefined ? { href: d.href } : {}) }));
    await recordEvent(tx, pce.env, p.org, p, 'sec_policy.create', [{ resource: { type: 'sec_policy', href: `/orgs/${p.org}/sec_policy/${version}`, name: input.update_description }, change_type: 'create', after: { version, changes } }], { notifications: warnings });
    return { href: `/orgs/${p.org}/sec_policy/${version}`, version, commit_message: input.update_description, workloads_affected: workloadsAffected, warnings };
  });
  pce.metrics.provisions.inc();
  // Plans are recomputed after commit; agents hear of their new plans as soon as it is done.
  pce.compute.policyProvisioned(p.org).catch((err: unknown) => pce.env.log.error({ err, org: p.org }, 'policy compute after provisioning failed'));
  return result;
}

/** `GET /sec_policy/pending`: an object keyed by type, as Illumio answers it. */
export async function pendingChanges(pce: Pce, org: number): Promise<Record<string, unknown[]>> {
  const rows = await pce.store.read((tx) => tx.listPending(org));
  const out: Record<string, unknown[]> = {};
  for (const r of rows) {
    const list = (out[r.type] ??= []);
    const name = r.data ? (JSON.parse(r.data) as { name?: string }).name : undefined;
    list.push({ href: policyHref(org, 'draft', r.type, r.id), change_type: r.change, ...(name !== undefined ? { name } : {}), updated_at: r.updated_at });
  }
  return out;
}

/** Revert pending changes (all, or a subset) to the active version. */
export async function revertPending(pce: Pce, p: Principal, subset: ChangeSubset | undefined): Promise<number> {
  return pce.store.transaction(async (tx) => {
    await tx.lockOrg(p.org);
    const rows = await selectPending(tx, p.org, subset);
    const latest = await tx.latestVersion(p.org);
    const reverted = new Set(rows.map((r) => key(r.type, r.id)));
    // Reverting a creation must not leave another draft object naming it.
    const problems: ErrorDetail[] = [];
    for (const r of rows.filter((x) => x.change === 'create')) {
      const href = policyHref(p.org, 'draft', r.type, r.id);
      for (const u of await tx.draftReferencing(p.org, href)) {
        if (!reverted.has(key(u.type, u.id))) problems.push({ token: 'revert_dependency', message: `reverting ${href} would leave draft ${policyHref(p.org, 'draft', u.type, u.id)} referencing it: revert that too` });
      }
    }
    if (problems.length > 0) throw new PalisadeError('invalid', problems);
    const now = pce.env.now().toISOString();
    for (const r of rows) {
      if (r.change === 'create') await tx.deleteDraftRow(p.org, r.type, r.id);
      else {
        const rev = await tx.getRevision(p.org, r.type, r.id, latest);
        await tx.putDraft({ org_id: p.org, type: r.type, id: r.id, data: rev?.data ?? null, change: null, updated_at: now, updated_by: p.keyId });
      }
    }
    await recordEvent(tx, pce.env, p.org, p, 'sec_policy.pending.delete', rows.map((r) => ({ resource: { type: r.type, href: policyHref(p.org, 'draft', r.type, r.id) }, change_type: 'delete' as const })));
    return rows.length;
  });
}

export function renderVersion(org: number, v: { version: number; commit_message: string; created_at: string; created_by: string | null; workloads_affected: number; changes: string }): unknown {
  return {
    href: `/orgs/${org}/sec_policy/${v.version}`,
    version: v.version,
    commit_message: v.commit_message,
    created_at: v.created_at,
    created_by: v.created_by ? { key_id: v.created_by } : null,
    workloads_affected: v.workloads_affected,
    object_counts: Object.fromEntries(
      Object.entries((JSON.parse(v.changes) as { type: string }[]).reduce<Record<string, number>>((acc, c) => ({ ...acc, [c.type]: (acc[c.type] ?? 0) + 1 }), {})),
    ),
  };
}

/** Objects that differ between two versions (0 = before the first provision). */
export async function diffVersions(pce: Pce, org: number, from: number, to: number): Promise<unknown[]> {
  return pce.store.read(async (tx) => {
    const out: unknown[] = [];
    for (const type of POLICY_TYPES) {
      const a = new Map((await tx.listRevisions(org, type, from)).map((r) => [r.id, r.data]));
      const b = new Map((await tx.listRevisions(org, type, to)).map((r) => [r.id, r.data]));
      for (const id of new Set([...a.keys(), ...b.keys()])) {
        const before = a.get(id);
        const after = b.get(id);
        if (before === after) continue;
        const change = before === undefined ? 'create' : after === undefined ? 'delete' : 'update';
        out.push({
          href: policyHref(org, to, type, id),
          type,
          change_type: change,
          before: before === undefined ? null : versioned(JSON.parse(before) as unknown, from === 0 ? 'draft' : from),
          after: after === undefined ? null : versioned(JSON.parse(after) as unknown, to),
        });
      }
    }
    return out;
  });
}

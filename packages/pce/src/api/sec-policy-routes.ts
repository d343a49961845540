/** Provisioning, pending changes, versions and their diff, firewall settings. */
import { z } from 'zod';
import { invalid, notFound } from '@palisade/core/errors.ts';
import { FirewallSettingsUpdateSchema } from '@palisade/core/model/firewall-settings.ts';
import { POLICY_TYPES } from '@palisade/core/href.ts';
import type { Pce } from '../pce.ts';
import { updateFirewallSettings } from '../services/orgs.ts';
import { diffVersions, pendingChanges, provision, renderVersion, revertPending } from '../services/provisioning.ts';
import { renderPolicyObject, requireObject, resolveVersion } from '../services/policy-store.ts';
import { draftOnly } from './policy-object-routes.ts';
import type { RouteRegistry } from './route-registry.ts';

const ChangeSubsetSchema = z.object(Object.fromEntries(POLICY_TYPES.map((t) => [t, z.array(z.object({ href: z.string().max(512) })).max(100_000).optional()])));
const ProvisionSchema = z.object({ update_description: z.string().max(4096).default(''), change_subset: ChangeSubsetSchema.optional() });
const RevertSchema = z.object({ change_subset: ChangeSubsetSchema.optional() });

function versionNumber(raw: string | undefined): number {
  if (!raw || !/^(0|[1-9][0-9]{0,9})$/.test(raw)) throw notFound('policy_version_not_found', `"${raw ?? ''}" is not a policy version number`);
  return Number(raw);
}

export function secPolicyRoutes(r: RouteRegistry, pce: Pce): void {
  const tag = 'sec_policy';
  r.add({ method: 'get', path: '/orgs/:org/sec_policy/pending', summary: 'Pending changes, keyed by object type', tag }, async (q) => ({ status: 200, body: await pendingChanges(pce, q.org) }));
  r.add({ method: 'put', path: '/orgs/:org/sec_policy/delete_pending', summary: 'Revert pending changes (all, or change_subset)', tag, role: 'admin', body: RevertSchema }, async (q) => {
    await revertPending(pce, q.principal, q.body.change_subset);
    return { status: 204 };
  });
  r.add({ method: 'post', path: '/orgs/:org/sec_policy', summary: 'Provision the draft (or change_subset) as a new active version', tag, role: 'admin', body: ProvisionSchema }, async (q) => ({
    status: 201,
    body: await provision(pce, q.principal, q.body),
  }));
  r.add({ method: 'get', path: '/orgs/:org/sec_policy', summary: 'List policy versions, newest first', tag, collection: true }, async (q) => {
    const { rows, total } = await pce.store.read((tx) => tx.listVersions(q.org, { limit: q.limit }));
    return { list: rows.map((v) => renderVersion(q.org, v)), total };
  });
  r.add({ method: 'get', path: '/orgs/:org/sec_policy/:version', summary: 'Get one policy version', tag }, async (q) => {
    const n = versionNumber(q.params['version']);
    const v = await pce.store.read((tx) => tx.getVersion(q.org, n));
    if (!v) throw notFound('policy_version_not_found', `policy version ${n} does not exist`);
    return { status: 200, body: renderVersion(q.org, v) };
  });
  r.add({ method: 'get', path: '/orgs/:org/sec_policy/:version/modified_objects', summary: 'Objects changed between compare_to (default: the previous version) and this version', tag, palisade: true }, async (q) => {
    const to = versionNumber(q.params['version']);
    const from = q.query.has('compare_to') ? versionNumber(q.query.get('compare_to') ?? '') : to - 1;
    const latest = await pce.store.read((tx) => tx.latestVersion(q.org));
    if (to > latest || from > latest || to < 1) throw notFound('policy_version_not_found', `versions run from 1 to ${latest}`);
    if (from >= to) throw invalid('invalid_compare_to', 'compare_to must be an older version than the one compared');
    return { status: 200, body: await diffVersions(pce, q.org, from, to) };
  });
  r.add({ method: 'get', path: '/orgs/:org/sec_policy/:pversion/firewall_settings', summary: 'Firewall settings (IKE authentication: psk or certificate, CA identity)', tag: 'firewall_settings' }, async (q) =>
    pce.store.read(async (tx) => {
      const v = await resolveVersion(tx, q.org, q.params['pversion'] ?? '');
      const o = await requireObject(tx, q.org, v, 'firewall_settings', 'firewall_settings');
      const { builtin: _b, ...body } = renderPolicyObject(q.org, v, 'firewall_settings', o);
      return { status: 200, body };
    }),
  );
  r.add({ method: 'put', path: '/orgs/:org/sec_policy/:pversion/firewall_settings', summary: 'Update the draft firewall settings', tag: 'firewall_settings', role: 'owner', body: FirewallSettingsUpdateSchema }, async (q) => {
    draftOnly(q);
    await updateFirewallSettings(pce, q.principal, q.body);
    return { status: 204 };
  });
}

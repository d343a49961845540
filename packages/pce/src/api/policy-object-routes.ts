/** Label groups, IP lists, services and virtual services under /sec_policy/{draft|active|N}/. */
import type { z } from 'zod';
import { invalid } from '@palisade/core/errors.ts';
import { isId } from '@palisade/core/href.ts';
import { LabelGroupCreateSchema, LabelGroupUpdateSchema } from '@palisade/core/model/labels.ts';
import { IpListCreateSchema, IpListUpdateSchema } from '@palisade/core/model/ip-lists.ts';
import { ServiceCreateSchema, ServiceUpdateSchema } from '@palisade/core/model/services.ts';
import { VirtualServiceCreateSchema, VirtualServiceUpdateSchema } from '@palisade/core/model/virtual-services.ts';
import type { Pce } from '../pce.ts';
import { createPolicyObject, deletePolicyObject, updatePolicyObject, type SimplePolicyType } from '../services/policy-objects.ts';
import { listObjects, renderPolicyObject, requireObject, resolveVersion } from '../services/policy-store.ts';
import type { ApiRequest, RouteRegistry } from './route-registry.ts';

const SCHEMAS: Record<SimplePolicyType, { create: z.ZodType; update: z.ZodType; what: string }> = {
  label_groups: { create: LabelGroupCreateSchema, update: LabelGroupUpdateSchema, what: 'label group' },
  ip_lists: { create: IpListCreateSchema, update: IpListUpdateSchema, what: 'IP list' },
  services: { create: ServiceCreateSchema, update: ServiceUpdateSchema, what: 'service' },
  virtual_services: { create: VirtualServiceCreateSchema, update: VirtualServiceUpdateSchema, what: 'virtual service' },
};

export function draftOnly(q: ApiRequest): void {
  if (q.params['pversion'] !== 'draft') throw invalid('policy_version_read_only', `only the draft can be changed; use /orgs/${q.org}/sec_policy/draft/…`);
}

export function objectId(q: ApiRequest, name = 'id'): string {
  const id = q.params[name] ?? '';
  if (!isId(id)) throw invalid('invalid_id', `"${id}" is not an id ([A-Za-z0-9-])`);
  return id;
}

export function policyObjectRoutes(r: RouteRegistry, pce: Pce): void {
  for (const [type, s] of Object.entries(SCHEMAS) as [SimplePolicyType, (typeof SCHEMAS)[SimplePolicyType]][]) {
    const base = `/orgs/:org/sec_policy/:pversion/${type}`;
    const role = type === 'label_groups' ? 'ruleset_manager' : 'admin';
    r.add({ method: 'get', path: base, summary: `List ${s.what}s in a policy version (filter: name)`, tag: type, collection: true }, async (q) =>
      pce.store.read(async (tx) => {
        const v = await resolveVersion(tx, q.org, q.params['pversion'] ?? '');
        const name = q.query.get('name');
        const all = (await listObjects(tx, q.org, v, type)).filter((o) => !name || String(o['name']).toLowerCase().includes(name.toLowerCase()));
        return { list: all.slice(0, q.limit).map((o) => renderPolicyObject(q.org, v, type, o)), total: all.length };
      }),
    );
    r.add({ method: 'post', path: base, summary: `Create a ${s.what} in the draft`, tag: type, role, body: s.create }, async (q) => {
      draftOnly(q);
      const obj = await createPolicyObject(pce, q.principal, type, q.body as Record<string, unknown>);
      return { status: 201, body: renderPolicyObject(q.org, 'draft', type, obj) };
    });
    r.add({ method: 'get', path: `${base}/:id`, summary: `Get a ${s.what}`, tag: type }, async (q) =>
      pce.store.read(async (tx) => {
        const v = await resolveVersion(tx, q.org, q.params['pversion'] ?? '');
        return { status: 200, body: renderPolicyObject(q.org, v, type, await requireObject(tx, q.org, v, type, objectId(q))) };
      }),
    );
    r.add({ method: 'put', path: `${base}/:id`, summary: `Update a ${s.what} in the draft`, tag: type, role, body: s.update }, async (q) => {
      draftOnly(q);
      await updatePolicyObject(pce, q.principal, type, objectId(q), q.body as Record<string, unknown>);
      return { status: 204 };
    });
    r.add({ method: 'delete', path: `${base}/:id`, summary: `Delete a ${s.what} from the draft (409 while referenced)`, tag: type, role }, async (q) => {
      draftOnly(q);
      await deletePolicyObject(pce, q.principal, type, objectId(q));
      return { status: 204 };
    });
  }
}

/** Users and API keys, pairing profiles, events, async jobs, PSK rotation, client probes. */
import { z } from 'zod';
import { invalid, notFound } from '@palisade/core/errors.ts';
import { ApiKeyCreateSchema, UserCreateSchema } from '@palisade/core/model/users.ts';
import { PairingProfileCreateSchema, PairingProfileUpdateSchema } from '@palisade/core/model/pairing-profiles.ts';
import type { Pce } from '../pce.ts';
import { renderEvent } from '../services/events.ts';
import { getJob } from '../services/jobs.ts';
import { completePskRotation, createApiKey, createUser, deleteApiKey, getPskStatus, renderApiKey, renderUser, requireUser, startPskRotation } from '../services/orgs.ts';
import { createProfile, deleteProfile, getProfile, newActivationCode, renderProfile, updateProfile } from '../services/pairing.ts';
import { objectId } from './policy-object-routes.ts';
import type { RouteRegistry } from './route-registry.ts';

const Empty = z.object({});
const CompleteSchema = z.object({ force: z.boolean().default(false) });

function isoParam(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (Number.isNaN(Date.parse(v))) throw invalid('invalid_query', `${name} must be an ISO 8601 timestamp`);
  return new Date(v).toISOString();
}

export function orgRoutes(r: RouteRegistry, pce: Pce): void {
  r.add({ method: 'get', path: '/orgs/:org/settings/workloads', summary: 'Workload settings (probed by clients on connect)', tag: 'settings' }, async (q) => ({
    status: 200,
    body: { href: `/orgs/${q.org}/settings/workloads`, workload_disconnected_timeout_seconds: [{ scope: [], value: 3600 }], workload_goodbye_timeout_seconds: [{ scope: [], value: 900 }] },
  }));

  r.add({ method: 'get', path: '/orgs/:org/users', summary: 'List users', tag: 'users', collection: true, role: 'admin' }, async (q) => {
    const rows = await pce.store.read((tx) => tx.listUsers(q.org));
    return { list: rows.slice(0, q.limit).map(renderUser), total: rows.length };
  });
  r.add({ method: 'post', path: '/orgs/:org/users', summary: 'Create a user with a role', tag: 'users', role: 'admin', body: UserCreateSchema }, async (q) => ({ status: 201, body: renderUser(await createUser(pce, q.principal, q.body)) }));
  r.add({ method: 'get', path: '/users/:user/api_keys', summary: 'List the API keys of a user', tag: 'api_keys', collection: true }, async (q) =>
    pce.store.read(async (tx) => {
      const u = await requireUser(tx, q.principal, q.params['user'] ?? '');
      const keys = await tx.listApiKeys(q.org, u.id);
      return { list: keys.slice(0, q.limit).map(renderApiKey), total: keys.length };
    }),
  );
  r.add({ method: 'post', path: '/users/:user/api_keys', summary: 'Create an API key (the secret is shown once)', tag: 'api_keys', body: ApiKeyCreateSchema }, async (q) => ({
    status: 201,
    body: await createApiKey(pce, q.principal, q.params['user'] ?? '', q.body),
  }));
  r.add({ method: 'delete', path: '/users/:user/api_keys/:key', summary: 'Delete an API key', tag: 'api_keys' }, async (q) => {
    await deleteApiKey(pce, q.principal, q.params['user'] ?? '', objectId(q, 'key'));
    return { status: 204 };
  });

  const pp = '/orgs/:org/pairing_profiles';
  r.add({ method: 'get', path: pp, summary: 'List pairing profiles', tag: 'pairing_profiles', collection: true }, async (q) => {
    const rows = await pce.store.read((tx) => tx.listDocs(q.org, 'pairing_profiles'));
    const all = rows.map((d) => renderProfile(q.org, JSON.parse(d.data) as Parameters<typeof renderProfile>[1]));
    return { list: all.slice(0, q.limit), total: all.length };
  });
  r.add({ method: 'post', path: pp, summary: 'Create a pairing profile', tag: 'pairing_profiles', role: 'admin', body: PairingProfileCreateSchema }, async (q) => ({
    status: 201,
    body: renderProfile(q.org, await createProfile(pce, q.principal, q.body)),
  }));
  r.add({ method: 'get', path: `${pp}/:id`, summary: 'Get a pairing profile', tag: 'pairing_profiles' }, async (q) => ({ status: 200, body: renderProfile(q.org, await getProfile(pce, q.org, objectId(q))) }));
  r.add({ method: 'put', path: `${pp}/:id`, summary: 'Update a pairing profile', tag: 'pairing_profiles', role: 'admin', body: PairingProfileUpdateSchema }, async (q) => {
    await updateProfile(pce, q.principal, objectId(q), q.body);
    return { status: 204 };
  });
  r.add({ method: 'delete', path: `${pp}/:id`, summary: 'Delete a pairing profile', tag: 'pairing_profiles', role: 'admin' }, async (q) => {
    await deleteProfile(pce, q.principal, objectId(q));
    return { status: 204 };
  });
  r.add({ method: 'post', path: `${pp}/:id/pairing_key`, summary: 'Generate a new activation code', tag: 'pairing_profiles', role: 'admin', body: Empty }, async (q) => ({
    status: 201,
    body: await newActivationCode(pce, q.principal, objectId(q)),
  }));

  r.add({ method: 'get', path: '/orgs/:org/events', summary: 'Audit events, newest first (filters: event_type, timestamp[gte], timestamp[lte])', tag: 'events', collection: true }, async (q) => {
    const since = isoParam(q.query, 'timestamp[gte]');
    const until = isoParam(q.query, 'timestamp[lte]');
    const eventType = q.query.get('event_type') ?? undefined;
    const { rows, total } = await pce.store.read((tx) => tx.listEvents(q.org, { ...(since ? { since } : {}), ...(until ? { until } : {}), ...(eventType ? { eventType } : {}), limit: q.limit }));
    return { list: rows.map(renderEvent), total };
  });
  r.add({ method: 'get', path: '/orgs/:org/events/:id', summary: 'Get an event', tag: 'events' }, async (q) => {
    const id = objectId(q);
    const e = /^\d+$/.test(id) ? await pce.store.read((tx) => tx.getEvent(q.org, Number(id))) : undefined;
    if (!e) throw notFound('event_not_found', `no event /orgs/${q.org}/events/${id}`);
    return { status: 200, body: renderEvent(e) };
  });

  r.add({ method: 'get', path: '/orgs/:org/jobs/:id', summary: 'Poll an async job', tag: 'jobs' }, async (q) => ({ status: 200, body: await getJob(pce, q.org, objectId(q)) }));
  r.add({ method: 'get', path: '/orgs/:org/datafiles/:id', summary: 'Download the result of an async job', tag: 'jobs' }, async (q) => {
    const content = await pce.store.read((tx) => tx.getDatafile(q.org, objectId(q)));
    if (content === undefined) throw notFound('datafile_not_found', `no data file ${objectId(q)}`);
    return { status: 200, body: JSON.parse(content) as unknown };
  });

  const psk = '/orgs/:org/secure_connect';
  r.add({ method: 'get', path: `${psk}/psk`, summary: 'SecureConnect PSK status (generation, rotation); never the key', tag: 'secure_connect', palisade: true, role: 'admin' }, async (q) => ({ status: 200, body: await getPskStatus(pce, q.org) }));
  r.add({ method: 'post', path: `${psk}/psk_rotation`, summary: 'Start a PSK rotation (old key accepted until completed)', tag: 'secure_connect', palisade: true, role: 'owner', body: Empty }, async (q) => ({
    status: 201,
    body: await startPskRotation(pce, q.principal),
  }));
  r.add({ method: 'post', path: `${psk}/psk_rotation/complete`, summary: 'Complete a PSK rotation (old key dropped); 409 while a VEN lacks the new key unless {"force": true}', tag: 'secure_connect', palisade: true, role: 'owner', body: CompleteSchema }, async (q) => ({
    status: 200,
    body: await completePskRotation(pce, q.principal, q.body.force),
  }));
}

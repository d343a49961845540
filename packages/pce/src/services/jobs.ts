/**
 * Async collection jobs (`Prefer: respond-async`): the collection is computed in the
 * background into a data file; the client polls the job and downloads the file. Jobs and
 * files live in the store, so any PCE process behind a load balancer can answer the poll.
 */
import type { Pce } from '../pce.ts';
import type { ApiRequest, RegisteredRoute } from '../api/route-registry.ts';
import { notFound } from '@palisade/core/errors.ts';

export async function startCollectionJob(pce: Pce, req: ApiRequest, route: RegisteredRoute): Promise<Response> {
  const { store, env } = pce;
  const id = env.uuid();
  await store.transaction((tx) =>
    tx.insertJob({ org_id: req.org, id, job_type: `${route.spec.path}:get`, status: 'pending', requested_at: env.now().toISOString(), terminated_at: null, datafile_id: null, message: null }),
  );
  setImmediate(() => {
    void runJob(pce, req, route, id);
  });
  return new Response(null, { status: 202, headers: { Location: `/orgs/${req.org}/jobs/${id}`, 'Retry-After': '1' } });
}

async function runJob(pce: Pce, req: ApiRequest, route: RegisteredRoute, id: string): Promise<void> {
  const { store, env } = pce;
  try {
    await store.transaction((tx) => tx.updateJob(req.org, id, { status: 'running' }));
    const result = await route.handler(req);
    const list = 'list' in result ? result.list : 'rawList' in result ? (JSON.parse(result.rawList) as unknown[]) : [];
    const fileId = env.uuid();
    await store.transaction(async (tx) => {
      await tx.insertDatafile(req.org, fileId, JSON.stringify(list), env.now().toISOString());
      await tx.updateJob(req.org, id, { status: 'done', datafile_id: fileId, terminated_at: env.now().toISOString() });
    });
  } catch (err) {
    env.log.warn({ err, job: id }, 'async job failed');
    const message = err instanceof Error ? err.message : String(err);
    await store
      .transaction((tx) => tx.updateJob(req.org, id, { status: 'failed', message, terminated_at: env.now().toISOString() }))
      .catch((e: unknown) => env.log.error({ err: e, job: id }, 'could not record the failure of a job'));
  }
}

export async function getJob(pce: Pce, org: number, id: string): Promise<unknown> {
  const job = await pce.store.read((tx) => tx.getJob(org, id));
  if (!job) throw notFound('job_not_found', `no job ${id} in org ${org}`);
  const result: Record<string, string> = {};
  if (job.datafile_id) result['href'] = `/orgs/${org}/datafiles/${job.datafile_id}`;
  if (job.message) result['message'] = job.message;
  return {
    href: `/orgs/${org}/jobs/${id}`,
    job_type: job.job_type,
    status: job.status,
    requested_at: job.requested_at,
    terminated_at: job.terminated_at,
    result,
  };
}

import type { FastifyInstance } from 'fastify';
import { enqueueSync } from '../../../shared/enqueue-sync.js';
import { NotFoundError } from '../../../shared/errors.js';
import { asRunId, asTenantId, type TenantId } from '../../../shared/ids.js';
import type { Resource } from '../../../shared/resources.js';
import type { SyncMode } from '../../../shared/store/sync-store.js';
import { fingerprint, idempotent } from '../../idempotency.js';
import type { ApiDeps } from '../api-deps.js';
import { errorView, idempotencyHeaders, runIdParams, runsQuery, runsView, runView, syncsBody, syncsView, tenantIdParams } from '../api-schemas.js';
import { HttpError } from '../http-errors.js';
import { addZodRoute } from '../zod-route.js';

const tags = ['syncs'];

export function syncRoutes(app: FastifyInstance, deps: ApiDeps): void {
  addZodRoute(app, {
    method: 'POST',
    url: '/v1/tenants/:tenantId/syncs',
    summary: 'Start a run per resource; an active run of the same (tenant, resource) is returned instead of a new one',
    tags,
    params: tenantIdParams,
    body: syncsBody,
    headers: idempotencyHeaders,
    responses: {
      202: { description: 'queued (or already active) runs', schema: syncsView },
      400: { description: 'bad input', schema: errorView },
      401: { description: 'missing or invalid API key', schema: errorView },
      404: { description: 'unknown tenant', schema: errorView },
      409: { description: 'tenant not active, or Idempotency-Key reused with another body', schema: errorView },
    },
    handler: async ({ params, body, request, reply }) => {
      const tenantId = asTenantId(params.tenantId);
      const { 'idempotency-key': key } = idempotencyHeaders.parse({ 'idempotency-key': request.headers['idempotency-key'] });
      const start = () => startRuns(deps, tenantId, body.resources, body.mode);
      if (key === undefined) return reply.code(202).send({ runs: await start() });
      const idemKey = `${deps.queues.prefixFor(tenantId)}:idem:${tenantId}:${key}`;
      const fp = fingerprint({ resources: [...new Set(body.resources)].sort(), mode: body.mode });
      const { value, replayed } = await idempotent(deps.redis, idemKey, fp, start);
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(202).send({ runs: value });
    },
  });

  addZodRoute(app, {
    method: 'GET',
    url: '/v1/runs/:runId',
    summary: 'A run: status, timings, counters, error and warnings',
    tags: ['runs'],
    params: runIdParams,
    responses: {
      200: { description: 'the run', schema: runView },
      401: { description: 'missing or invalid API key', schema: errorView },
      404: { description: 'unknown run', schema: errorView },
    },
    handler: async ({ params }) => {
      const run = await deps.store.getRun(asRunId(params.runId));
      if (!run) throw new NotFoundError(`run ${params.runId}`);
      return run;
    },
  });

  addZodRoute(app, {
    method: 'GET',
    url: '/v1/tenants/:tenantId/runs',
    summary: "A tenant's runs, most recent first",
    tags: ['runs'],
    params: tenantIdParams,
    querystring: runsQuery,
    responses: {
      200: { description: 'runs', schema: runsView },
      400: { description: 'bad input', schema: errorView },
      401: { description: 'missing or invalid API key', schema: errorView },
      404: { description: 'unknown tenant', schema: errorView },
    },
    handler: async ({ params, query }) => {
      const tenantId = asTenantId(params.tenantId);
      const runs = await deps.store.listRuns({ tenantId, limit: query.limit });
      // Runs kept after the tenant's removal (DELETE without purgeData) stay readable.
      if (runs.length === 0 && !(await deps.store.getTenant(tenantId))) throw new NotFoundError(`tenant ${tenantId}`);
      return { runs };
    },
  });
}

async function startRuns(deps: ApiDeps, tenantId: TenantId, resources: readonly Resource[], mode: SyncMode) {
  const tenant = await deps.store.getTenant(tenantId);
  if (!tenant) throw new NotFoundError(`tenant ${tenantId}`);
  if (tenant.status !== 'active') {
    throw new HttpError(409, 'tenant_not_active', `tenant ${tenantId} is ${tenant.status}: update its credentials (PUT) or verify it first`);
  }
  const runs = await enqueueSync({ store: deps.store, queues: deps.queues }, { tenantId, resources, mode });
  deps.logger.info({ tenantId, runs: runs.map((r) => ({ resource: r.resource, runId: r.runId, created: r.created })) }, 'sync requested');
  return runs;
}

import type { FastifyInstance } from 'fastify';
import { applyWatch, readWatch } from '../../watch.js';
import type { ApiDeps } from '../api-deps.js';
import { errorView, tenantIdParams, watchBody, watchView } from '../api-schemas.js';
import { requireTenant } from '../require-tenant.js';
import { addZodRoute } from '../zod-route.js';

const tags = ['watch'];
const errors = {
  400: { description: 'bad input; `fields` names each bad field', schema: errorView },
  401: { description: 'missing or invalid API key', schema: errorView },
  404: { description: 'unknown tenant', schema: errorView },
};

/** `PUT|GET /v1/tenants/{id}/watch`: the near-real-time System Log watch (flow step 8). */
export function watchRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const watchDeps = { queues: deps.queues, redis: deps.redis, queuePrefix: deps.config.queuePrefix };

  addZodRoute(app, {
    method: 'PUT',
    url: '/v1/tenants/:tenantId/watch',
    summary: "Turn the tenant's System Log watch on (every intervalSeconds, default 15, at least 5) or off",
    tags,
    params: tenantIdParams,
    body: watchBody,
    responses: { 200: { description: 'the watch afterwards', schema: watchView }, ...errors },
    handler: async ({ params, body }) => {
      const tenantId = await requireTenant(deps.store, params.tenantId);
      const watch = await applyWatch(watchDeps, tenantId, body);
      deps.logger.info({ tenantId, enabled: watch.enabled, intervalSeconds: watch.intervalSeconds }, 'watch updated');
      return watch;
    },
  });

  addZodRoute(app, {
    method: 'GET',
    url: '/v1/tenants/:tenantId/watch',
    summary: "The tenant's System Log watch: interval, last poll, lag",
    tags,
    params: tenantIdParams,
    responses: { 200: { description: 'the watch', schema: watchView }, ...errors },
    handler: async ({ params }) => readWatch(watchDeps, await requireTenant(deps.store, params.tenantId)),
  });
}

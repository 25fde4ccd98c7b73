import type { FastifyInstance } from 'fastify';
import type { Resource } from '../../../shared/resources.js';
import { applySchedules, listSchedules, type ScheduleChange } from '../../schedules.js';
import type { ApiDeps } from '../api-deps.js';
import { requireTenant as requireTenantOf } from '../require-tenant.js';
import { errorView, scheduleBody, scheduleView, tenantIdParams } from '../api-schemas.js';
import { addZodRoute } from '../zod-route.js';

const tags = ['schedules'];
const errors = {
  400: { description: 'bad input', schema: errorView },
  401: { description: 'missing or invalid API key', schema: errorView },
  404: { description: 'unknown tenant', schema: errorView },
};

export function scheduleRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const requireTenant = (id: string) => requireTenantOf(deps.store, id);

  addZodRoute(app, {
    method: 'PUT',
    url: '/v1/tenants/:tenantId/schedule',
    summary: 'Set, replace (object) or remove (null) the recurring sync of each resource; resources left out are unchanged',
    tags,
    params: tenantIdParams,
    body: scheduleBody,
    responses: { 200: { description: "the tenant's schedules afterwards", schema: scheduleView }, ...errors },
    handler: async ({ params, body }) => {
      const tenantId = await requireTenant(params.tenantId);
      const changes = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)) as Partial<Record<Resource, ScheduleChange>>;
      const schedules = await applySchedules(deps.queues.forTenant(tenantId), tenantId, changes);
      deps.logger.info({ tenantId, changed: Object.keys(changes) }, 'schedules updated');
      return { schedules };
    },
  });

  addZodRoute(app, {
    method: 'GET',
    url: '/v1/tenants/:tenantId/schedule',
    summary: "The tenant's recurring syncs",
    tags,
    params: tenantIdParams,
    responses: { 200: { description: 'schedules by resource', schema: scheduleView }, ...errors },
    handler: async ({ params }) => {
      const tenantId = await requireTenant(params.tenantId);
      return { schedules: await listSchedules(deps.queues.forTenant(tenantId), tenantId) };
    },
  });
}

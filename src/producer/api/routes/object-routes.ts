import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../../shared/errors.js';
import { asTenantId } from '../../../shared/ids.js';
import { RESOURCE_OBJECT_TYPE } from '../../../shared/resources.js';
import type { ObjectType } from '../../../shared/store/sync-store.js';
import type { ApiDeps } from '../api-deps.js';
import { errorView, type OBJECT_RESOURCES, objectsParams, objectsQuery, objectsView } from '../api-schemas.js';
import { addZodRoute } from '../zod-route.js';

const OBJECT_TYPE: Readonly<Record<(typeof OBJECT_RESOURCES)[number], ObjectType>> = { ...RESOURCE_OBJECT_TYPE, app_users: 'app_user' };

export function objectRoutes(app: FastifyInstance, deps: ApiDeps): void {
  addZodRoute(app, {
    method: 'GET',
    url: '/v1/tenants/:tenantId/objects/:resource',
    summary: 'Synced objects of one resource, in pages: pass `next` as `after` until it is null (kept data of a removed tenant too)',
    tags: ['objects'],
    params: objectsParams,
    querystring: objectsQuery,
    responses: {
      200: { description: 'one page', schema: objectsView },
      400: { description: 'bad input (unknown resource, limit out of 1..1000, bad cursor)', schema: errorView },
      401: { description: 'missing or invalid API key', schema: errorView },
      404: { description: 'unknown tenant', schema: errorView },
    },
    handler: async ({ params, query }) => {
      const tenantId = asTenantId(params.tenantId);
      const page = await deps.store.listObjects({
        tenantId,
        type: OBJECT_TYPE[params.resource],
        limit: query.limit,
        ...(query.after === undefined ? {} : { after: query.after }),
        includeDeleted: query.includeDeleted === 'true',
      });
      // Data kept after the tenant's removal (DELETE without purgeData) stays readable.
      if (page.items.length === 0 && query.after === undefined && !(await deps.store.getTenant(tenantId))) {
        throw new NotFoundError(`tenant ${tenantId}`);
      }
      return page;
    },
  });
}

import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../../shared/errors.js';
import { asTenantId } from '../../../shared/ids.js';
import type { ApiDeps } from '../api-deps.js';
import { changesQuery, changesView, errorView, expiredView, tenantIdParams } from '../api-schemas.js';
import { addZodRoute } from '../zod-route.js';

/** `GET /v1/tenants/{tenantId}/changes`: the tenant's change feed (DESIGN.md flow step 6). */
export function changeRoutes(app: FastifyInstance, deps: ApiDeps): void {
  addZodRoute(app, {
    method: 'GET',
    url: '/v1/tenants/:tenantId/changes',
    summary:
      'What changed, in commit order: one entry per object created, changed or deleted. Pass `next` as `after` to resume; ' +
      '`next` is returned also when nothing is new, so poll with it',
    tags: ['changes'],
    params: tenantIdParams,
    querystring: changesQuery,
    responses: {
      200: { description: 'entries after `after` (none when caught up)', schema: changesView },
      400: { description: 'bad input (limit out of 1..1000, bad or unknown cursor, unknown type)', schema: errorView },
      401: { description: 'missing or invalid API key', schema: errorView },
      404: { description: 'unknown tenant', schema: errorView },
      410: {
        description: '`cursor_expired`: entries after the cursor are past retention; re-read /objects, then read changes after `error.restartCursor`',
        schema: expiredView,
      },
    },
    handler: async ({ params, query }) => {
      const tenantId = asTenantId(params.tenantId);
      const page = await deps.store.readChanges({
        tenantId,
        limit: query.limit,
        ...(query.after === undefined ? {} : { after: query.after }),
        ...(query.types === undefined ? {} : { types: query.types }),
      });
      // A removed tenant's retained feed stays readable, like its objects.
      if (page.items.length === 0 && query.after === undefined && !(await deps.store.getTenant(tenantId))) {
        throw new NotFoundError(`tenant ${tenantId}`);
      }
      return page;
    },
  });
}

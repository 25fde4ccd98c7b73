import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../../../shared/errors.js';
import { asTenantId } from '../../../shared/ids.js';
import { removeTenant } from '../../remove-tenant.js';
import { uninstallEventHook } from '../../event-hooks/uninstall-event-hook.js';
import { publicTenant, putTenant } from '../../tenant-service.js';
import { verifyTenant } from '../../verify-tenant.js';
import { readWatch } from '../../watch.js';
import { eventHookView } from '../../event-hooks/event-hook-view.js';
import { type ApiDeps, defined, domainPolicyOf } from '../api-deps.js';
import { deleteQuery, errorView, tenantBody, tenantIdParams, tenantView, verifyView } from '../api-schemas.js';
import { addZodRoute } from '../zod-route.js';

const tags = ['tenants'];
const errors = {
  400: { description: 'bad input; `fields` names each bad field', schema: errorView },
  401: { description: 'missing or invalid API key', schema: errorView },
  404: { description: 'unknown tenant', schema: errorView },
};

export function tenantRoutes(app: FastifyInstance, deps: ApiDeps): void {
  addZodRoute(app, {
    method: 'PUT',
    url: '/v1/tenants/:tenantId',
    summary: 'Register or update a tenant (its Okta org and the integration credentials)',
    tags,
    params: tenantIdParams,
    body: tenantBody,
    responses: {
      200: { description: 'updated', schema: tenantView },
      201: { description: 'created', schema: tenantView },
      ...errors,
      409: { description: '`tenant_org_changed`: the id holds data of another Okta org; remove it with purgeData first', schema: errorView },
    },
    handler: async ({ params, body, reply }) => {
      const tenantId = asTenantId(params.tenantId);
      const result = await putTenant(
        { store: deps.store, keyring: deps.keyring, domainPolicy: domainPolicyOf(deps.config) },
        { tenantId, ...defined(body) },
      );
      deps.logger.info({ tenantId, created: result.created, method: result.tenant.auth.method }, 'tenant saved');
      if (result.created) reply.code(201).header('location', `/v1/tenants/${tenantId}`);
      return result.tenant;
    },
  });

  addZodRoute(app, {
    method: 'GET',
    url: '/v1/tenants/:tenantId',
    summary: 'A tenant, without its secret',
    tags,
    params: tenantIdParams,
    responses: { 200: { description: 'the tenant', schema: tenantView }, ...errors },
    handler: async ({ params }) => {
      const tenant = await deps.store.getTenant(asTenantId(params.tenantId));
      if (!tenant) throw new NotFoundError(`tenant ${params.tenantId}`);
      const watch = await readWatch({ queues: deps.queues, redis: deps.redis, queuePrefix: deps.config.queuePrefix }, tenant.tenantId);
      return { ...publicTenant(tenant), watch, eventHook: eventHookView(await deps.store.getEventHook(tenant.tenantId)) };
    },
  });

  addZodRoute(app, {
    method: 'DELETE',
    url: '/v1/tenants/:tenantId',
    summary: 'Remove a tenant: its schedules, pending jobs, cached tokens and its Event Hook in the org; its data too with purgeData=true',
    tags,
    params: tenantIdParams,
    querystring: deleteQuery,
    responses: { 204: { description: 'removed' }, ...errors },
    handler: async ({ params, query, reply }) => {
      await removeTenant(
        {
          store: deps.store,
          queues: deps.queues,
          redis: deps.redis,
          logger: deps.logger,
          uninstallHook: (tenantId) =>
            uninstallEventHook({ store: deps.store, keyring: deps.keyring, domainPolicy: domainPolicyOf(deps.config), http: deps.oktaHttp }, tenantId),
        },
        asTenantId(params.tenantId),
        { purgeData: query.purgeData === 'true' },
      );
      return reply.code(204).send();
    },
  });

  addZodRoute(app, {
    method: 'POST',
    url: '/v1/tenants/:tenantId/verify',
    summary: 'Request a token and read one item of each resource: granted scopes and what is readable',
    tags,
    params: tenantIdParams,
    responses: { 200: { description: 'the report (ok=false says what is wrong)', schema: verifyView }, ...errors },
    handler: async ({ params }) => {
      const report = await verifyTenant(
        { store: deps.store, keyring: deps.keyring, domainPolicy: domainPolicyOf(deps.config), http: deps.oktaHttp },
        asTenantId(params.tenantId),
      );
      deps.logger.info({ tenantId: report.tenantId, ok: report.ok, status: report.status, error: report.error?.code }, 'tenant verified');
      return report;
    },
  });
}

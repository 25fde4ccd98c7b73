import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../../shared/errors.js';
import { WEBHOOK_EVENTS, type WebhookRecord } from '../../../shared/store/sync-store.js';
import { checkWebhookUrl } from '../../../shared/webhooks/address-policy.js';
import { webhookSecretContext } from '../../../shared/webhooks/webhook-secret.js';
import type { ApiDeps } from '../api-deps.js';
import { requireTenant as requireTenantOf } from '../require-tenant.js';
import { errorView, tenantIdParams } from '../api-schemas.js';
import { addZodRoute } from '../zod-route.js';

const tags = ['webhooks'];
const errors = {
  400: { description: 'bad input', schema: errorView },
  401: { description: 'missing or invalid API key', schema: errorView },
  404: { description: 'unknown tenant, or no webhook', schema: errorView },
};

const webhookBody = z
  .object({
    url: z.string().min(1).max(2048).describe('https URL of the receiver (public address, or allowed by OKTA_SYNC_WEBHOOK_ALLOW)'),
    secret: z.string().min(16, 'must be at least 16 characters').max(256).describe('HMAC-SHA256 signing key; stored encrypted, never returned'),
    events: z
      .array(z.enum(WEBHOOK_EVENTS, { error: `must be one of ${WEBHOOK_EVENTS.join(', ')}` }))
      .min(1)
      .max(WEBHOOK_EVENTS.length)
      .refine((events) => new Set(events).size === events.length, 'must not repeat an event'),
  })
  .strict();

/** A webhook as the API shows it: everything but the secret. */
const webhookView = z.object({
  tenantId: z.string(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  createdAt: z.string(),
  updatedAt: z.string(),
});

function view(w: WebhookRecord): z.infer<typeof webhookView> {
  return { tenantId: w.tenantId, url: w.url, events: w.events, createdAt: w.createdAt, updatedAt: w.updatedAt };
}

/** PUT/GET/DELETE /v1/tenants/{tenantId}/webhook: outgoing notifications (DESIGN.md flow step 7). */
export function webhookRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const policy = { allowInsecureLoopback: deps.config.allowInsecureLoopback, allow: deps.config.webhookAllow };
  const requireTenant = (id: string) => requireTenantOf(deps.store, id);

  addZodRoute(app, {
    method: 'PUT',
    url: '/v1/tenants/:tenantId/webhook',
    summary: 'Set or replace the tenant\'s webhook: signed POSTs on run.finished and objects.changed',
    tags,
    params: tenantIdParams,
    body: webhookBody,
    responses: {
      200: { description: 'replaced; the webhook (without its secret)', schema: webhookView },
      201: { description: 'created; the webhook (without its secret)', schema: webhookView },
      ...errors,
    },
    handler: async ({ params, body, reply }) => {
      const tenantId = await requireTenant(params.tenantId);
      // Only what is knowable without DNS; every delivery checks the resolved addresses again.
      const check = checkWebhookUrl(body.url, policy);
      if (!check.ok) throw new ValidationError(`url ${check.reason}`, { url: check.reason });
      const at = new Date().toISOString();
      const record: WebhookRecord = {
        tenantId,
        url: check.url.href,
        secret: deps.keyring.encrypt(body.secret, webhookSecretContext(tenantId)),
        events: body.events,
        createdAt: at,
        updatedAt: at,
      };
      const { created } = await deps.store.putWebhook(record);
      deps.logger.info({ tenantId, host: check.url.host, events: body.events, created }, 'webhook set');
      const stored = await deps.store.getWebhook(tenantId);
      reply.code(created ? 201 : 200);
      return view(stored ?? record);
    },
  });

  addZodRoute(app, {
    method: 'GET',
    url: '/v1/tenants/:tenantId/webhook',
    summary: "The tenant's webhook, without its secret",
    tags,
    params: tenantIdParams,
    responses: { 200: { description: 'the webhook', schema: webhookView }, ...errors },
    handler: async ({ params }) => {
      const webhook = await deps.store.getWebhook(await requireTenant(params.tenantId));
      if (!webhook) throw new NotFoundError(`webhook of tenant ${params.tenantId}`);
      return view(webhook);
    },
  });

  addZodRoute(app, {
    method: 'DELETE',
    url: '/v1/tenants/:tenantId/webhook',
    summary: 'Remove the tenant\'s webhook; deliveries already queued are dropped when they run',
    tags,
    params: tenantIdParams,
    responses: { 204: { description: 'removed' }, ...errors },
    handler: async ({ params, reply }) => {
      const tenantId = await requireTenant(params.tenantId);
      if (!(await deps.store.deleteWebhook(tenantId))) throw new NotFoundError(`webhook of tenant ${tenantId}`);
      deps.logger.info({ tenantId }, 'webhook removed');
      return reply.code(204).send();
    },
  });
}

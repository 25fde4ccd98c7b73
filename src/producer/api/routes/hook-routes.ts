import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { enqueueEvents } from '../../../shared/enqueue-events.js';
import { ValidationError } from '../../../shared/errors.js';
import { asTenantId, TENANT_ID_PATTERN, type TenantId } from '../../../shared/ids.js';
import { changeEventOf } from '../../../shared/change-event-of.js';
import type { ChangeEvent } from '../../../shared/jobs.js';
import { isHookEventType } from '../../../shared/okta/event-hook-types.js';
import { NO_HOOK_METRICS } from '../../../shared/telemetry/hook-metrics.js';
import { eventHookSecretContext, HOOK_AUTH_HEADER, secretMatches } from '../../event-hooks/event-hook-secret.js';
import type { ApiDeps } from '../api-deps.js';
import { errorView } from '../api-schemas.js';
import { addZodRoute } from '../zod-route.js';

const tags = ['event hooks'];
const ROUTE = '/v1/hooks/okta/:tenantId';

/** How long an event uuid is remembered: Okta's duplicates and its one retry come within seconds. */
export const HOOK_DEDUPE_TTL_SECONDS = 3600;

/** Events one delivery may carry (Okta batches far fewer; the 1 MiB body limit applies too). */
export const MAX_EVENTS_PER_DELIVERY = 1000;

const params = z.object({ tenantId: z.string().max(64) });
const deliveryBody = z.object({
  eventType: z.string().max(200).optional(),
  data: z.object({ events: z.array(z.unknown()).max(MAX_EVENTS_PER_DELIVERY) }),
});
const deliveryView = z.object({ received: z.number(), queued: z.number(), duplicates: z.number(), ignored: z.number() });

const refused = (reply: FastifyReply) =>
  reply.code(401).type('application/json; charset=utf-8').send({ error: { code: 'unauthorized', message: 'missing or invalid event hook secret' } });

/**
 * The Okta Event Hook receiver (DESIGN.md flow step 8), not behind the API key: Okta presents the
 * tenant's own secret in the auth header chosen at install. `GET` answers Okta's one-time
 * verification for a tenant with a hook (being) installed. `POST` is a delivery: the secret is
 * checked (constant time) before the body is even read, so a forged delivery costs a store read
 * and queues nothing; events are deduped on `uuid` (Redis `SET NX` with a TTL), queued as one
 * `events` job whose id digests the uuids, and answered at once (Okta waits 3 s).
 */
export function hookRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const metrics = deps.hookMetrics ?? NO_HOOK_METRICS;
  const authenticated = new WeakMap<FastifyRequest, TenantId>();

  app.register(async (scope) => {
    scope.addHook('onRequest', async (request, reply) => {
      if (request.method !== 'POST') return;
      const tenantId = await authenticate(deps, (request.params as { tenantId?: string }).tenantId, request.headers[HOOK_AUTH_HEADER]);
      if (!tenantId) {
        metrics.delivery('refused');
        request.log.info({ route: ROUTE }, 'event hook delivery refused');
        return refused(reply);
      }
      authenticated.set(request, tenantId);
    });

    addZodRoute(scope, {
      method: 'GET',
      url: ROUTE,
      summary: "Okta's Event Hook verification: echoes x-okta-verification-challenge",
      tags,
      auth: false,
      params,
      responses: {
        200: { description: 'the challenge, as `{"verification": …}`', schema: z.object({ verification: z.string() }) },
        400: { description: 'no challenge header', schema: errorView },
        404: { description: 'no event hook for this tenant', schema: errorView },
      },
      handler: async ({ params: p, request, reply }) => {
        const challenge = request.headers['x-okta-verification-challenge'];
        const hook = TENANT_ID_PATTERN.test(p.tenantId) ? await deps.store.getEventHook(asTenantId(p.tenantId)) : undefined;
        if (!hook) return reply.code(404).send({ error: { code: 'not_found', message: 'no event hook for this tenant' } });
        if (typeof challenge !== 'string' || challenge === '' || challenge.length > 1024) {
          throw new ValidationError('x-okta-verification-challenge header is required', { 'x-okta-verification-challenge': 'required' });
        }
        request.log.info({ tenantId: hook.tenantId }, 'event hook verification answered');
        return { verification: challenge };
      },
    });

    addZodRoute(scope, {
      method: 'POST',
      url: ROUTE,
      summary: "An Okta Event Hook delivery (authenticated by the tenant's hook secret, not the API key)",
      tags,
      auth: false,
      params,
      body: deliveryBody,
      responses: {
        200: { description: 'received; new events queued for targeted refreshes', schema: deliveryView },
        400: { description: 'not an event hook request', schema: errorView },
        401: { description: 'missing or wrong secret, or no event hook for this tenant', schema: errorView },
        413: { description: 'body over 1 MiB', schema: errorView },
      },
      handler: async ({ request }) => {
        const tenantId = authenticated.get(request);
        if (!tenantId) throw new Error('event hook delivery reached its handler unauthenticated');
        return receive(deps, tenantId, request);
      },
    });
  });
  // A body that fails validation after authentication counts as invalid.
  app.addHook('onResponse', async (request, reply) => {
    if (request.routeOptions.url === ROUTE && request.method === 'POST' && reply.statusCode === 400) metrics.delivery('invalid');
  });
}

/** The tenant whose hook secret the request presents, or undefined (unknown tenant, no hook, wrong secret alike). */
async function authenticate(deps: ApiDeps, id: string | undefined, presented: string | string[] | undefined): Promise<TenantId | undefined> {
  if (id === undefined || !TENANT_ID_PATTERN.test(id) || typeof presented !== 'string') return undefined;
  const tenantId = asTenantId(id);
  const hook = await deps.store.getEventHook(tenantId);
  if (!hook) return undefined;
  let secret: string;
  try {
    secret = deps.keyring.decrypt(hook.secret, eventHookSecretContext(tenantId));
  } catch {
    return undefined;
  }
  return secretMatches(presented, secret) ? tenantId : undefined;
}

async function receive(deps: ApiDeps, tenantId: TenantId, request: FastifyRequest): Promise<z.infer<typeof deliveryView>> {
  const metrics = deps.hookMetrics ?? NO_HOOK_METRICS;
  const { data } = deliveryBody.parse(request.body);
  const valid: ChangeEvent[] = [];
  let invalid = 0;
  let ignored = 0;
  for (const raw of data.events) {
    const event = changeEventOf(raw);
    if (!event) invalid++;
    else if (!isHookEventType(event.eventType)) ignored++;
    else if (!valid.some((e) => e.uuid === event.uuid)) valid.push(event);
  }
  const fresh = await firstSightings(deps, tenantId, valid);
  if (fresh.length > 0) {
    try {
      await enqueueEvents(deps.queues, tenantId, 'hook', fresh);
    } catch (error) {
      // Forget them again, so Okta's retry of this failed (5xx) delivery is not taken for a duplicate.
      await forget(deps, tenantId, fresh).catch(() => undefined);
      throw error;
    }
  }
  const duplicates = valid.length - fresh.length;
  metrics.delivery('accepted');
  metrics.events('queued', fresh.length);
  metrics.events('duplicate', duplicates);
  metrics.events('ignored', ignored);
  metrics.events('invalid', invalid);
  request.log.info({ tenantId, received: data.events.length, queued: fresh.length, duplicates, ignored, invalid }, 'event hook delivery');
  return { received: data.events.length, queued: fresh.length, duplicates, ignored: ignored + invalid };
}

const seenKey = (deps: ApiDeps, tenantId: TenantId, uuid: string) => `${deps.queues.prefixFor(tenantId)}:hook-seen:${tenantId}:${uuid}`;

/** The events whose uuid this call is the first to record (one `SET NX EX` each, in one pipeline). */
async function firstSightings(deps: ApiDeps, tenantId: TenantId, events: readonly ChangeEvent[]): Promise<ChangeEvent[]> {
  if (events.length === 0) return [];
  const pipeline = deps.redis.pipeline();
  for (const e of events) pipeline.set(seenKey(deps, tenantId, e.uuid), '1', 'EX', HOOK_DEDUPE_TTL_SECONDS, 'NX');
  const results = (await pipeline.exec()) ?? [];
  const fresh: ChangeEvent[] = [];
  events.forEach((e, i) => {
    const [error, answer] = results[i] ?? [new Error('no answer'), null];
    if (error) throw error;
    if (answer === 'OK') fresh.push(e);
  });
  return fresh;
}

async function forget(deps: ApiDeps, tenantId: TenantId, events: readonly ChangeEvent[]): Promise<void> {
  const pipeline = deps.redis.pipeline();
  for (const e of events) pipeline.del(seenKey(deps, tenantId, e.uuid));
  await pipeline.exec();
}

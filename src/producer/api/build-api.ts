import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { registerAuth } from './api-auth.js';
import type { ApiDeps } from './api-deps.js';
import { createApiKeys } from './api-keys.js';
import { createAuthThrottle } from './auth-throttle.js';
import { createBrowserSessions } from './browser-sessions.js';
import { clientErrorHandler, frameworkErrors } from './framework-errors.js';
import { toHttpError } from './http-errors.js';
import { changeRoutes } from './routes/change-routes.js';
import { connectLinkRoutes, connectPageRoutes } from './routes/connect-routes.js';
import { setSecurityHeaders } from './security-headers.js';
import { healthRoutes } from './routes/health-routes.js';
import { hookRoutes } from './routes/hook-routes.js';
import { objectRoutes } from './routes/object-routes.js';
import { scheduleRoutes } from './routes/schedule-routes.js';
import { watchRoutes } from './routes/watch-routes.js';
import { syncRoutes } from './routes/sync-routes.js';
import { tenantRoutes } from './routes/tenant-routes.js';
import { webhookRoutes } from './routes/webhook-routes.js';

/** Request bodies above 1 MiB are refused with 413 before they are parsed. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * The producer HTTP API (DESIGN.md "HTTP API"). Builds the fastify instance only; listening and
 * closing the dependencies is the caller's job (`start-api.ts`, or a test with `app.inject`).
 */
export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Fastify's request lines carry the raw URL (`?key=`); ours log the route pattern instead.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    return503OnClosing: true,
    frameworkErrors,
    clientErrorHandler,
    trustProxy: deps.config.trustProxy,
  });
  // zod validates inside each route (see zod-route.ts); the JSON Schemas are for the document only.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, body } = toHttpError(error);
    // Only our own message and code for 4xx: fastify's messages can quote the request body.
    if (status >= 500) request.log.error({ err: { type: error.name, code: error.code, message: error.message, stack: error.stack } }, 'request failed');
    else request.log.debug({ code: body.error.code, status }, 'request refused');
    if (status === 401) reply.header('www-authenticate', 'Bearer realm="okta-sync"');
    return reply.code(status).type('application/json; charset=utf-8').send(body);
  });
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).type('application/json; charset=utf-8').send({ error: { code: 'not_found', message: 'no such route' } }),
  );
  app.addHook('onSend', async (request, reply) => {
    setSecurityHeaders(reply);
    if (request.url.startsWith('/v1/')) reply.header('cache-control', 'no-store');
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    const quiet = route === '/healthz' || route === '/readyz' || route === '/metrics' || route?.startsWith('/admin/queues/') || route?.startsWith('/docs/');
    const line = { method: request.method, route: route ?? '(no route)', status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (quiet) request.log.debug(line, 'request');
    else request.log.info(line, 'request');
  });

  const keys = createApiKeys(deps.config.apiKeys);
  registerAuth(app, {
    keys,
    sessions: createBrowserSessions(deps.redis, deps.config.queuePrefix, keys),
    throttle: deps.authThrottle ?? createAuthThrottle(),
  });
  app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'okta-sync producer API',
        version: '1',
        description: 'Register tenants (customer Okta orgs), start and schedule syncs, read runs and synced objects.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a key from OKTA_SYNC_API_KEYS' } } },
      security: [{ bearer: [] }],
    },
  });
  app.register(swaggerUi, { routePrefix: '/docs' });
  app.register(async (api) => {
    healthRoutes(api, deps);
    tenantRoutes(api, deps);
    syncRoutes(api, deps);
    scheduleRoutes(api, deps);
    watchRoutes(api, deps);
    objectRoutes(api, deps);
    webhookRoutes(api, deps);
    hookRoutes(api, deps);
    changeRoutes(api, deps);
    connectLinkRoutes(api, deps);
    connectPageRoutes(api, deps);
  });
  app.register(bullBoard(deps), { prefix: '/admin/queues' });
  return app;
}

/**
 * Bull Board at /admin/queues: read-only unless OKTA_SYNC_ADMIN_WRITE=true. A job added or edited
 * there runs with whatever tenantId it names, so writes are refused twice: Bull Board's own
 * readOnlyMode (405 from its API) and, in front of it, every method but GET/HEAD answered 405 here.
 */
function bullBoard(deps: ApiDeps) {
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/admin/queues');
  const readOnly = !deps.config.adminWrite;
  createBullBoard({
    // One entry per queue shard: `sync` unsharded, else `shard0-sync` … (display "sync (shard 0)").
    queues: [
      ...deps.queues.queues.map((queue, i) =>
        deps.queues.count === 1
          ? new BullMQAdapter(queue, { readOnlyMode: readOnly })
          : new BullMQAdapter(queue, { readOnlyMode: readOnly, prefix: `shard${i}-`, displayName: `${queue.name} (shard ${i})` }),
      ),
      // Outgoing webhook deliveries (their retries and failures are what an operator looks for).
      ...(deps.webhookQueue ? [new BullMQAdapter(deps.webhookQueue, { readOnlyMode: readOnly })] : []),
    ],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'okta-sync' } },
  });
  const plugin = serverAdapter.registerPlugin();
  return async (board: FastifyInstance) => {
    if (readOnly) {
      board.addHook('onRequest', async (request, reply) => {
        if (request.method === 'GET' || request.method === 'HEAD') return;
        return reply
          .code(405)
          .header('allow', 'GET, HEAD')
          .type('application/json; charset=utf-8')
          .send({ error: { code: 'read_only', message: 'Bull Board is read-only (set OKTA_SYNC_ADMIN_WRITE=true to allow changes)' } });
      });
    }
    await board.register(plugin);
  };
}

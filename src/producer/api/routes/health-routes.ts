import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ApiDeps } from '../api-deps.js';
import { errorView } from '../api-schemas.js';
import { addZodRoute } from '../zod-route.js';

/** A readiness probe that hangs is a failed probe. */
const READY_TIMEOUT_MS = 2_000;

export function healthRoutes(app: FastifyInstance, deps: ApiDeps): void {
  addZodRoute(app, {
    method: 'GET',
    url: '/healthz',
    summary: 'Liveness: the process answers (no auth)',
    tags: ['health'],
    auth: false,
    responses: { 200: { description: 'alive', schema: z.object({ status: z.literal('ok') }) } },
    handler: async () => ({ status: 'ok' }),
  });

  addZodRoute(app, {
    method: 'GET',
    url: '/readyz',
    summary: 'Readiness: Redis and the store answer (no auth)',
    tags: ['health'],
    auth: false,
    responses: {
      200: { description: 'ready', schema: z.object({ status: z.literal('ready') }) },
      503: { description: 'Redis or the store is unavailable', schema: errorView },
    },
    handler: async ({ reply }) => {
      if (await isReady(deps)) return { status: 'ready' };
      return reply.code(503).send({ error: { code: 'not_ready', message: 'Redis or the store is unavailable' } });
    },
  });

  addZodRoute(app, {
    method: 'GET',
    url: '/metrics',
    summary: 'Prometheus metrics of this process (bearer key; METRICS_PORT serves them without one)',
    tags: ['health'],
    responses: { 200: { description: 'Prometheus text format' } },
    handler: async ({ reply }) => reply.type('text/plain; version=0.0.4; charset=utf-8').send(await deps.metricsText()),
  });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

async function isReady(deps: ApiDeps): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([deps.ready().catch(() => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

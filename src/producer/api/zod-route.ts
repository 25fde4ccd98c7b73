import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/**
 * Routes are declared with zod schemas: zod validates (so every 400 has the same shape, with
 * field paths) and the same schemas become the route's JSON Schema for the OpenAPI document.
 * Fastify's own validator and serializer are switched off in `build-api.ts`.
 */
export interface ZodRoute<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  method: 'GET' | 'PUT' | 'POST' | 'DELETE';
  url: string;
  summary: string;
  tags: readonly string[];
  /** Default true: requires the bearer key (see `api-auth.ts`). */
  auth?: boolean;
  params?: P;
  querystring?: Q;
  body?: B;
  headers?: z.ZodType;
  /** Status → description and (optional) body schema, for the document only. */
  responses: Readonly<Record<number, { description: string; schema?: z.ZodType }>>;
  handler(input: RouteInput<P, Q, B>): Promise<unknown>;
}

export interface RouteInput<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  params: z.output<P>;
  query: z.output<Q>;
  body: z.output<B>;
  request: FastifyRequest;
  reply: FastifyReply;
}

const none = z.undefined();
type None = typeof none;

export function addZodRoute<P extends z.ZodType = None, Q extends z.ZodType = None, B extends z.ZodType = None>(
  app: FastifyInstance,
  spec: ZodRoute<P, Q, B>,
): void {
  const response = Object.fromEntries(
    Object.entries(spec.responses).map(([status, r]) => [status, { description: r.description, ...(r.schema ? jsonSchema(r.schema, 'output') : {}) }]),
  );
  app.route({
    method: spec.method,
    url: spec.url,
    schema: {
      summary: spec.summary,
      tags: [...spec.tags],
      ...(spec.auth === false ? { security: [] } : {}),
      ...(spec.params ? { params: jsonSchema(spec.params, 'input') } : {}),
      ...(spec.querystring ? { querystring: jsonSchema(spec.querystring, 'input') } : {}),
      ...(spec.body ? { body: jsonSchema(spec.body, 'input') } : {}),
      ...(spec.headers ? { headers: jsonSchema(spec.headers, 'input') } : {}),
      response,
    },
    handler: async (request, reply) => {
      const params = (spec.params ?? none).parse(spec.params ? request.params : undefined) as z.output<P>;
      const query = (spec.querystring ?? none).parse(spec.querystring ? request.query : undefined) as z.output<Q>;
      const body = (spec.body ?? none).parse(spec.body ? (request.body ?? {}) : undefined) as z.output<B>;
      return spec.handler({ params, query, body, request, reply });
    },
  });
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, target: 'openapi-3.0', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

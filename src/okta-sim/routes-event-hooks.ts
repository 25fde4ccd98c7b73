import { type EventHookRegistry, HookInputError, hookView, verificationChallenge } from './event-hooks.js';
import type { HookDeliverer } from './hook-delivery.js';
import { type Reply, emptyReply, jsonReply, oktaError } from './reply.js';

/** What the Event Hooks API needs from its org. */
export interface EventHookRouteDeps {
  baseUrl: string;
  registry: EventHookRegistry;
  deliverer: HookDeliverer;
}

/** One matched `/api/v1/eventHooks…` request: the scope it needs and how to answer it. */
export interface EventHookRoute {
  scope: string;
  handle(deps: EventHookRouteDeps, body: string, nowMs: number): Promise<Reply>;
}

const READ = 'okta.eventHooks.read';
const MANAGE = 'okta.eventHooks.manage';

/** True for every path of the Event Hooks API (served beside the read-only routes of api-routes.ts). */
export function isEventHookPath(pathname: string): boolean {
  return pathname === '/api/v1/eventHooks' || pathname.startsWith('/api/v1/eventHooks/');
}

/**
 * `GET|POST /api/v1/eventHooks`, `GET|DELETE /api/v1/eventHooks/{id}`, `POST
 * /api/v1/eventHooks/{id}/lifecycle/verify|activate|deactivate`. Reads need `okta.eventHooks.read`,
 * changes `okta.eventHooks.manage` (which implies read). Undefined: a path or method not served.
 */
export function matchEventHookRoute(method: string, pathname: string): EventHookRoute | undefined {
  const parts = pathname.split('/').filter((s) => s !== '').slice(3);
  const id = parts[0] === undefined ? undefined : safeDecode(parts[0]);
  if (parts.length === 0) {
    if (method === 'GET') return { scope: READ, handle: async (d) => jsonReply(200, d.registry.list().map((h) => hookView(h, d.baseUrl))) };
    if (method === 'POST') return { scope: MANAGE, handle: create };
    return undefined;
  }
  if (id === undefined) return undefined;
  if (parts.length === 1) {
    if (method === 'GET') return { scope: READ, handle: async (d) => withHook(d, id, async (h) => jsonReply(200, hookView(h, d.baseUrl))) };
    if (method === 'DELETE') return { scope: MANAGE, handle: async (d) => remove(d, id) };
    return undefined;
  }
  if (parts.length !== 3 || parts[1] !== 'lifecycle' || method !== 'POST') return undefined;
  switch (parts[2]) {
    case 'verify':
      return { scope: MANAGE, handle: async (d, _b, nowMs) => verify(d, id, nowMs) };
    case 'activate':
    case 'deactivate': {
      const status = parts[2] === 'activate' ? 'ACTIVE' : 'INACTIVE';
      return { scope: MANAGE, handle: async (d, _b, nowMs) => guarded(() => lifecycle(d, id, status, nowMs)) };
    }
    default:
      return undefined;
  }
}

async function create(d: EventHookRouteDeps, body: string, nowMs: number): Promise<Reply> {
  let input: unknown;
  try {
    input = JSON.parse(body);
  } catch {
    return oktaError(400, 'E0000001', 'The request body was not well-formed');
  }
  return guarded(() => jsonReply(200, hookView(d.registry.create(input, nowMs), d.baseUrl)));
}

function remove(d: EventHookRouteDeps, id: string): Promise<Reply> {
  return guarded(() => (d.registry.delete(id) === undefined ? notFound(id) : emptyReply(204)));
}

/** Okta calls the endpoint once; only an echoed challenge makes the hook VERIFIED. */
async function verify(d: EventHookRouteDeps, id: string, nowMs: number): Promise<Reply> {
  const hook = d.registry.get(id);
  if (!hook) return notFound(id);
  const verified = await d.deliverer.verify(hook, verificationChallenge());
  if (!verified) return oktaError(400, 'E0000001', 'Verification failed: the endpoint did not answer the verification challenge');
  const updated = d.registry.markVerified(id, nowMs);
  return updated ? jsonReply(200, hookView(updated, d.baseUrl)) : notFound(id);
}

function lifecycle(d: EventHookRouteDeps, id: string, status: 'ACTIVE' | 'INACTIVE', nowMs: number): Reply {
  const updated = d.registry.setStatus(id, status, nowMs);
  return updated ? jsonReply(200, hookView(updated, d.baseUrl)) : notFound(id);
}

async function withHook(d: EventHookRouteDeps, id: string, answer: (hook: NonNullable<ReturnType<EventHookRegistry['get']>>) => Promise<Reply>): Promise<Reply> {
  const hook = d.registry.get(id);
  return hook ? answer(hook) : notFound(id);
}

async function guarded(action: () => Reply | Promise<Reply>): Promise<Reply> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof HookInputError) return oktaError(400, 'E0000001', error.message);
    throw error;
  }
}

function notFound(id: string): Reply {
  return oktaError(404, 'E0000007', `Resource not found: ${id} (EventHook)`);
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

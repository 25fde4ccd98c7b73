import { z } from 'zod';
import { FaultSpecError } from './faults.js';
import { MutationInputError, type MutationResult } from './org-mutations.js';
import { type Reply, jsonReply } from './reply.js';
import type { SimStatsSnapshot } from './stats.js';
import type { OrgTruth } from './truth.js';
import type { FaultSpec } from './types.js';

/** What the admin routes need from an org. */
export interface AdminTarget {
  stats(): SimStatsSnapshot;
  truth(): OrgTruth;
  mutate(ops: unknown): MutationResult[];
  setFaults(spec: string | FaultSpec): void;
  readonly faultSpec: FaultSpec;
  revoke(token?: string): number;
  resetStats(): void;
  configureClient(clientId: string, change: { dpop?: boolean | undefined; grantedScopes?: string[] | undefined }): boolean;
  rotateDpopNonce(): void;
  /** The org's event hooks (auth values left out) and the requests sent to them. */
  eventHookState(): { hooks: unknown[]; deliveries: unknown[] };
}

const FaultBody = z.union([
  z.string(),
  z.object({ spec: z.string() }),
  z.object({
    latencyMs: z.object({ min: z.number().int().min(0), max: z.number().int().min(0) }).optional(),
    error5xx: z.number().optional(),
    reset: z.number().optional(),
    bigPage500: z.number().int().optional(),
    malformed: z.number().optional(),
    slowBody: z.number().optional(),
    slowBodyMs: z.number().int().optional(),
    tokenError: z.number().optional(),
    hookDuplicate: z.number().optional(),
    hookReorder: z.number().optional(),
  }),
]);
const RevokeBody = z.object({ token: z.string().optional() });
const ClientBody = z.object({ clientId: z.string(), dpop: z.boolean().optional(), grantedScopes: z.array(z.string()).optional() });

const bad = (message: string): Reply => jsonReply(400, { error: message });

function parseJson(body: string): unknown {
  if (body.trim() === '') return {};
  return JSON.parse(body);
}

function dropUndefined<T extends object>(value: T): FaultSpec {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as FaultSpec;
}

function post(target: AdminTarget, pathname: string, input: unknown): Reply {
  switch (pathname) {
    case '/__sim/mutate':
      return jsonReply(200, { results: target.mutate(input) });
    case '/__sim/faults': {
      const parsed = FaultBody.parse(input);
      target.setFaults(typeof parsed === 'string' ? parsed : 'spec' in parsed ? parsed.spec : dropUndefined(parsed));
      return jsonReply(200, { faults: target.faultSpec });
    }
    case '/__sim/revoke': {
      const { token } = RevokeBody.parse(input);
      return jsonReply(200, { revoked: token === undefined ? target.revoke() : target.revoke(token) });
    }
    case '/__sim/reset-stats':
      target.resetStats();
      return jsonReply(200, { ok: true });
    case '/__sim/clients': {
      const { clientId, dpop, grantedScopes } = ClientBody.parse(input);
      const found = target.configureClient(clientId, { dpop, grantedScopes });
      return found ? jsonReply(200, { ok: true }) : jsonReply(404, { error: 'unknown client' });
    }
    case '/__sim/dpop-nonce/rotate':
      target.rotateDpopNonce();
      return jsonReply(200, { ok: true });
    default:
      return jsonReply(404, { error: `no admin route POST ${pathname}` });
  }
}

/**
 * The reserved `/__sim/` paths: GET stats, truth, faults and event-hooks; POST mutate, faults, revoke, reset-stats,
 * clients (`{clientId, dpop?, grantedScopes?}`) and dpop-nonce/rotate. Loopback only, no auth.
 */
export async function handleAdmin(target: AdminTarget, method: string, pathname: string, body: string): Promise<Reply> {
  if (method === 'GET' && pathname === '/__sim/stats') return jsonReply(200, target.stats());
  if (method === 'GET' && pathname === '/__sim/truth') return jsonReply(200, target.truth());
  if (method === 'GET' && pathname === '/__sim/faults') return jsonReply(200, { faults: target.faultSpec });
  if (method === 'GET' && pathname === '/__sim/event-hooks') return jsonReply(200, target.eventHookState());
  if (method !== 'POST') return jsonReply(404, { error: `no admin route ${method} ${pathname}` });
  try {
    return post(target, pathname, parseJson(body));
  } catch (error) {
    if (error instanceof SyntaxError) return bad('body is not JSON');
    if (error instanceof z.ZodError) return bad(error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    if (error instanceof MutationInputError || error instanceof FaultSpecError) return bad(error.message);
    throw error;
  }
}

import { z } from 'zod';
import { TENANT_ID_PATTERN } from '../../shared/ids.js';
import { RESOURCES } from '../../shared/resources.js';
import { OBJECT_TYPES, RUN_STATUSES, SYNC_MODES, TENANT_STATUSES } from '../../shared/store/sync-store.js';

/** Request and response shapes of the HTTP API; they also generate the OpenAPI document. */

export const tenantIdParams = z.object({
  tenantId: z.string().regex(TENANT_ID_PATTERN, 'must be 1-64 letters, digits, "_", "." or "-", starting with a letter or digit'),
});

export const runIdParams = z.object({ runId: z.string().min(1).max(100) });

const resource = z.enum(RESOURCES, { error: `must be one of ${RESOURCES.join(', ')}` });
const mode = z.enum(SYNC_MODES, { error: `must be one of ${SYNC_MODES.join(', ')}` });

/** PUT /v1/tenants/{tenantId}: either a client secret or a private key with its kid. */
export const tenantBody = z
  .object({
    oktaDomain: z.string().min(1).max(253).describe('Okta org host, e.g. acme.okta.com (no scheme, port or path)'),
    clientId: z.string().min(1).max(100),
    clientSecret: z.string().min(1).max(1000).optional().describe('client_secret_basic; write-only, never returned'),
    privateKeyPem: z.string().min(1).max(20_000).optional().describe('PKCS#8 PEM for private_key_jwt; write-only, never returned'),
    keyId: z.string().min(1).max(200).optional(),
    scopes: z.array(z.string().min(1).max(100)).min(1).max(50).optional().describe('scopes granted to the integration; default all read scopes'),
    dpop: z.boolean().optional(),
    rateShare: z.number().min(0.01).max(1).optional().describe('share of each Okta rate-limit bucket this tenant may spend'),
  })
  .strict();
export type TenantBody = z.infer<typeof tenantBody>;

/** A tenant's System Log watch (flow step 8): its scheduler and what the workers last recorded. */
export const watchView = z.object({
  enabled: z.boolean(),
  intervalSeconds: z.number().nullable(),
  nextPollAt: z.string().nullable(),
  lastPollAt: z.string().nullable().describe('the last poll tick (read or skipped)'),
  lastPollEvents: z.number(),
  lastPollSkipped: z.string().nullable().describe('why the last tick read nothing: logs_run_active, rate_limited, poll_in_progress…'),
  lastLagSeconds: z.number().nullable().describe("from the last refreshed change's event `published` to its store write"),
  lastRefreshAt: z.string().nullable(),
});
export const watchBody = z
  .object({
    enabled: z.boolean(),
    intervalSeconds: z.number().int().min(5).max(3600).optional().describe('seconds between polls, default 15, at least 5'),
  })
  .strict();

export const tenantView = z.object({
  tenantId: z.string(),
  oktaDomain: z.string(),
  auth: z.object({
    method: z.enum(['client_secret', 'private_key_jwt']),
    clientId: z.string(),
    keyId: z.string().optional(),
    dpop: z.boolean(),
  }),
  scopes: z.array(z.string()),
  rateShare: z.number().optional(),
  status: z.enum(TENANT_STATUSES),
  /** On GET only: the watch's state. */
  watch: watchView.optional(),
  /** On GET only: the Okta Event Hook (`tenant hooks install`), or null. */
  eventHook: z
    .object({
      status: z.enum(['installing', 'installed']),
      oktaHookId: z.string().nullable(),
      uri: z.string(),
      events: z.number().describe('event types subscribed'),
      updatedAt: z.string(),
    })
    .nullable()
    .optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const deleteQuery = z.object({
  purgeData: z.enum(['true', 'false']).default('false').describe('also delete synced objects, runs and sync state'),
});

export const syncsBody = z.object({ resources: z.array(resource).min(1).max(RESOURCES.length), mode: mode.default('full') }).strict();

export const idempotencyHeaders = z.object({
  'idempotency-key': z.string().regex(/^[\x21-\x7e]{1,200}$/).optional().describe('makes retries of this request return the same runs (24 h)'),
});

export const syncsView = z.object({
  runs: z.array(z.object({ resource, runId: z.string(), status: z.enum(RUN_STATUSES), created: z.boolean() })),
});

export const runView = z.object({
  runId: z.string(),
  tenantId: z.string(),
  resource,
  mode,
  status: z.enum(RUN_STATUSES),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  counters: z.record(z.string(), z.number()),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  warnings: z.array(z.string()),
});

export const runsQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(50) });
export const runsView = z.object({ runs: z.array(runView) });

const EVERY = /^[1-9][0-9]{0,6}[smhd]$/;
export const scheduleEntry = z
  .object({ every: z.string().regex(EVERY, 'must look like 30s, 15m, 6h or 1d'), mode: mode.default('full') })
  .strict()
  .nullable();
/** `null` removes that resource's schedule; resources left out are unchanged. */
export const scheduleBody = z
  .object(Object.fromEntries(RESOURCES.map((r) => [r, scheduleEntry.optional()])) as Record<(typeof RESOURCES)[number], z.ZodOptional<typeof scheduleEntry>>)
  .strict();

export const scheduleView = z.object({
  schedules: z.record(z.string(), z.object({ every: z.string(), everyMs: z.number(), mode, next: z.string().nullable() })),
});

/** Object listings use resource names; `app_users` reaches the app assignments the apps sync writes. */
export const OBJECT_RESOURCES = ['users', 'groups', 'memberships', 'apps', 'app_users', 'logs'] as const;
export const objectsParams = tenantIdParams.extend({
  resource: z.enum(OBJECT_RESOURCES, { error: `must be one of ${OBJECT_RESOURCES.join(', ')}` }),
});
export const objectsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.string().min(1).max(600).optional().describe('the `next` of the previous page'),
  includeDeleted: z.enum(['true', 'false']).default('false'),
});
export const objectsView = z.object({
  items: z.array(
    z.object({
      tenantId: z.string(),
      type: z.enum(OBJECT_TYPES),
      oktaId: z.string(),
      data: z.unknown(),
      oktaLastUpdated: z.string().nullable(),
      syncedAt: z.string(),
      runId: z.string(),
      deletedAt: z.string().nullable(),
    }),
  ),
  next: z.string().nullable(),
});

const objectType = z.enum(OBJECT_TYPES);
export const changesQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  after: z.string().min(1).max(40).optional().describe('a `cursor` or `next` from an earlier read; absent: from the oldest retained entry'),
  types: z
    .string()
    .max(200)
    .transform((s) => s.split(',').map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(objectType, { error: `must be a comma separated list of ${OBJECT_TYPES.join(', ')}` }))
    .optional()
    .describe(`comma separated: ${OBJECT_TYPES.join(', ')}`),
});
export const changesView = z.object({
  items: z.array(
    z.object({
      cursor: z.string(),
      op: z.enum(['upsert', 'delete']),
      type: objectType,
      oktaId: z.string(),
      data: z.unknown().optional().describe('the object as stored (upserts only)'),
      changedAt: z.string(),
    }),
  ),
  next: z.string().describe('where to resume; returned also when there is nothing new'),
});
export const expiredView = z.object({
  error: z.object({ code: z.literal('cursor_expired'), message: z.string(), restartCursor: z.string() }),
});

const resourceCheck = z.object({ readable: z.boolean(), scope: z.string(), note: z.string().optional() });
export const verifyView = z.object({
  tenantId: z.string(),
  ok: z.boolean(),
  status: z.enum(TENANT_STATUSES),
  grantedScopes: z.array(z.string()),
  resources: z.record(z.string(), resourceCheck),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

export const errorView = z.object({
  error: z.object({ code: z.string(), message: z.string(), fields: z.record(z.string(), z.string()).optional() }),
});

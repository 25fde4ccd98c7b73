import { randomBytes } from 'node:crypto';
import { type OktaSim, startOktaSim } from '../src/okta-sim/index.js';
import { asTenantId } from '../src/shared/ids.js';
import { type OktaClient, createOktaClient, emptyStats } from '../src/shared/okta/okta-client.js';
import type { OktaCredentials } from '../src/shared/okta/okta-credentials.js';
import { createOktaHttp } from '../src/shared/okta/okta-http.js';
import { createRedisRateBudget } from '../src/shared/okta/rate-budget.js';
import { createTokenService } from '../src/shared/okta/token-service.js';
import { createRedis, keyPrefix } from '../src/shared/redis.js';
import { backoffMs, decideOutcome } from '../src/workers/job-outcome.js';
import type { Bench, BenchContext, BenchRow } from './bench-types.js';
import { type SimWindow, type WindowFigures, describeFigures, windowFigures } from './rate-windows.js';

/**
 * Rate-budget utilisation and 429 share on one simulated org whose users bucket allows LIMIT
 * requests per window, at share 0.9: WORKERS clients (each with its own HTTP pool, token cache
 * and Redis connection, as worker processes have) run LOOPS concurrent page chains each for a few
 * windows. Ours consults the Redis budget; the naive baseline has none and only reacts to 429s
 * (waits for the reset, as Okta asks). Both treat every failure exactly as the queue would
 * (`decideOutcome`: delay until `until`, or back off), so the only difference is the budget.
 * Figures come from the simulator's own per-window counters.
 */
const SHARE = 0.9;
const WORKERS = 4;
const LOOPS = 4;

interface Scale {
  limit: number;
  windowSeconds: number;
  windows: number;
}

export const rateBudgetBench: Bench = {
  name: 'rate budget',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const scale: Scale = ctx.scale === 'quick' ? { limit: 60, windowSeconds: 10, windows: 2 } : { limit: 120, windowSeconds: 10, windows: 5 };
    const ours = await measure(ctx, scale, true);
    ctx.log(`ours: ${describeFigures(ours)}`);
    const naive = await measure(ctx, scale, false);
    ctx.log(`naive: ${describeFigures(naive)}`);
    const setup = `users limit ${scale.limit}/${scale.windowSeconds} s, share ${SHARE}, ${WORKERS} clients x ${LOOPS} chains`;
    const pct = (x: number) => 100 * x;
    return [
      { bench: 'rate budget', metric: `429s, % of requests (${setup})`, ours: pct(ours.rejectedShare), baseline: pct(naive.rejectedShare), unit: '%', better: 'lower', target: '<= 1%' },
      {
        bench: 'rate budget',
        metric: `achieved rate, % of ${SHARE} x limit per window`,
        ours: pct(ours.utilisation),
        baseline: null,
        unit: '%',
        better: 'higher',
        target: '>= 85%',
        note: `naive ${pct(naive.utilisation).toFixed(0)}%: above 100% it spends what is left for the customer's other apps`,
      },
      { bench: 'rate budget', metric: 'least headroom left for other apps, % of limit', ours: pct(ours.minHeadroom), baseline: pct(naive.minHeadroom), unit: '%', better: 'higher', target: `>= ${pct(1 - SHARE).toFixed(0)}%` },
    ];
  },
};

async function measure(ctx: BenchContext, scale: Scale, withBudget: boolean): Promise<WindowFigures> {
  const sim = await startOktaSim({ users: 20_000, groups: 1, apps: 1, logs: 1, seed: 3, rateLimits: { users: scale.limit }, rateWindowSeconds: scale.windowSeconds });
  const redis = createRedis(ctx.redisUrl);
  const prefix = keyPrefix(`bench-rate-${randomBytes(4).toString('hex')}`);
  const https = Array.from({ length: WORKERS }, () => createOktaHttp());
  try {
    const clients = https.map((http) =>
      createOktaClient({
        http,
        tokens: createTokenService(http),
        ...(withBudget ? { budget: createRedisRateBudget(redis, { keyPrefix: prefix, tenantConcurrency: 10 }) } : {}),
      }),
    );
    const deadline = Date.now() + scale.windows * scale.windowSeconds * 1000;
    await Promise.all(Array.from({ length: WORKERS * LOOPS }, (_, i) => chain(clients[i % WORKERS]!, sim, deadline)));
    const stats = (await (await fetch(`${sim.orgs[0]!.baseUrl}/__sim/stats`)).json()) as { windows: Record<string, SimWindow[]> };
    return windowFigures(stats.windows.users ?? [], SHARE);
  } finally {
    await Promise.all(https.map((h) => h.close()));
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await sim.close();
  }
}

function credsOf(sim: OktaSim): OktaCredentials {
  const org = sim.orgs[0]!;
  return {
    tenantId: asTenantId('bench'),
    origin: org.baseUrl,
    clientId: org.clientId,
    method: 'client_secret',
    secret: org.clientSecret,
    dpop: false,
    grantedScopes: org.grantedScopes,
  };
}

/** One page chain, restarted at the end of the list, until the deadline; failures handled as the queue would. */
async function chain(client: OktaClient, sim: OktaSim, deadline: number): Promise<void> {
  const first = `${sim.orgs[0]!.baseUrl}/api/v1/users?limit=200`;
  const creds = credsOf(sim);
  let url = first;
  let attempts = 0;
  while (Date.now() < deadline) {
    try {
      url = (await client.getPage(creds, url, ['okta.users.read'], emptyStats(), SHARE)).nextUrl ?? first;
      attempts = 0;
    } catch (error) {
      const outcome = decideOutcome(error, { made: attempts, max: 8 });
      if (outcome.kind === 'fail') throw error;
      if (outcome.kind === 'retry') attempts++;
      const waitMs = outcome.kind === 'delay' ? outcome.until - Date.now() : backoffMs(attempts);
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(waitMs, deadline - Date.now()))));
    }
  }
}

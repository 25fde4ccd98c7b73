import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AdminTarget, handleAdmin } from './admin-routes.js';
import { type ApiAuthDeps, authenticateApi, checkScope } from './api-auth.js';
import { matchRoute } from './api-routes.js';
import { type ClientSet, registerClients } from './clients.js';
import { DpopVerifier } from './dpop.js';
import { EventHookRegistry, hookView } from './event-hooks.js';
import { HookDeliverer } from './hook-delivery.js';
import { FaultInjector, normalizeFaultSpec } from './faults.js';
import { type BodyDamage, isLoopback, readBody, sleep, writeReply } from './http-io.js';
import { AssertionVerifier } from './jwt-verify.js';
import { LatencyModel } from './latency.js';
import { applyMutations, type MutationResult } from './org-mutations.js';
import { generateOrgData } from './org-data.js';
import { addPayloadVariety } from './payload-variety.js';
import { OrgStore } from './org-store.js';
import { mixSeed, mulberry32, type Rng } from './prng.js';
import { bucketFor } from './bucket-table.js';
import { type RateDecision, RateLimiter } from './rate-limiter.js';
import { type HeaderMap, type Reply, oauthError, oktaError } from './reply.js';
import { type EventHookRouteDeps, isEventHookPath, matchEventHookRoute } from './routes-event-hooks.js';
import { SimStats, type SimStatsSnapshot } from './stats.js';
import { handleTokenRequest, type TokenEndpointDeps } from './token-endpoint.js';
import { TokenStore } from './token-store.js';
import { type OrgTruth, buildTruth } from './truth.js';
import type { Bucket, FaultSpec, ResolvedOrgOptions, SimOrgInfo } from './types.js';

function rateHeaders(limit: number, remaining: number, resetSeconds: number): HeaderMap {
  return { 'x-rate-limit-limit': String(limit), 'x-rate-limit-remaining': String(remaining), 'x-rate-limit-reset': String(resetSeconds) };
}

const fromDecision = (d: RateDecision): HeaderMap => rateHeaders(d.limit, d.remaining, d.resetSeconds);

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** One simulated Okta org on its own port: its data, credentials, limits, faults and counters. */
export class SimOrg implements AdminTarget {
  readonly store: OrgStore;
  private readonly counters = new SimStats();
  private readonly limiter: RateLimiter;
  private readonly faults: FaultInjector;
  private readonly latency: LatencyModel;
  private readonly tokens: TokenStore;
  private readonly dpop: DpopVerifier;
  private readonly apiDpop: DpopVerifier;
  private readonly tokenDeps: TokenEndpointDeps;
  private readonly authDeps: ApiAuthDeps;
  private readonly mutationRng: Rng;
  /** The org's Event Hooks and Okta's deliveries to them. */
  readonly eventHooks: EventHookRouteDeps;
  // Okta sometimes answers a scope refusal with no body; alternate so clients meet both shapes.
  private emptyForbidden = false;

  private constructor(
    readonly info: SimOrgInfo,
    private readonly server: Server,
    private readonly opts: ResolvedOrgOptions,
    private readonly clients: ClientSet,
  ) {
    const nowMs = Date.now();
    const data = generateOrgData(opts.seed, opts.index, opts, nowMs);
    if (opts.payloadVariety) addPayloadVariety(data, opts.seed, opts.index);
    this.store = new OrgStore(data, info.baseUrl, opts.searchLagMs);
    this.limiter = new RateLimiter(opts.rateLimits, opts.rateWindowMs);
    this.faults = new FaultInjector(opts.faults, mulberry32(mixSeed(opts.seed, opts.index, 3)));
    this.mutationRng = mulberry32(mixSeed(opts.seed, opts.index, 4));
    this.latency = new LatencyModel(opts.latencyMs, mulberry32(mixSeed(opts.seed, opts.index, 5)));
    this.tokens = new TokenStore(info.baseUrl, opts.tokenTtlSeconds);
    this.dpop = new DpopVerifier(nowMs);
    this.apiDpop = new DpopVerifier(nowMs);
    this.tokenDeps = {
      tokenUrl: `${info.baseUrl}/oauth2/v1/token`,
      clients: clients.clients,
      tokens: this.tokens,
      assertions: new AssertionVerifier(`${info.baseUrl}/oauth2/v1/token`),
      dpop: this.dpop,
      onRequest: (clientId, scopes, issued) => this.counters.tokenRequest(clientId, scopes, issued),
    };
    this.authDeps = {
      baseUrl: info.baseUrl,
      tokens: this.tokens,
      dpop: this.apiDpop,
      requireNonce: opts.dpopApiNonce,
      refuseProof: () => {
        const refused = this.faults.refusesProof();
        if (refused) this.counters.fault('dpopRefuse');
        return refused;
      },
      onForeignToken: () => this.counters.foreignTokens++,
    };
    const registry = new EventHookRegistry(mulberry32(mixSeed(opts.seed, opts.index, 6)));
    const rates = () => ({ duplicate: this.faults.current.hookDuplicate ?? 0.1, reorder: this.faults.current.hookReorder ?? 0.1 });
    const deliverer = new HookDeliverer(registry, info.baseUrl, mulberry32(mixSeed(opts.seed, opts.index, 7)), rates);
    this.eventHooks = { baseUrl: info.baseUrl, registry, deliverer };
    this.store.onLogEvent = (event) => deliverer.publish(event);
  }

  static async start(opts: ResolvedOrgOptions): Promise<SimOrg> {
    const clients = await registerClients(mulberry32(mixSeed(opts.seed, opts.index, 2)));
    let org: SimOrg | undefined;
    const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => org?.handle(req, res));
    const port = await listen(server, opts.port, opts.host);
    const baseUrl = `http://${opts.host}:${port}`;
    const info: SimOrgInfo = {
      name: `org-${opts.index + 1}`,
      domain: `${opts.host}:${port}`,
      baseUrl,
      port,
      clientId: clients.secretClient.clientId,
      clientSecret: clients.secretClient.secret,
      privateKeyClientId: clients.rsClient.clientId,
      privateKeyPem: clients.rsClient.privateKeyPem,
      keyId: clients.rsClient.keyId,
      esClientId: clients.esClient.clientId,
      esPrivateKeyPem: clients.esClient.privateKeyPem,
      esKeyId: clients.esClient.keyId,
      dpopClientId: clients.dpopClient.clientId,
      dpopClientSecret: clients.dpopClient.secret,
      grantedScopes: [...(clients.clients.get(clients.secretClient.clientId)?.grantedScopes ?? [])],
    };
    org = new SimOrg(info, server, opts, clients);
    return org;
  }

  async close(): Promise<void> {
    await this.eventHooks.deliverer.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- introspection and control (also reachable over /__sim/) ----

  stats(): SimStatsSnapshot {
    return this.counters.snapshot(this.limiter.windows());
  }

  truth(): OrgTruth {
    return buildTruth(this.store);
  }

  mutate(ops: unknown): MutationResult[] {
    return applyMutations(this.store, this.mutationRng, ops, Date.now());
  }

  setFaults(spec: string | FaultSpec): void {
    this.faults.replace(normalizeFaultSpec(spec));
  }

  get faultSpec(): FaultSpec {
    return this.faults.current;
  }

  revoke(token?: string): number {
    return this.tokens.revoke(token);
  }

  resetStats(): void {
    this.counters.reset();
    this.limiter.clearHistory();
  }

  configureClient(clientId: string, change: { dpop?: boolean | undefined; grantedScopes?: string[] | undefined }): boolean {
    const client = this.clients.clients.get(clientId);
    if (!client) return false;
    if (change.dpop !== undefined) client.dpop = change.dpop;
    if (change.grantedScopes !== undefined) client.grantedScopes = new Set(change.grantedScopes);
    return true;
  }

  eventHookState(): { hooks: unknown[]; deliveries: unknown[] } {
    const { registry, deliverer, baseUrl } = this.eventHooks;
    return { hooks: registry.list().map((h) => hookView(h, baseUrl)), deliveries: [...deliverer.records] };
  }

  rotateDpopNonce(): void {
    this.dpop.rotate(Date.now());
    this.apiDpop.rotate(Date.now());
  }

  // ---- request pipeline ----

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const pathname = q < 0 ? target : target.slice(0, q);
    const work = pathname.startsWith('/__sim/') ? this.serveAdmin(req, res, pathname) : this.serve(req, res, target, pathname);
    work.catch(() => {
      if (!res.headersSent) writeReply(res, oktaError(500, 'E0000009'), {});
      else res.destroy();
    });
  }

  private async serveAdmin(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    if (!isLoopback(req.socket.remoteAddress)) return writeReply(res, oktaError(403, 'E0000006'), {});
    const body = req.method === 'POST' ? await readBody(req) : '';
    writeReply(res, await handleAdmin(this, req.method ?? 'GET', pathname, body), {});
  }

  private finish(res: ServerResponse, bucket: Bucket, reply: Reply, headers: HeaderMap, damage?: BodyDamage): void {
    this.counters.response(bucket, reply.status);
    writeReply(res, reply, headers, damage);
  }

  private async serve(req: IncomingMessage, res: ServerResponse, target: string, pathname: string): Promise<void> {
    const nowMs = Date.now();
    const bucket = bucketFor(req.method ?? 'GET', pathname);
    const inFlight = this.counters.enter();
    res.once('close', () => this.counters.leave());
    if (inFlight > this.opts.concurrencyLimit) {
      // Okta's concurrency refusal: limit and remaining both 0, reset only a hint.
      this.counters.concurrencyRejected++;
      return this.finish(res, bucket, oktaError(429, 'E0000047'), rateHeaders(0, 0, Math.ceil(nowMs / 1000) + 1));
    }
    const decision = this.limiter.take(bucket, nowMs);
    const headers = fromDecision(decision);
    if (!decision.allowed) {
      this.counters.rateLimited++;
      return this.finish(res, bucket, oktaError(429, 'E0000047'), headers);
    }
    if (bucket === 'token') return this.serveToken(req, res, headers);
    return this.serveApi(req, res, target, pathname, bucket, headers);
  }

  private async serveToken(req: IncomingMessage, res: ServerResponse, headers: HeaderMap): Promise<void> {
    if (req.method !== 'POST') return this.finish(res, 'token', oauthError(405, 'invalid_request', 'The token endpoint accepts POST only.'), headers);
    const body = await readBody(req);
    const delayMs = this.opts.tokenDelayMs + this.faults.delayMs();
    if (delayMs > 0) await sleep(delayMs);
    if (this.faults.tokenError()) {
      this.counters.fault('tokenError');
      return this.finish(res, 'token', oauthError(503, 'temporarily_unavailable', 'The service is temporarily unavailable.'), headers);
    }
    this.finish(res, 'token', await handleTokenRequest(this.tokenDeps, req.headers, body, Date.now()), headers);
  }

  private async serveApi(req: IncomingMessage, res: ServerResponse, target: string, pathname: string, bucket: Bucket, headers: HeaderMap): Promise<void> {
    if (isEventHookPath(pathname)) return this.serveEventHooks(req, res, pathname, bucket, headers);
    const match = matchRoute(pathname);
    if (!match) return this.finish(res, bucket, oktaError(404, 'E0000007', `Resource not found: ${pathname} (Resource)`), headers);
    if (req.method !== 'GET') return this.finish(res, bucket, oktaError(405, 'E0000022'), headers);
    const scope = match.route.scope;
    const auth = await authenticateApi(this.authDeps, req.headers, 'GET', pathname, scope, Date.now());
    if (!auth.ok) return this.finish(res, bucket, auth.reply, headers);
    const forbidden = checkScope(this.info.baseUrl, pathname, auth.token, scope, () => {
      this.emptyForbidden = !this.emptyForbidden;
      return this.emptyForbidden;
    });
    if (forbidden) return this.finish(res, bucket, forbidden, headers);
    const plan = this.faults.planApiRequest();
    const delayMs = plan.delayMs + this.latency.nextMs();
    if (delayMs > 0) await sleep(delayMs);
    if (plan.reset) {
      this.counters.fault('reset');
      this.counters.response(bucket, 0);
      req.socket.destroy();
      return;
    }
    if (plan.error5xx !== undefined) {
      this.counters.fault('error5xx');
      return this.finish(res, bucket, plan.error5xx === 503 ? oktaError(503, 'E0000010') : oktaError(500, 'E0000009'), headers);
    }
    // A cached page is valid until the next mutation, whichever route built it.
    const reply = this.store.pages.get(target) ?? match.route.handle({
      store: this.store, target, pathname, params: new URLSearchParams(target.slice(pathname.length + 1)), pathParams: match.pathParams, nowMs: Date.now(),
    });
    if (this.faults.refusesPage(reply.pageLimit)) {
      this.counters.fault('bigPage500');
      return this.finish(res, bucket, oktaError(500, 'E0000009'), headers);
    }
    const damaged = reply.status === 200 && (plan.malformed || plan.slowBodyMs > 0);
    if (damaged) this.counters.fault(plan.malformed ? 'malformed' : 'slowBody');
    this.finish(res, bucket, reply, headers, damaged ? plan : undefined);
  }

  /** The Event Hooks API: same authentication and scope refusals as every route, then its handler. */
  private async serveEventHooks(req: IncomingMessage, res: ServerResponse, pathname: string, bucket: Bucket, headers: HeaderMap): Promise<void> {
    const method = req.method ?? 'GET';
    const route = matchEventHookRoute(method, pathname);
    if (!route) {
      const known = ['GET', 'POST', 'DELETE'].some((m) => matchEventHookRoute(m, pathname));
      return this.finish(res, bucket, known ? oktaError(405, 'E0000022') : oktaError(404, 'E0000007', `Resource not found: ${pathname} (Resource)`), headers);
    }
    const auth = await authenticateApi(this.authDeps, req.headers, method, pathname, route.scope, Date.now());
    if (!auth.ok) return this.finish(res, bucket, auth.reply, headers);
    const forbidden = checkScope(this.info.baseUrl, pathname, auth.token, route.scope, () => {
      this.emptyForbidden = !this.emptyForbidden;
      return this.emptyForbidden;
    });
    if (forbidden) return this.finish(res, bucket, forbidden, headers);
    const body = method === 'POST' ? await readBody(req) : '';
    this.finish(res, bucket, await route.handle(this.eventHooks, body, Date.now()), headers);
  }
}

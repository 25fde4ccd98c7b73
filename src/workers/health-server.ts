import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Minimal interface the health server needs from a metrics registry (prom-client's `Registry` fits). */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface HealthServerOptions {
  /** Port to listen on; 0 picks a free one (tests). */
  port: number;
  /** Interface to listen on, default `0.0.0.0` (probes come from the kubelet, scrapes from Prometheus). */
  host?: string;
  /**
   * Whether this process should receive work: false while starting, while draining, and while a
   * dependency it cannot work without (Redis) is away. Returns the reason when not ready.
   */
  readiness(): { ready: true } | { ready: false; reason: string };
  /** Served at `/metrics`; without one `/metrics` answers 404. */
  metrics?: MetricsSource;
}

export interface HealthServer {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * A tiny `node:http` server for the orchestrator and the scraper:
 * - `GET /healthz` liveness: 200 while the event loop answers. Deliberately independent of Redis
 *   and the store, so an outage of either does not make Kubernetes restart every worker at once.
 * - `GET /readyz` readiness: 200 or 503 with the reason, from `readiness()`.
 * - `GET /metrics` Prometheus text from `metrics`.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((req, res) => {
    void handle(options, req, res).catch(() => {
      if (!res.headersSent) reply(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  // Probes are short requests: never let an idle keep-alive socket delay close().
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(options: HealthServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    reply(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    return;
  }
  switch (path) {
    case '/healthz':
      reply(res, 200, 'application/json', '{"status":"ok"}\n');
      return;
    case '/readyz': {
      const state = options.readiness();
      if (state.ready) reply(res, 200, 'application/json', '{"status":"ready"}\n');
      else reply(res, 503, 'application/json', `${JSON.stringify({ status: 'not_ready', reason: state.reason })}\n`);
      return;
    }
    case '/metrics':
      if (!options.metrics) reply(res, 404, 'text/plain; charset=utf-8', 'no metrics\n');
      else reply(res, 200, options.metrics.contentType, await options.metrics.metrics());
      return;
    default:
      reply(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  }
}

function reply(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

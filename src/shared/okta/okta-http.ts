import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { OktaError } from './okta-errors.js';

/** HTTP settings for Okta calls; all defaults in one visible block. */
export interface OktaHttpOptions {
  /** TCP/TLS connect timeout, default 5000 ms. */
  connectTimeoutMs?: number;
  /** Time to response headers, default 30000 ms (a System Log query may take up to 30 s). */
  headersTimeoutMs?: number;
  /** Idle time between body chunks, default 30000 ms. */
  bodyTimeoutMs?: number;
  /** Largest response body accepted, default 32 MiB. */
  maxBodyBytes?: number;
  /** Keep-alive connections per origin, default 32. */
  connectionsPerOrigin?: number;
}

const DEFAULTS: Required<OktaHttpOptions> = {
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  maxBodyBytes: 32 * 1024 * 1024,
  connectionsPerOrigin: 32,
};

export interface OktaResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface OktaHttp {
  request(options: { method: 'GET' | 'POST'; url: string; headers: Record<string, string>; body?: string }): Promise<OktaResponse>;
  close(): Promise<void>;
}

/**
 * undici with a keep-alive pool per origin, timeouts, a body size cap, gzip accepted and no
 * redirects followed (a redirect from an Okta API is a bug or an attack, never followed with a token).
 */
export function createOktaHttp(options: OktaHttpOptions = {}): OktaHttp {
  const o = { ...DEFAULTS, ...options };
  const agent = new Agent({
    connect: { timeout: o.connectTimeoutMs },
    headersTimeout: o.headersTimeoutMs,
    bodyTimeout: o.bodyTimeoutMs,
    connections: o.connectionsPerOrigin,
    keepAliveTimeout: 30_000,
  });
  return {
    async request({ method, url, headers, body }) {
      const path = new URL(url).pathname;
      let res: Dispatcher.ResponseData;
      try {
        res = await agent.request({
          method,
          origin: new URL(url).origin,
          path: new URL(url).pathname + new URL(url).search,
          headers: { 'accept-encoding': 'gzip', accept: 'application/json', 'user-agent': 'okta-sync/0.1', ...headers },
          ...(body === undefined ? {} : { body }),
        });
      } catch (cause) {
        throw new OktaError('okta_network', `request to ${path} failed: ${networkReason(cause)}`, { path }, { cause });
      }
      const text = await readBody(res, o.maxBodyBytes, path);
      return { status: res.statusCode, headers: res.headers, body: text };
    },
    close: () => agent.close(),
  };
}

async function readBody(res: Dispatcher.ResponseData, maxBytes: number, path: string): Promise<string> {
  const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        res.body.destroy();
        throw new OktaError('okta_bad_response', `response from ${path} exceeds ${maxBytes} bytes`, { path });
      }
      chunks.push(chunk as Buffer);
    }
  } catch (cause) {
    if (cause instanceof OktaError) throw cause;
    throw new OktaError('okta_network', `reading ${path} failed: ${networkReason(cause)}`, { path }, { cause });
  }
  const raw = Buffer.concat(chunks);
  if (encoding === 'gzip') {
    const { gunzipSync } = await import('node:zlib');
    return gunzipSync(raw).toString('utf8');
  }
  return raw.toString('utf8');
}

function networkReason(cause: unknown): string {
  if (cause instanceof undiciErrors.UndiciError) return cause.code;
  if (cause instanceof Error && 'code' in cause) return String((cause as { code: unknown }).code);
  return 'network error';
}

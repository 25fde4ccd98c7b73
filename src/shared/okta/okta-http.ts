import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { Agent, type Dispatcher, errors as undiciErrors } from 'undici';
import { OktaError } from './okta-errors.js';

const gunzipAsync = promisify(gunzip);

/** HTTP settings for Okta calls; all defaults in one visible block. */
export interface OktaHttpOptions {
  /** TCP/TLS connect timeout, default 5000 ms. */
  connectTimeoutMs?: number;
  /** Time to response headers, default 30000 ms (a System Log query may take up to 30 s). */
  headersTimeoutMs?: number;
  /** Idle time between body chunks, default 30000 ms. */
  bodyTimeoutMs?: number;
  /** Whole exchange, connect to last body byte, default 60000 ms (rate-budget leases outlive it). */
  requestTimeoutMs?: number;
  /**
   * Largest response body accepted, after gzip decoding too, default 4 MiB. The body is read as a
   * stream and the request aborted as soon as the cap is passed (or at once when Content-Length
   * says so), so one request never holds more than this. Workers size it from their concurrency.
   */
  maxBodyBytes?: number;
  /** Keep-alive connections per origin, default 32. */
  connectionsPerOrigin?: number;
  /** How long an idle keep-alive connection is kept, default 30000 ms. */
  keepAliveTimeoutMs?: number;
}

export const OKTA_HTTP_DEFAULTS: Required<OktaHttpOptions> = {
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 30_000,
  bodyTimeoutMs: 30_000,
  requestTimeoutMs: 60_000,
  maxBodyBytes: 4 * 1024 * 1024,
  connectionsPerOrigin: 32,
  keepAliveTimeoutMs: 30_000,
};

export interface OktaResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface OktaHttp {
  request(options: { method: 'GET' | 'POST' | 'DELETE'; url: string; headers: Record<string, string>; body?: string }): Promise<OktaResponse>;
  close(): Promise<void>;
}

/**
 * undici with a keep-alive pool per origin, timeouts, a body size cap, gzip accepted and no
 * redirects followed: a 3xx comes back as a response (the client makes it `okta_redirect`), since
 * a redirect from an Okta API is a bug or an attack, never to be followed with a token.
 * Failures without an answer (reset, timeout, DNS) throw `okta_network`; this layer never retries.
 */
export function createOktaHttp(options: OktaHttpOptions = {}): OktaHttp {
  const o = { ...OKTA_HTTP_DEFAULTS, ...options };
  const agent = new Agent({
    connect: { timeout: o.connectTimeoutMs },
    headersTimeout: o.headersTimeoutMs,
    bodyTimeout: o.bodyTimeoutMs,
    connections: o.connectionsPerOrigin,
    keepAliveTimeout: o.keepAliveTimeoutMs,
  });
  return {
    async request({ method, url, headers, body }) {
      const target = new URL(url);
      const path = target.pathname;
      const signal = AbortSignal.timeout(o.requestTimeoutMs);
      let res: Dispatcher.ResponseData;
      try {
        res = await agent.request({
          method,
          origin: target.origin,
          path: path + target.search,
          headers: { 'accept-encoding': 'gzip', accept: 'application/json', 'user-agent': 'okta-sync/0.1', ...headers },
          signal,
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
  const tooLarge = () => new OktaError('okta_response_too_large', `response from ${path} exceeds ${maxBytes} bytes`, { path, status: res.statusCode });
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    discard(res);
    throw tooLarge();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) throw tooLarge();
      chunks.push(chunk as Buffer);
    }
  } catch (cause) {
    discard(res);
    if (cause instanceof OktaError) throw cause;
    throw new OktaError('okta_network', `reading ${path} failed: ${networkReason(cause)}`, { path }, { cause });
  }
  const raw = Buffer.concat(chunks);
  const encoding = String(res.headers['content-encoding'] ?? 'identity').toLowerCase().trim();
  if (encoding === 'identity' || encoding === '') return raw.toString('utf8');
  if (encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new OktaError('okta_bad_response', `response from ${path} has content-encoding ${encoding}, which was not asked for`, { path });
  }
  try {
    // The cap applies to the decoded size too: a small gzip body may inflate enormously.
    return (await gunzipAsync(raw, { maxOutputLength: maxBytes })).toString('utf8');
  } catch (cause) {
    if ((cause as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge();
    throw new OktaError('okta_bad_response', `response from ${path} is not valid gzip`, { path }, { cause });
  }
}

/** Drops a body we will not read (the connection closes); its abort error has nobody to tell. */
function discard(res: Dispatcher.ResponseData): void {
  res.body.on('error', () => undefined);
  res.body.destroy();
}

function networkReason(cause: unknown): string {
  if (cause instanceof undiciErrors.UndiciError) return cause.code;
  if (cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError')) return 'request timeout';
  if (cause instanceof Error && 'code' in cause) return String((cause as { code: unknown }).code);
  return 'network error';
}

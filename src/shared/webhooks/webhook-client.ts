import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { Agent, type Dispatcher } from 'undici';
import { OktaSyncError } from '../errors.js';
import { bareHost, checkWebhookUrl, refuseAddress, type WebhookAddressPolicy } from './address-policy.js';

/** HTTP settings of webhook deliveries; all defaults in one visible block. */
export interface WebhookClientOptions {
  policy: WebhookAddressPolicy;
  /** Every address of a host name; default the system resolver (`dns.lookup`, all families). Tests inject names here. */
  resolve?: (hostname: string) => Promise<LookupAddress[]>;
  /** TCP/TLS connect timeout, default 5000 ms. */
  connectTimeoutMs?: number;
  /** Time to the response headers, default 10000 ms. */
  headersTimeoutMs?: number;
  /** Idle time between body chunks, default 5000 ms. */
  bodyTimeoutMs?: number;
  /** The whole exchange, default 15000 ms. */
  requestTimeoutMs?: number;
  /** Bytes of the receiver's answer read at most (the rest is discarded), default 4096. */
  maxResponseBytes?: number;
}

export const WEBHOOK_HTTP_DEFAULTS = {
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 5_000,
  requestTimeoutMs: 15_000,
  maxResponseBytes: 4_096,
} as const;

/** Codes of failed deliveries; `webhook_refused` (URL or address not allowed) is permanent, the others are retried. */
export type WebhookErrorCode = 'webhook_refused' | 'webhook_network' | 'webhook_timeout';

export class WebhookError extends OktaSyncError {
  declare readonly code: WebhookErrorCode;
  constructor(code: WebhookErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

export interface WebhookResponse {
  status: number;
  /** At most `maxResponseBytes` of the answer, for diagnostics. */
  body: string;
}

export interface WebhookClient {
  /** POSTs `body`; resolves with any HTTP answer (3xx included: redirects are never followed), throws `WebhookError` otherwise. */
  post(url: string, body: string, headers: Record<string, string>): Promise<WebhookResponse>;
  close(): Promise<void>;
}

type LookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * undici agents whose DNS step checks every address a host resolves to against the policy and
 * then connects to those same checked addresses, so a name that re-resolves to an internal
 * address between a check and the connect (DNS rebinding) cannot slip through.
 */
export function createWebhookClient(options: WebhookClientOptions): WebhookClient {
  const o = { ...WEBHOOK_HTTP_DEFAULTS, ...options };
  const resolve = options.resolve ?? ((hostname: string) => dnsLookup(hostname, { all: true, verbatim: true }));
  const agentFor = (protocol: 'http:' | 'https:') => {
    const lookup = (hostname: string, lookupOptions: { all?: boolean | undefined }, callback: LookupCallback) => {
      resolve(hostname)
        .then((addresses) => {
          if (addresses.length === 0) throw new WebhookError('webhook_network', `${hostname} did not resolve`);
          for (const a of addresses) {
            const reason = refuseAddress(bareHost(hostname), a.address, protocol, o.policy);
            if (reason) throw new WebhookError('webhook_refused', reason);
          }
          const first = addresses[0] as LookupAddress;
          if (lookupOptions.all) callback(null, addresses);
          else callback(null, first.address, first.family);
        })
        .catch((err: Error) => callback(err, ''));
    };
    return new Agent({
      connect: { timeout: o.connectTimeoutMs, lookup },
      headersTimeout: o.headersTimeoutMs,
      bodyTimeout: o.bodyTimeoutMs,
      connections: 8,
      keepAliveTimeout: 10_000,
    });
  };
  const agents = { 'http:': agentFor('http:'), 'https:': agentFor('https:') };

  return {
    async post(text, body, headers) {
      const check = checkWebhookUrl(text, o.policy);
      if (!check.ok) throw new WebhookError('webhook_refused', `webhook URL ${check.reason}`);
      const url = check.url;
      const agent = agents[url.protocol as 'http:' | 'https:'];
      let res: Dispatcher.ResponseData;
      try {
        res = await agent.request({
          method: 'POST',
          origin: url.origin,
          path: url.pathname + url.search,
          headers: { 'content-type': 'application/json', 'user-agent': 'okta-sync-webhooks/1', ...headers },
          body,
          signal: AbortSignal.timeout(o.requestTimeoutMs),
        });
      } catch (cause) {
        throw failure(cause, url.host);
      }
      return { status: res.statusCode, body: await readCapped(res.body, o.maxResponseBytes).catch(() => '') };
    },
    async close() {
      await Promise.all([agents['http:'].close(), agents['https:'].close()]);
    },
  };
}

/** Our own refusal from the lookup keeps its code; anything else is a network failure or a timeout. */
function failure(cause: unknown, host: string): WebhookError {
  for (let e: unknown = cause, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof WebhookError) return e;
  }
  const name = cause instanceof Error ? cause.name : '';
  const code = (cause as { code?: unknown } | null)?.code;
  if (name === 'TimeoutError' || name === 'AbortError' || (typeof code === 'string' && code.endsWith('TIMEOUT'))) {
    return new WebhookError('webhook_timeout', `delivery to ${host} timed out`, { cause });
  }
  return new WebhookError('webhook_network', `delivery to ${host} failed: ${typeof code === 'string' ? code : name || 'error'}`, { cause });
}

/** Reads at most `max` bytes, then drops the connection's remaining body. */
async function readCapped(body: Dispatcher.ResponseData['body'], max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    chunks.push(buf.subarray(0, Math.max(0, max - size)));
    size += buf.length;
    if (size >= max) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

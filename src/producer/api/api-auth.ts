import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeys } from './api-keys.js';
import type { AuthThrottle } from './auth-throttle.js';
import { type BrowserSessions, SESSION_MAX_AGE_S } from './browser-sessions.js';

/** Who may call a route: anyone, bearer key holders, or bearer key or browser session cookie. */
export type Access = 'public' | 'bearer' | 'browser';

export const SESSION_COOKIE = 'okta_sync_session';

/**
 * `/connect/:token` is the customer's onboarding page: its link token is the capability. Okta's
 * Event Hook calls carry the tenant's own secret instead of an API key (checked in hook-routes.ts).
 */
const PUBLIC_ROUTES = new Set(['/healthz', '/readyz', '/connect/:token', '/v1/hooks/okta/:tenantId']);
const BROWSER_PREFIXES = ['/admin/queues', '/docs', '/openapi.json'];

/** Decided by the matched route pattern, never the raw URL (`/admin/queues/../v1/…` cannot sneak in). */
export function accessOf(routeUrl: string | undefined): Access {
  if (routeUrl === undefined) return 'bearer';
  if (PUBLIC_ROUTES.has(routeUrl)) return 'public';
  if (BROWSER_PREFIXES.some((p) => routeUrl === p || routeUrl.startsWith(`${p}/`))) return 'browser';
  return 'bearer';
}

/** What the auth hook needs: the keys, the browser sessions, and the per-address throttle. */
export interface AuthDeps {
  keys: ApiKeys;
  sessions: BrowserSessions;
  throttle: AuthThrottle;
}

/**
 * Bearer auth on every route but health. Browser pages (Bull Board, docs) also take the session
 * cookie, which `?key=<api key>` sets once: the answer is a page that reloads the same URL without
 * the key, so the key leaves the address bar and the follow-up navigation is same-site (a 303 after
 * a cross-site link would not carry a SameSite=Strict cookie). A wrong key (bearer or `?key=`)
 * counts against the client address (`request.ip`: the proxy's client only with OKTA_SYNC_TRUST_PROXY).
 */
export function registerAuth(app: FastifyInstance, { keys, sessions, throttle }: AuthDeps): void {
  app.addHook('onRequest', async (request, reply) => {
    const access = accessOf(request.routeOptions.url);
    if (access === 'public') return;
    const lockedMs = throttle.lockedFor(request.ip);
    if (lockedMs > 0) {
      return reply
        .code(429)
        .header('retry-after', String(Math.ceil(lockedMs / 1000)))
        .type('application/json; charset=utf-8')
        .send({ error: { code: 'too_many_failed_attempts', message: 'too many failed authentications from this address; retry later' } });
    }
    const bearer = bearerOf(request.headers.authorization);
    if (keys.matches(bearer)) return throttle.succeeded(request.ip);
    let presented = bearer !== undefined;
    if (access === 'browser') {
      if (await sessions.valid(cookieOf(request.headers.cookie, SESSION_COOKIE))) return;
      const url = new URL(request.url, 'http://api.invalid');
      const key = url.searchParams.get('key') ?? undefined;
      presented ||= key !== undefined;
      if (request.method === 'GET' && key !== undefined && keys.matches(key)) {
        throttle.succeeded(request.ip);
        url.searchParams.delete('key');
        return startSession(request, reply, await sessions.start(keys.fingerprint(key)), url.pathname + url.search);
      }
    }
    if (presented) throttle.failed(request.ip);
    // Answered here rather than thrown: plugins such as Bull Board install their own error handler.
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="okta-sync"')
      .type('application/json; charset=utf-8')
      .send({ error: { code: 'unauthorized', message: 'missing or invalid API key' } });
  });
}

function startSession(request: FastifyRequest, reply: FastifyReply, session: string, target: string): FastifyReply {
  const attrs = ['HttpOnly', 'SameSite=Strict', 'Path=/', `Max-Age=${SESSION_MAX_AGE_S}`];
  // Over TLS (X-Forwarded-Proto counts only with OKTA_SYNC_TRUST_PROXY); plain http in development.
  if (request.protocol === 'https') attrs.push('Secure');
  const href = escapeHtml(target);
  return reply
    .code(200)
    .header('set-cookie', `${SESSION_COOKIE}=${session}; ${attrs.join('; ')}`)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(`<!doctype html><meta http-equiv="refresh" content="0;url=${href}"><a href="${href}">continue</a>\n`);
}

export function bearerOf(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

export function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

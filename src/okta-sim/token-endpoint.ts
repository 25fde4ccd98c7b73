import type { IncomingHttpHeaders } from 'node:http';
import { grants, KNOWN_SCOPES, type RegisteredClient } from './clients.js';
import type { DpopVerifier } from './dpop.js';
import type { AssertionVerifier } from './jwt-verify.js';
import { type Reply, jsonReply, oauthError } from './reply.js';
import type { TokenStore } from './token-store.js';

/** What the token endpoint needs from its org. */
export interface TokenEndpointDeps {
  tokenUrl: string;
  clients: ReadonlyMap<string, RegisteredClient>;
  tokens: TokenStore;
  assertions: AssertionVerifier;
  dpop: DpopVerifier;
  /** Counts one token request (client unknown when authentication failed early). */
  onRequest(clientId: string | undefined, scopes: string, issued: boolean): void;
}

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const INVALID_CLIENT = 'Client authentication failed. Either the client or the client credentials are invalid.';

type ClientOutcome = { ok: true; client: RegisteredClient } | { ok: false; reply: Reply; clientId?: string };

function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

async function authenticateClient(deps: TokenEndpointDeps, headers: IncomingHttpHeaders, form: URLSearchParams, nowMs: number): Promise<ClientOutcome> {
  const basic = basicCredentials(headers.authorization);
  if (basic) {
    const client = deps.clients.get(basic.id);
    const ok = client?.method === 'client_secret_basic' && client.secret === basic.secret;
    return ok ? { ok: true, client } : { ok: false, reply: oauthError(401, 'invalid_client', INVALID_CLIENT), clientId: basic.id };
  }
  const assertion = form.get('client_assertion');
  if (assertion !== null) {
    if (form.get('client_assertion_type') !== JWT_BEARER) return { ok: false, reply: oauthError(400, 'invalid_request', 'client_assertion_type must be jwt-bearer.') };
    const result = await deps.assertions.verify(assertion, deps.clients, form.get('client_id'), nowMs);
    return result.ok ? { ok: true, client: result.client } : { ok: false, reply: oauthError(401, 'invalid_client', result.reason) };
  }
  // client_secret_post and anonymous requests are not allowed for service apps.
  return { ok: false, reply: oauthError(401, 'invalid_client', INVALID_CLIENT) };
}

function checkScopes(client: RegisteredClient, requested: string[]): Reply | undefined {
  if (requested.length === 0) return oauthError(400, 'invalid_scope', "The authorization server resource does not have any configured default scopes, 'scope' must be provided.");
  if (requested.some((s) => !KNOWN_SCOPES.has(s))) return oauthError(400, 'invalid_scope', 'One or more scopes are not configured for the authorization server resource.');
  const missing = requested.filter((s) => !grants(client.grantedScopes, s));
  if (missing.length > 0) return oauthError(400, 'invalid_scope', `The following scopes were requested, but not granted: ${missing.join(' ')}`);
  return undefined;
}

async function checkDpop(deps: TokenEndpointDeps, client: RegisteredClient, headers: IncomingHttpHeaders, nowMs: number): Promise<{ jkt: string | undefined } | Reply> {
  if (!client.dpop) return { jkt: undefined };
  const proof = headers.dpop;
  if (typeof proof !== 'string' || proof === '') return oauthError(400, 'invalid_dpop_proof', 'The DPoP proof JWT header is missing.');
  const result = await deps.dpop.verify(proof, { htm: 'POST', htu: deps.tokenUrl, requireNonce: true }, nowMs);
  if (result.ok) return { jkt: result.jkt };
  const nonce = result.error === 'use_dpop_nonce' ? { 'dpop-nonce': deps.dpop.currentNonce(nowMs) } : undefined;
  return oauthError(400, result.error, result.reason, nonce);
}

/** `POST /oauth2/v1/token` with grant_type=client_credentials. */
export async function handleTokenRequest(deps: TokenEndpointDeps, headers: IncomingHttpHeaders, body: string, nowMs: number): Promise<Reply> {
  if (!headers['content-type']?.startsWith('application/x-www-form-urlencoded')) {
    deps.onRequest(undefined, '', false);
    return oauthError(400, 'invalid_request', 'The request body must be application/x-www-form-urlencoded.');
  }
  const form = new URLSearchParams(body);
  const requested = (form.get('scope') ?? '').split(/\s+/).filter((s) => s !== '');
  const scopeKey = [...requested].sort().join(' ');
  const auth = await authenticateClient(deps, headers, form, nowMs);
  if (!auth.ok) {
    deps.onRequest(auth.clientId, scopeKey, false);
    return auth.reply;
  }
  const { client } = auth;
  const fail = (reply: Reply): Reply => {
    deps.onRequest(client.clientId, scopeKey, false);
    return reply;
  };
  const grantType = form.get('grant_type');
  if (grantType === null) return fail(oauthError(400, 'invalid_request', 'The grant_type parameter is required.'));
  if (grantType !== 'client_credentials') return fail(oauthError(400, 'unsupported_grant_type', `The grant_type '${grantType}' is not supported.`));
  const dpop = await checkDpop(deps, client, headers, nowMs);
  if ('status' in dpop) return fail(dpop);
  const scopeError = checkScopes(client, requested);
  if (scopeError) return fail(scopeError);
  const token = deps.tokens.issue(client.clientId, requested, nowMs, dpop.jkt);
  deps.onRequest(client.clientId, scopeKey, true);
  return jsonReply(200, {
    token_type: dpop.jkt ? 'DPoP' : 'Bearer',
    expires_in: deps.tokens.lifetimeSeconds,
    access_token: token,
    scope: requested.join(' '),
  }, { 'cache-control': 'no-store', pragma: 'no-cache' });
}

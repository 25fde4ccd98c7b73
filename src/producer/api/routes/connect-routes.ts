import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { asTenantId } from '../../../shared/ids.js';
import { createConnectLink, hashToken, lookupLink, type LinkState, MAX_CONNECT_ATTEMPTS, MAX_LINK_MINUTES } from '../../connect/connect-links.js';
import { renderForm, renderNotice, renderResult } from '../../connect/connect-page.js';
import { type ConnectForm, neededScopes, submitConnect } from '../../connect/connect-submit.js';
import { checkFormToken, issueFormToken } from '../../connect/form-token.js';
import { connectCsp } from '../../connect/html.js';
import { type ApiDeps, defined, domainPolicyOf } from '../api-deps.js';
import { errorView, tenantIdParams } from '../api-schemas.js';
import { toHttpError } from '../http-errors.js';
import { addZodRoute } from '../zod-route.js';

/** A connect form is three short fields and a token: 16 KiB is plenty. */
const FORM_LIMIT_BYTES = 16 * 1024;

const connectLinkBody = z
  .object({
    expiresInMinutes: z.number().int().min(1).max(MAX_LINK_MINUTES).optional().describe('default 10080 (7 days)'),
    returnUrl: z.string().min(1).max(2000).optional().describe('where the page sends the customer afterwards; origin must be in OKTA_SYNC_CONNECT_RETURN_ALLOW'),
  })
  .strict();
const connectLinkView = z.object({ url: z.string(), expiresAt: z.string() });

/** `POST /v1/tenants/{tenantId}/connect-links` (bearer key): a single-use onboarding link. */
export function connectLinkRoutes(app: FastifyInstance, deps: ApiDeps): void {
  addZodRoute(app, {
    method: 'POST',
    url: '/v1/tenants/:tenantId/connect-links',
    summary: "A single-use link to the customer's connect page (the URL is shown once; only its hash is stored)",
    tags: ['tenants'],
    params: tenantIdParams,
    body: connectLinkBody,
    responses: {
      201: { description: 'the link', schema: connectLinkView },
      400: { description: 'bad input; `fields` names each bad field', schema: errorView },
      401: { description: 'missing or invalid API key', schema: errorView },
    },
    handler: async ({ params, body, request, reply }) => {
      const tenantId = asTenantId(params.tenantId);
      const baseUrl = deps.config.publicUrl ?? `${request.protocol}://${request.host}`;
      const link = await createConnectLink({ store: deps.store, baseUrl, returnAllow: deps.config.connectReturnAllow }, tenantId, defined(body));
      deps.logger.info({ tenantId, expiresAt: link.expiresAt }, 'connect link created');
      reply.code(201);
      return link;
    },
  });
}

/**
 * `GET|POST /connect/{token}`: the customer's page, no bearer key (the link token is the
 * capability). Its own scope: only form bodies are parsed, errors render as HTML, and every answer
 * carries the page's security headers.
 */
export function connectPageRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES }, (_req, body, done) => {
      const fields: Record<string, string> = {};
      for (const [k, v] of new URLSearchParams(String(body))) if (!(k in fields)) fields[k] = v;
      done(null, fields);
    });
    // Set before the handler (which may widen form-action for a return URL) and before the API's
    // own onSend hook, which keeps a policy already set: the connect page's stricter one wins.
    scope.addHook('onRequest', async (_request, reply) => {
      reply.header('content-security-policy', connectCsp());
      reply.header('x-frame-options', 'DENY').header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
    });
    scope.setErrorHandler((error: FastifyError, request, reply) => {
      const { status } = toHttpError(error);
      if (status >= 500) request.log.error({ err: { type: error.name, code: error.code, message: error.message } }, 'connect page failed');
      const message = status === 413 ? 'The form was too large.' : status === 415 ? 'Send the form from the connect page.' : 'Something went wrong. Reload the page and try again.';
      return html(reply, status, renderNotice(status >= 500 ? 'Something went wrong' : 'Request refused', message));
    });
    scope.get('/connect/:token', { schema: { hide: true } }, async (request, reply) => {
      const state = await lookupLink(deps.store, tokenOf(request));
      if (state.state !== 'open') return notice(reply, state);
      const { scopes } = await neededScopes(deps.store, state.link.tenantId);
      return html(reply, 200, renderForm({ tenantId: state.link.tenantId, scopes, formToken: issueFormToken(state.link.formKey) }), state.link.returnUrl);
    });
    scope.post('/connect/:token', { schema: { hide: true } }, (request, reply) => submit(deps, request, reply));
  });
}

async function submit(deps: ApiDeps, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const token = tokenOf(request);
  const state = await lookupLink(deps.store, token);
  if (state.state !== 'open') return notice(reply, state);
  const { link } = state;
  const body = (request.body ?? {}) as Record<string, string | undefined>;
  const form: ConnectForm = { oktaDomain: body.oktaDomain ?? '', clientId: body.clientId ?? '', clientSecret: body.clientSecret ?? '' };
  const values = { oktaDomain: form.oktaDomain.slice(0, 253), clientId: form.clientId.slice(0, 100) };
  const { scopes } = await neededScopes(deps.store, link.tenantId);
  const again = (status: number, error: string, fields?: Record<string, string>) =>
    html(reply, status, renderForm({ tenantId: link.tenantId, scopes, formToken: issueFormToken(link.formKey), values, error, ...(fields ? { fields } : {}) }), link.returnUrl);
  if (!checkFormToken(link.formKey, body.formToken)) {
    return again(403, 'This form expired or was not sent from this page. It has been reloaded: enter the values again.');
  }
  const attempt = await deps.store.countConnectAttempt(hashToken(token), MAX_CONNECT_ATTEMPTS);
  if (attempt === undefined) return notice(reply, await lookupLink(deps.store, token));
  const outcome = await submitConnect(
    { store: deps.store, keyring: deps.keyring, domainPolicy: domainPolicyOf(deps.config), http: deps.oktaHttp, logger: deps.logger, ...(deps.onTenantConnected ? { onConnected: deps.onTenantConnected } : {}) },
    link,
    form,
  );
  const left = MAX_CONNECT_ATTEMPTS - attempt;
  const tries = left === 0 ? ' This was the last attempt this link allows.' : ` ${left} ${left === 1 ? 'attempt' : 'attempts'} left.`;
  switch (outcome.kind) {
    case 'invalid':
      return again(400, outcome.message + tries, outcome.fields);
    case 'refused':
      deps.logger.info({ tenantId: link.tenantId, attempt }, 'connect attempt refused');
      return again(422, outcome.message + tries);
    case 'used':
      return notice(reply, { state: 'used', link });
    case 'connected':
      if (outcome.ok && link.returnUrl) return reply.code(303).header('location', link.returnUrl).send();
      return html(reply, 200, renderResult({ ...outcome, returnUrl: link.returnUrl }), link.returnUrl);
  }
}

function tokenOf(request: FastifyRequest): string {
  return String((request.params as { token?: unknown }).token ?? '');
}

function notice(reply: FastifyReply, state: LinkState): FastifyReply {
  switch (state.state) {
    case 'used':
      return html(reply, 410, renderNotice('Link already used', 'This connect link has already been used to connect an Okta org. Ask for a new link to change the credentials.'));
    case 'expired':
      return html(reply, 410, renderNotice('Link expired', `This connect link expired at ${state.link.expiresAt}. Ask for a new link.`));
    case 'exhausted':
      return html(reply, 429, renderNotice('Too many attempts', `This connect link was tried ${MAX_CONNECT_ATTEMPTS} times without success and no longer works. Ask for a new link.`));
    default:
      return html(reply, 404, renderNotice('Link not valid', 'This connect link is not valid. Check that you copied the whole address, or ask for a new link.'));
  }
}

function html(reply: FastifyReply, status: number, body: string, returnUrl?: string | null): FastifyReply {
  if (returnUrl) reply.header('content-security-policy', connectCsp(new URL(returnUrl).origin));
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}

import { RESOURCES, type Resource } from '../../shared/resources.js';
import type { ResourceCheck } from '../verify-tenant.js';
import { fixFor, INTEGRATION_PATH, purposeOf } from './connect-messages.js';
import { type Html, html, page } from './html.js';

export interface FormView {
  tenantId: string;
  /** Scopes the integration will ask for, each shown with why. */
  scopes: readonly string[];
  formToken: string;
  /** Re-rendered after a failed submit: never the secret. */
  values?: { oktaDomain?: string; clientId?: string };
  /** One clear message (refused by Okta, invalid input, stale form). */
  error?: string;
  fields?: Record<string, string>;
}

/** The connect form. Works without JavaScript; every input labelled, errors announced. */
export function renderForm(view: FormView): string {
  const field = (name: string) => view.fields?.[name];
  const described = (name: string, hint: string) => (field(name) ? `${hint} ${name}-error` : hint);
  return page(
    'Connect your Okta org',
    html`<h1>Connect your Okta org</h1>
<p>Account <strong>${view.tenantId}</strong>. Paste the values Okta shows for this integration in
${INTEGRATION_PATH}. They are checked with your org before anything is saved.</p>
${view.error ? html`<div class="alert" role="alert" id="form-error"><p><strong>Not connected.</strong> ${view.error}</p></div>` : ''}
<form method="post" novalidate>
<input type="hidden" name="formToken" value="${view.formToken}">
<fieldset>
<legend>Okta credentials</legend>
<label for="oktaDomain">Okta domain</label>
<input id="oktaDomain" name="oktaDomain" type="text" required autocomplete="url" spellcheck="false" inputmode="url" maxlength="253"
 aria-describedby="${described('oktaDomain', 'oktaDomain-hint')}"${field('oktaDomain') ? html` aria-invalid="true"` : ''} value="${view.values?.oktaDomain ?? ''}">
<p class="hint" id="oktaDomain-hint">Your org's address without https://, for example <code>acme.okta.com</code>.</p>
${field('oktaDomain') ? html`<p class="hint" id="oktaDomain-error">${field('oktaDomain')}</p>` : ''}
<label for="clientId">Client ID</label>
<input id="clientId" name="clientId" type="text" required autocomplete="off" spellcheck="false" maxlength="100"
 aria-describedby="${described('clientId', 'clientId-hint')}"${field('clientId') ? html` aria-invalid="true"` : ''} value="${view.values?.clientId ?? ''}">
<p class="hint" id="clientId-hint">On the integration's General tab in Okta.</p>
${field('clientId') ? html`<p class="hint" id="clientId-error">${field('clientId')}</p>` : ''}
<label for="clientSecret">Client secret</label>
<input id="clientSecret" name="clientSecret" type="password" required autocomplete="off" maxlength="1000"
 aria-describedby="${described('clientSecret', 'clientSecret-hint')}"${field('clientSecret') ? html` aria-invalid="true"` : ''}>
<p class="hint" id="clientSecret-hint">Shown once, when the integration is added. Stored encrypted; never shown again.</p>
${field('clientSecret') ? html`<p class="hint" id="clientSecret-error">${field('clientSecret')}</p>` : ''}
</fieldset>
<button type="submit">Verify and connect</button>
</form>
<h2>What the integration reads</h2>
<p>Read-only access, one Okta scope per kind of data:</p>
<ul>
${view.scopes.map((s) => html`<li><code>${s}</code>: ${purposeOf(s)}</li>`)}
</ul>
<p>Okta also needs the integration to hold an admin role (Read-Only Administrator is enough);
without one, Okta answers with empty lists.</p>`,
  );
}

export interface ResultView {
  tenantId: string;
  neededScopes: readonly string[];
  grantedScopes: readonly string[];
  resources: Record<Resource, ResourceCheck>;
  ok: boolean;
  returnUrl: string | null;
}

/** After a successful token request: what works, what is missing and how to fix it. */
export function renderResult(view: ResultView): string {
  const missingScopes = view.neededScopes.filter((s) => !view.grantedScopes.includes(s));
  const works = RESOURCES.filter((r) => view.resources[r].readable);
  const fixes = [...new Set(RESOURCES.map((r) => fixFor(r, view.resources[r])).filter((f): f is string => f !== undefined))];
  return page(
    'Okta org connected',
    html`<h1>Okta org connected</h1>
<div class="${view.ok ? 'ok' : 'warn'}" role="status"><p>Account <strong>${view.tenantId}</strong> is connected${
      view.ok ? ' and everything was verified.' : ', but some data cannot be read yet (see below).'
    } You can close this page.</p></div>
<h2>Verified scopes</h2>
<ul>${view.grantedScopes.map((s) => html`<li><code>${s}</code> granted</li>`)}${missingScopes.map((s) => html`<li><code>${s}</code> <strong>not granted</strong></li>`)}</ul>
<h2>What works</h2>
${works.length === 0 ? html`<p>Nothing could be read yet.</p>` : html`<ul>${works.map((r) => html`<li>${label(r)}: readable${view.resources[r].note ? html` (${view.resources[r].note})` : ''}</li>`)}</ul>`}
${fixes.length === 0 ? '' : html`<h2>What is missing and how to fix it</h2><ul>${fixes.map((f) => html`<li>${f}</li>`)}</ul>`}
${view.returnUrl ? html`<p><a href="${view.returnUrl}">Continue</a></p>` : ''}`,
  );
}

const LABELS: Readonly<Record<Resource, string>> = {
  users: 'Users',
  groups: 'Groups',
  memberships: 'Group memberships',
  apps: 'Applications and assignments',
  logs: 'System Log',
};

function label(resource: Resource): string {
  return LABELS[resource];
}

/** Used, expired, exhausted, unknown, or any other dead end: one sentence and what to do. */
export function renderNotice(title: string, message: string): string {
  return page(title, html`<h1>${title}</h1><p>${message}</p>` as Html);
}

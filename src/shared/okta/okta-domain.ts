import { ValidationError } from '../errors.js';

/** Okta's own domain suffixes; an org is exactly one label in front of one of them. */
export const OKTA_SUFFIXES = ['okta.com', 'oktapreview.com', 'okta-emea.com', 'okta-gov.com', 'okta.mil'] as const;

export interface DomainPolicy {
  /** `OKTA_SYNC_ALLOW_INSECURE_LOOPBACK`: accept `127.0.0.1:PORT` / `localhost:PORT` over http. */
  allowInsecureLoopback: boolean;
  /** `OKTA_SYNC_CUSTOM_DOMAINS`: exact custom domains accepted in addition to Okta's. */
  customDomains: readonly string[];
}

/** A tenant domain that passed the policy, with the origin every request to it uses. */
export interface OktaOrigin {
  /** Normalised `host[:port]` as stored. */
  domain: string;
  /** `https://host` (or `http://127.0.0.1:PORT` for loopback in development). */
  origin: string;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const LOOPBACK = /^(127\.0\.0\.1|localhost):(\d{1,5})$/;

/**
 * Validates a tenant's Okta domain against SSRF: no scheme, userinfo, path, query, port, IP
 * literal, IDN/punycode, or host outside Okta's suffixes and the explicit allow-list. Throws a
 * `ValidationError` on the `oktaDomain` field with a one-line reason.
 */
export function parseOktaDomain(input: string, policy: DomainPolicy): OktaOrigin {
  const fail = (why: string): never => {
    throw new ValidationError(`oktaDomain ${why}`, { oktaDomain: why });
  };
  const raw = input.trim().toLowerCase();
  if (raw.length === 0 || raw.length > 253) fail('must be a host name such as acme.okta.com');
  if (/[^\x21-\x7e]/.test(raw)) fail('must be plain ASCII (no look-alike characters)');
  if (raw.includes('://')) fail('must be a host name without a scheme (https is implied)');
  if (/[@/?#\\%\s]/.test(raw)) fail('must be a bare host name (no user, path, query or fragment)');
  const loopback = LOOPBACK.exec(raw);
  if (loopback) {
    const port = Number(loopback[2]);
    if (!policy.allowInsecureLoopback) fail('is a loopback address (set OKTA_SYNC_ALLOW_INSECURE_LOOPBACK=true in development only)');
    if (port < 1 || port > 65535) fail('has an invalid port');
    return { domain: raw, origin: `http://127.0.0.1:${port}` };
  }
  if (raw.includes(':') || raw.startsWith('[')) fail('must not carry a port or be an IP literal');
  if (/^[0-9.]+$/.test(raw)) fail('must not be an IP address');
  if (raw.endsWith('.')) fail('must not end with a dot');
  const labels = raw.split('.');
  if (!labels.every((l) => LABEL.test(l))) fail('has an invalid label');
  if (labels.some((l) => l.startsWith('xn--'))) fail('must not be an internationalised (punycode) name');
  if (policy.customDomains.includes(raw)) return { domain: raw, origin: `https://${raw}` };
  const suffix = OKTA_SUFFIXES.find((s) => raw.endsWith(`.${s}`));
  if (!suffix) fail(`must be an Okta domain (*.${OKTA_SUFFIXES.join(', *.')}) or listed in OKTA_SYNC_CUSTOM_DOMAINS`);
  if (raw.split('.').length !== suffix!.split('.').length + 1) fail('must be exactly one label before the Okta suffix');
  return { domain: raw, origin: `https://${raw}` };
}

/** The origin of a stored (already validated) domain. */
export function originOf(domain: string): string {
  return LOOPBACK.test(domain) ? `http://127.0.0.1:${domain.split(':')[1]}` : `https://${domain}`;
}

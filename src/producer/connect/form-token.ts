import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a rendered form may be submitted: 2 hours (then the page renders a fresh one). */
export const FORM_TOKEN_TTL_MS = 2 * 3600 * 1000;

/**
 * The per-page CSRF token: `issuedAtMs.HMAC-SHA256(link's formKey, issuedAtMs)`. The link token is
 * the capability; this proves the POST comes from a page we rendered for that link, recently.
 */
export function issueFormToken(formKey: string, now: Date = new Date()): string {
  const issued = String(now.getTime());
  return `${issued}.${mac(formKey, issued)}`;
}

export function checkFormToken(formKey: string, token: unknown, now: Date = new Date()): boolean {
  if (typeof token !== 'string' || token.length > 200) return false;
  const [issued, sig, extra] = token.split('.');
  if (issued === undefined || sig === undefined || extra !== undefined || !/^[0-9]{1,15}$/.test(issued)) return false;
  const age = now.getTime() - Number(issued);
  if (age < -60_000 || age > FORM_TOKEN_TTL_MS) return false;
  const expected = Buffer.from(mac(formKey, issued));
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function mac(key: string, issued: string): string {
  return createHmac('sha256', key).update(`okta-sync:connect-form:${issued}`).digest('base64url');
}

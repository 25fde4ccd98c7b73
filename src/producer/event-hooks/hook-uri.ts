import { UsageError } from '../../shared/errors.js';
import type { TenantId } from '../../shared/ids.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * The channel URI Okta calls for a tenant: `<public-url>/v1/hooks/okta/<tenantId>`. Okta calls only
 * HTTPS endpoints; plain http is accepted for a loopback host with OKTA_SYNC_ALLOW_INSECURE_LOOPBACK
 * (development and tests), as for tenant domains. No userinfo, query or fragment: the secret travels
 * in a header, never in the URL.
 */
export function hookUri(publicUrl: string, tenantId: TenantId, allowInsecureLoopback: boolean): string {
  let url: URL;
  try {
    url = new URL(publicUrl);
  } catch {
    throw new UsageError('--public-url must be an absolute https:// URL');
  }
  if (url.username || url.password || url.search || url.hash) throw new UsageError('--public-url must not carry credentials, a query or a fragment');
  const insecureOk = url.protocol === 'http:' && allowInsecureLoopback && LOOPBACK.has(url.hostname);
  if (url.protocol !== 'https:' && !insecureOk) {
    throw new UsageError('--public-url must be https:// (plain http only for a loopback host with OKTA_SYNC_ALLOW_INSECURE_LOOPBACK=true)');
  }
  const base = url.href.replace(/\/+$/, '');
  return `${base}/v1/hooks/okta/${encodeURIComponent(tenantId)}`;
}

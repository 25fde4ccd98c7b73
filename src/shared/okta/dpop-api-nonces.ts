import type { OktaCredentials } from './okta-credentials.js';
import type { SharedTokenCache } from './token-shared-cache.js';

/** Okta rotates DPoP nonces daily and honours the old one for three days: keep ours a day. */
const KEEP_MS = 24 * 3600 * 1000;
/** How long a process trusts "no nonce in Redis" before reading again (orgs that never ask cost one GET per this). */
const ABSENT_RECHECK_MS = 30_000;

/**
 * The resource server's DPoP nonce per (tenant, origin), for API calls: in process, and in Redis
 * beside the token-endpoint nonce, so the `401 use_dpop_nonce` round is paid about once per
 * tenant per day across the cluster, not once per worker. Nonces are public (the org sends them
 * to anyone); they are stored in the clear.
 */
export class DpopApiNonces {
  private readonly local = new Map<string, { value: string | undefined; readAt: number }>();

  constructor(private readonly shared: SharedTokenCache | undefined) {}

  async get(creds: OktaCredentials): Promise<string | undefined> {
    const key = `${creds.tenantId}|${creds.origin}`;
    const entry = this.local.get(key);
    const now = Date.now();
    if (entry && (entry.value !== undefined || now - entry.readAt < ABSENT_RECHECK_MS)) return entry.value;
    if (!this.shared) return entry?.value;
    // A Redis blip costs at most one 401 round.
    const value = await this.shared.readApiNonce(creds.tenantId, creds.origin).catch(() => undefined);
    this.local.set(key, { value, readAt: now });
    return value;
  }

  async remember(creds: OktaCredentials, nonce: string): Promise<void> {
    const key = `${creds.tenantId}|${creds.origin}`;
    if (this.local.get(key)?.value === nonce) return;
    if (this.local.size > 10_000) this.local.clear();
    this.local.set(key, { value: nonce, readAt: Date.now() });
    await this.shared?.writeApiNonce(creds.tenantId, creds.origin, nonce, KEEP_MS).catch(() => undefined);
  }
}

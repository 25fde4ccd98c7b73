import { createHmac, timingSafeEqual } from 'node:crypto';

/** Headers of every delivery (README "Webhooks" tells receivers how to verify them). */
export const WEBHOOK_HEADERS = {
  delivery: 'x-okta-sync-delivery',
  timestamp: 'x-okta-sync-timestamp',
  signature: 'x-okta-sync-signature',
  event: 'x-okta-sync-event',
} as const;

/** `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`; `timestamp` is Unix seconds as sent. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * What a receiver does: recompute and compare in constant time, and refuse a timestamp older than
 * `toleranceSeconds` (default 300) so a captured delivery cannot be replayed later.
 */
export function verifyWebhookSignature(
  secret: string,
  headers: { timestamp: string | undefined; signature: string | undefined },
  body: string,
  options: { toleranceSeconds?: number; nowSeconds?: number } = {},
): boolean {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature || !/^[0-9]{1,12}$/.test(timestamp)) return false;
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

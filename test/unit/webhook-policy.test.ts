import { describe, expect, it } from 'vitest';
import { readConfig } from '../../src/shared/config.js';
import { ConfigError } from '../../src/shared/errors.js';
import { checkWebhookUrl, isNonPublicAddress, refuseAddress, type WebhookAddressPolicy } from '../../src/shared/webhooks/address-policy.js';
import { WEBHOOK_RETRY, webhookBackoffMs } from '../../src/shared/webhooks/webhook-retry.js';
import { signWebhook, verifyWebhookSignature } from '../../src/shared/webhooks/webhook-signature.js';

const strict: WebhookAddressPolicy = { allowInsecureLoopback: false, allow: [] };
const dev: WebhookAddressPolicy = { allowInsecureLoopback: true, allow: [] };

describe('webhook address policy', () => {
  it.each([
    ['10.1.2.3', true],
    ['172.31.255.255', true],
    ['172.32.0.1', false],
    ['192.168.0.1', true],
    ['127.0.0.1', true],
    ['169.254.169.254', true],
    ['100.64.0.1', true],
    ['100.128.0.1', false],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['255.255.255.255', true],
    ['8.8.8.8', false],
    ['::', true],
    ['::1', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['ff02::1', true],
    ['::ffff:10.0.0.1', true],
    ['::ffff:a9fe:a9fe', true],
    ['64:ff9b::a00:1', true],
    ['::ffff:8.8.8.8', false],
    ['2606:4700:4700::1111', false],
    ['not-an-ip', true],
  ])('%s is non-public: %s', (address, expected) => {
    expect(isNonPublicAddress(address)).toBe(expected);
  });

  it.each([
    ['https://hooks.example.com/x', strict, true],
    ['http://hooks.example.com/x', strict, false],
    ['http://127.0.0.1:8080/x', strict, false],
    ['http://127.0.0.1:8080/x', dev, true],
    ['https://127.0.0.1/x', strict, false],
    ['https://localhost/x', strict, false],
    ['https://10.0.0.1/x', dev, false],
    ['https://[fe80::1]/x', strict, false],
    ['https://[::ffff:169.254.169.254]/x', strict, false],
    ['https://169.254.169.254/latest/meta-data', strict, false],
    ['https://user:pw@hooks.example.com/', strict, false],
    ['ftp://hooks.example.com/', strict, false],
    ['hooks.example.com/x', strict, false],
    ['https://10.0.0.1/x', { allowInsecureLoopback: false, allow: ['10.0.0.0/8'] }, true],
  ])('checkWebhookUrl(%s) ok=%s', (url, policy, ok) => {
    expect(checkWebhookUrl(url, policy).ok).toBe(ok);
  });

  it('after DNS: a public name resolving to a private address is refused unless its host or a CIDR is allowed', () => {
    expect(refuseAddress('hooks.example.com', '93.184.216.34', 'https:', strict)).toBeUndefined();
    expect(refuseAddress('hooks.example.com', '10.0.0.7', 'https:', strict)).toMatch(/non-public address \(10\.0\.0\.7\)/);
    expect(refuseAddress('hooks.example.com', '10.0.0.7', 'https:', { allowInsecureLoopback: false, allow: ['hooks.example.com'] })).toBeUndefined();
    expect(refuseAddress('hooks.example.com', '10.0.0.7', 'https:', { allowInsecureLoopback: false, allow: ['10.0.0.0/24'] })).toBeUndefined();
    expect(refuseAddress('hooks.example.com', '10.0.1.7', 'https:', { allowInsecureLoopback: false, allow: ['10.0.0.0/24'] })).toBeDefined();
    // http reaches loopback only, with the insecure flag; an allow entry does not make http acceptable.
    expect(refuseAddress('receiver.test', '127.0.0.1', 'http:', dev)).toBeUndefined();
    expect(refuseAddress('receiver.test', '10.0.0.7', 'http:', { allowInsecureLoopback: true, allow: ['10.0.0.0/8'] })).toBeDefined();
    expect(refuseAddress('receiver.test', '127.0.0.1', 'http:', strict)).toBeDefined();
  });

  it('OKTA_SYNC_WEBHOOK_ALLOW takes host names, IPs and CIDRs and refuses anything else', () => {
    expect(readConfig({ OKTA_SYNC_WEBHOOK_ALLOW: 'Hooks.Internal.example, 10.0.0.0/8, fd00::/8, 192.168.1.5' }).webhookAllow).toEqual([
      'hooks.internal.example',
      '10.0.0.0/8',
      'fd00::/8',
      '192.168.1.5',
    ]);
    expect(readConfig({}).webhookAllow).toEqual([]);
    for (const bad of ['10.0.0.0/33', 'https://x.example', 'host/8', '10.0.0.0/', 'a b']) {
      expect(() => readConfig({ OKTA_SYNC_WEBHOOK_ALLOW: bad })).toThrow(ConfigError);
    }
  });
});

describe('webhook signature', () => {
  const secret = 'whsec-0123456789abcdef';
  const body = '{"event":"run.finished"}';
  it('is sha256=HMAC-SHA256(secret, timestamp.body) and verifies within the tolerance only', () => {
    // Known value: printf '1700000000.{"event":"run.finished"}' | openssl dgst -sha256 -hmac whsec-0123456789abcdef
    const sig = signWebhook(secret, '1700000000', body);
    expect(sig).toBe('sha256=6d2d8aa9ac59250deb9e3f736c8c64cc773950487863a1d1b058b9a015ec51d3');
    expect(verifyWebhookSignature(secret, { timestamp: '1700000000', signature: sig }, body, { nowSeconds: 1_700_000_100 })).toBe(true);
    expect(verifyWebhookSignature(secret, { timestamp: '1700000000', signature: sig }, `${body} `, { nowSeconds: 1_700_000_100 })).toBe(false);
    expect(verifyWebhookSignature('other-secret-0123456', { timestamp: '1700000000', signature: sig }, body, { nowSeconds: 1_700_000_100 })).toBe(false);
    expect(verifyWebhookSignature(secret, { timestamp: '1700000000', signature: sig }, body, { nowSeconds: 1_700_001_000 })).toBe(false);
    expect(verifyWebhookSignature(secret, { timestamp: undefined, signature: sig }, body)).toBe(false);
  });
});

describe('webhook backoff', () => {
  it.each([
    [1, 0, 5_000],
    [1, 0.999, 9_995],
    [2, 0, 10_000],
    [4, 0.5, 60_000],
    [10, 0, 1_800_000],
    [30, 1, 3_600_000],
  ])('attempt %i with random %f waits %i ms', (attempt, r, expected) => {
    expect(webhookBackoffMs(attempt, WEBHOOK_RETRY, () => r)).toBe(expected);
  });

  it('the default schedule spans about a day before the attempts run out', () => {
    let totalMin = 0;
    for (let n = 1; n < WEBHOOK_RETRY.attempts; n++) totalMin += webhookBackoffMs(n, WEBHOOK_RETRY, () => 0);
    expect(totalMin).toBeGreaterThan(WEBHOOK_RETRY.maxAgeMs);
  });
});

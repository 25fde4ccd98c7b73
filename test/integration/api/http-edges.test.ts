import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthThrottle } from '../../../src/producer/api/auth-throttle.js';
import { keyPrefix } from '../../../src/shared/redis.js';
import { type ApiHarness, json, KEY, startHarness } from './api-harness.js';

// HTTP edges (issue 14, point 6) over real HTTP where the edge is below fastify's inject.

let h: ApiHarness;
let proxied: ApiHarness;
let url: string;

beforeAll(async () => {
  [h, proxied] = await Promise.all([startHarness('http-edges'), startHarness('http-edges-proxy', { env: { OKTA_SYNC_TRUST_PROXY: 'true' } })]);
  url = await h.app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await Promise.all([h?.close(), proxied?.close()]);
});

/** Sends bytes as they are (fetch would normalise the URL) and returns status line and body. */
function raw(request: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(request));
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString()));
    socket.on('close', () => {
      const [head = '', ...rest] = out.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body: rest.join('\r\n\r\n') });
    });
    socket.on('error', reject);
  });
}

const AUTH = `Authorization: Bearer ${KEY}\r\n`;

describe('framework errors in the {error: {code, message}} shape, without the path', () => {
  it.each([
    ['a malformed URL (FST_ERR_BAD_URL)', `GET /v1/tenants/%zzsecret-in-path HTTP/1.1\r\nHost: x\r\n${AUTH}Connection: close\r\n\r\n`, 400],
    ['an over-long path parameter (414)', `GET /v1/tenants/secret-in-path${'a'.repeat(300)} HTTP/1.1\r\nHost: x\r\n${AUTH}Connection: close\r\n\r\n`, 414],
    ['an over-long URL (431)', `GET /v1/tenants/x?secret-in-path=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`, 431],
    ['over-large headers (431)', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: secret-in-path${'a'.repeat(20_000)}\r\n\r\n`, 431],
    ['an unparsable request line', 'GARBAGE secret-in-path\r\n\r\n', 400],
    ['a broken JSON body', `PUT /v1/tenants/x HTTP/1.1\r\nHost: x\r\n${AUTH}Content-Type: application/json\r\nContent-Length: 20\r\nConnection: close\r\n\r\n{"s":secret-in-path}`, 400],
  ])('%s', async (_what, request, status) => {
    const res = await raw(request);
    expect(res.status).toBe(status);
    const body = JSON.parse(res.body) as { error: { code: string; message: string } };
    expect(body.error).toEqual({ code: expect.any(String), message: expect.any(String) });
    expect(res.body).not.toContain('secret-in-path');
  });
});

describe('browser sessions', () => {
  async function login(harness: ApiHarness, headers: Record<string, string> = {}): Promise<{ cookie: string; setCookie: string }> {
    const res = await harness.call({ method: 'GET', url: `/admin/queues?key=${KEY}`, key: null, headers });
    expect(res.statusCode).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    return { cookie: setCookie.split(';')[0] ?? '', setCookie };
  }
  const board = (harness: ApiHarness, cookie: string) => harness.call({ method: 'GET', url: '/admin/queues/api/queues', key: null, headers: { cookie } });

  it('are random per login and kept server-side, so deleting them revokes them', async () => {
    const a = await login(h);
    const b = await login(h);
    expect(a.cookie).not.toBe(b.cookie);
    expect((await board(h, a.cookie)).statusCode).toBe(200);
    expect((await board(h, b.cookie)).statusCode).toBe(200);
    // One SCAN call may cover only part of the suite's shared Redis: walk the whole cursor.
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [nextCursor, batch] = await h.redis.scan(cursor, 'MATCH', `${keyPrefix(h.config.queuePrefix)}:session:*`, 'COUNT', 1_000);
      keys.push(...batch);
      cursor = nextCursor;
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThanOrEqual(2);
    // Redis holds a hash of the token, never the token.
    expect(keys.join(' ')).not.toContain(a.cookie.split('=')[1]);
    await h.redis.unlink(...keys);
    expect((await board(h, a.cookie)).statusCode).toBe(401);
    expect((await board(h, b.cookie)).statusCode).toBe(401);
  });

  it('end when their key leaves OKTA_SYNC_API_KEYS (another process with other keys)', async () => {
    const { cookie } = await login(h);
    const other = await startHarness('http-edges-rekeyed', { env: { QUEUE_PREFIX: h.config.queuePrefix, OKTA_SYNC_API_KEYS: 'a-completely-different-key-0123456789abcdef' } });
    try {
      expect((await board(other, cookie)).statusCode).toBe(401);
      expect((await board(h, cookie)).statusCode).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('are Secure behind TLS only when the proxy is trusted', async () => {
    const direct = await login(h, { 'x-forwarded-proto': 'https' });
    expect(direct.setCookie).not.toContain('Secure');
    const viaProxy = await login(proxied, { 'x-forwarded-proto': 'https' });
    expect(viaProxy.setCookie).toMatch(/; Secure/);
  });
});

describe('UI pages', () => {
  it('send a frame ban and a content-security policy', async () => {
    for (const path of ['/docs', '/admin/queues']) {
      const res = await h.call({ method: 'GET', url: path });
      expect(res.statusCode, path).toBe(200);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(String(res.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    }
  });
});

describe('failed authentication from one address', () => {
  let strict: ApiHarness;
  beforeAll(async () => {
    strict = await startHarness('http-edges-throttle', { authThrottle: createAuthThrottle({ freeFailures: 3, baseLockMs: 60_000 }) });
  });
  afterAll(async () => {
    await strict?.close();
  });

  it('is locked out (429, even with the right key) after a few wrong keys, other addresses unaffected', async () => {
    const from = (remoteAddress: string, key: string) => strict.call({ method: 'GET', url: '/v1/tenants/x', key, remoteAddress });
    for (let i = 0; i < 3; i++) expect((await from('10.9.0.1', 'wrong-key')).statusCode).toBe(401);
    expect((await from('10.9.0.1', 'wrong-key')).statusCode).toBe(401);
    const locked = await from('10.9.0.1', KEY);
    expect(locked.statusCode).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(json<{ error: { code: string } }>(locked).error.code).toBe('too_many_failed_attempts');
    expect((await from('10.9.0.2', KEY)).statusCode).toBe(404);
  });

  it('with the default settings: five wrong keys free, then 429', async () => {
    const prod = await startHarness('http-edges-default', { authThrottle: createAuthThrottle() });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 7; i++) codes.push((await prod.call({ method: 'GET', url: '/v1/tenants/x', key: `wrong-${i}`, remoteAddress: '10.9.1.1' })).statusCode);
      expect(codes).toEqual([401, 401, 401, 401, 401, 401, 429]);
    } finally {
      await prod.close();
    }
  });
});

import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOktaHttp, type OktaHttp, type OktaHttpOptions } from '../../../src/shared/okta/okta-http.js';
import { sleep, startTestServer, type TestServer } from './http-server.js';
import { failure } from './http-server.js';

/** The undici layer against a real node:http server on port 0: pool, timeouts, size cap, gzip, no redirects, resets. */
let server: TestServer;
let other: TestServer;
const clients: OktaHttp[] = [];

beforeAll(async () => {
  server = await startTestServer();
  other = await startTestServer();
});
afterAll(async () => {
  await server.close();
  await other.close();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  server.requests.length = 0;
  other.requests.length = 0;
});

function http(options: OktaHttpOptions = {}): OktaHttp {
  const c = createOktaHttp(options);
  clients.push(c);
  return c;
}

const get = (c: OktaHttp, path = '/api/v1/users') => c.request({ method: 'GET', url: `${server.origin}${path}`, headers: { authorization: 'Bearer t' } });

describe('okta-http', () => {
  it('keeps connections alive across requests to an origin and asks for gzip and JSON', async () => {
    server.handler = (_req, res) => res.end('[]');
    const c = http();
    const before = server.connections;
    for (let i = 0; i < 20; i++) expect((await get(c)).body).toBe('[]');
    // undici may open a second socket while the first finishes its response; then both are reused.
    expect(server.connections - before).toBeLessThanOrEqual(2);
    expect(server.requests[0]?.headers).toMatchObject({ 'accept-encoding': 'gzip', accept: 'application/json', authorization: 'Bearer t' });
  });

  it('decodes a gzip body', async () => {
    const json = JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ id: `00u${i}` })));
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'application/json' });
      res.end(gzipSync(json));
    };
    expect((await get(http())).body).toBe(json);
  });

  it('refuses a body over the cap, declared or streamed', async () => {
    server.handler = (req, res) => {
      if (req.url?.includes('chunked')) {
        res.writeHead(200);
        res.write('x'.repeat(600));
        res.end('x'.repeat(600));
      } else res.end('x'.repeat(2_000));
    };
    const c = http({ maxBodyBytes: 1_000 });
    expect((await failure(get(c, '/declared'))).code).toBe('okta_response_too_large');
    expect((await failure(get(c, '/chunked'))).code).toBe('okta_response_too_large');
  });

  it('stops reading an endless body at the cap: the request is aborted, not read to the end', async () => {
    let sent = 0;
    let closed = false;
    server.handler = (_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const pump = () => {
        while (!res.destroyed && sent < 1024 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      res.once('close', () => {
        closed = true;
      });
      pump();
    };
    expect((await failure(get(http({ maxBodyBytes: 256 * 1024 })))).code).toBe('okta_response_too_large');
    await vi.waitFor(() => expect(closed).toBe(true), { timeout: 5_000 });
    // Far less than the 1 GiB the server would have sent: only what sat in socket buffers on top.
    expect(sent).toBeLessThan(64 * 1024 * 1024);
  });

  it('caps the decoded size of gzip too (a small body that inflates enormously)', async () => {
    const bomb = gzipSync(Buffer.alloc(5_000_000, 0x20));
    expect(bomb.length).toBeLessThan(10_000);
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.end(bomb);
    };
    expect((await failure(get(http({ maxBodyBytes: 100_000 })))).code).toBe('okta_response_too_large');
  });

  it.each([
    ['corrupt gzip', { 'content-encoding': 'gzip' }, Buffer.from('definitely not gzip')],
    ['an encoding not asked for', { 'content-encoding': 'br' }, Buffer.from('[]')],
  ])('refuses %s as a bad response', async (_name, headers, body) => {
    server.handler = (_req, res) => {
      res.writeHead(200, headers);
      res.end(body);
    };
    expect((await failure(get(http()))).code).toBe('okta_bad_response');
  });

  it('times out waiting for headers', async () => {
    server.handler = () => undefined;
    const started = Date.now();
    const e = await failure(get(http({ headersTimeoutMs: 300 })));
    expect(e.code).toBe('okta_network');
    expect(e.message).toContain('UND_ERR_HEADERS_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out on a body that stops arriving', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('[');
    };
    const e = await failure(get(http({ bodyTimeoutMs: 300 })));
    expect(e.code).toBe('okta_network');
    expect(e.message).toContain('UND_ERR_BODY_TIMEOUT');
  });

  it('bounds the whole exchange, even when bytes keep trickling in', async () => {
    server.handler = (_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    };
    const started = Date.now();
    const e = await failure(get(http({ bodyTimeoutMs: 200, requestTimeoutMs: 600 })));
    expect(e.code).toBe('okta_network');
    expect(e.message).toContain('request timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('does not follow a redirect: the 3xx comes back and the target is never asked', async () => {
    server.handler = (_req, res) => {
      res.writeHead(302, { location: `${other.origin}/api/v1/users` });
      res.end();
    };
    const res = await get(http());
    expect(res.status).toBe(302);
    await sleep(50);
    expect(other.requests).toHaveLength(0);
  });

  it('turns a connection reset into okta_network, and the next request works on a new connection', async () => {
    let first = true;
    server.handler = (req, res) => {
      if (first) {
        first = false;
        req.socket.destroy();
      } else res.end('[]');
    };
    const c = http();
    const e = await failure(get(c));
    expect(e.code).toBe('okta_network');
    expect(e.message).not.toContain('Bearer');
    expect((await get(c)).body).toBe('[]');
  });

  it('turns a refused connection into okta_network', async () => {
    const closed = await startTestServer();
    const url = `${closed.origin}/api/v1/users`;
    await closed.close();
    const e = await failure(http().request({ method: 'GET', url, headers: {} }));
    expect(e.code).toBe('okta_network');
    expect(e.context.path).toBe('/api/v1/users');
  });
});

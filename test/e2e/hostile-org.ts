import { createHash } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for an Okta org that misbehaves on purpose (issue 14), written in the test suite so
 * that it shares nothing with the product or the simulator. One server on port 0 serves every
 * tenant: the client id of the token request picks the behaviour, tokens name their client, and
 * every exchange is recorded.
 */
export const HOSTILE_MODES = [
  'honest', // two users, no next link
  'huge', // every list answers a 30 MiB page (chunked, no Content-Length) with a next link
  'near-cap', // three pages of 200 items each just under the default 4 MiB cap, then the end
  'cycle', // after=A → B → A
  'increasing', // after=n → n+1 forever, the same two users on every page
  'empty-increasing', // after=n → n+1 forever, every page empty
  'endless', // after=n → n+1 forever, new users on every page
  'reset-bomb', // first users page: 429 with X-Rate-Limit-Reset 9999999999, then honest
  'error-bomb', // users: 400 with an 8 MiB errorSummary
] as const;
export type HostileMode = (typeof HOSTILE_MODES)[number];

export interface Exchange {
  clientId: string;
  kind: 'token' | 'api';
  path: string;
  after: string | null;
  /** Digest of the client secret the token was obtained with (token requests and API calls). */
  secret: string;
  at: number;
}

export interface HostileOrg {
  /** `127.0.0.1:PORT`, a tenant domain (with OKTA_SYNC_ALLOW_INSECURE_LOOPBACK=true). */
  domain: string;
  exchanges: Exchange[];
  close(): Promise<void>;
}

export const MiB = 1024 * 1024;
const HUGE_BYTES = 30 * MiB;

export const secretDigest = (secret: string): string => createHash('sha256').update(secret).digest('hex').slice(0, 12);

/** `huge-3` → `huge`; `empty-increasing-1` → `empty-increasing`. */
export function modeOf(clientId: string): HostileMode {
  const mode = clientId.replace(/-\d+$/, '');
  if (!(HOSTILE_MODES as readonly string[]).includes(mode)) throw new Error(`no hostile mode for client ${clientId}`);
  return mode as HostileMode;
}

export async function startHostileOrg(): Promise<HostileOrg> {
  const exchanges: Exchange[] = [];
  const tokens = new Map<string, { clientId: string; secret: string }>();
  const resetBombed = new Set<string>();
  // One huge page for every request: a JSON array of ~30 MiB of users.
  const user = (id: string) => ({ id, status: 'ACTIVE', created: '2024-01-01T00:00:00.000Z', lastUpdated: '2024-01-01T00:00:00.000Z', profile: { login: `${id}@example.com`, pad: 'p'.repeat(400) } });
  const parts: string[] = [];
  for (let i = 0, size = 2; size < HUGE_BYTES; i++) {
    const s = JSON.stringify(user(`00uhuge${i}`));
    parts.push(s);
    size += s.length + 1;
  }
  const huge = Buffer.from(`[${parts.join(',')}]`);
  let port = 0;
  const base = () => `http://127.0.0.1:${port}`;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('clientError', (_err, socket) => socket.destroy());

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    const url = new URL(req.url ?? '/', base());
    res.on('error', () => undefined);
    if (req.method === 'POST' && url.pathname === '/oauth2/v1/token') return token(req, res);
    const auth = String(req.headers.authorization ?? '');
    const held = tokens.get(auth.replace(/^Bearer /, ''));
    if (!held) return json(res, 401, { errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
    exchanges.push({ clientId: held.clientId, kind: 'api', path: url.pathname, after: url.searchParams.get('after'), secret: held.secret, at: Date.now() });
    return api(modeOf(held.clientId), held.clientId, url, res);
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const basic = Buffer.from(String(req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString('utf8');
    const [clientId = '', secret = ''] = basic.split(':');
    exchanges.push({ clientId, kind: 'token', path: '/oauth2/v1/token', after: null, secret: secretDigest(secret), at: Date.now() });
    const value = `tok.${clientId}.${tokens.size}`;
    tokens.set(value, { clientId, secret: secretDigest(secret) });
    const scope = new URLSearchParams(body).get('scope') ?? '';
    json(res, 200, { token_type: 'Bearer', expires_in: 3600, access_token: value, scope });
  }

  function api(mode: HostileMode, clientId: string, url: URL, res: ServerResponse): ServerResponse {
    const after = url.searchParams.get('after');
    const n = after === null ? 0 : Number(after.replace(/\D/g, '')) || 0;
    const next = (cursor: string) => `<${base()}${url.pathname}?limit=${url.searchParams.get('limit') ?? 200}&after=${cursor}>; rel="next"`;
    const users = url.pathname === '/api/v1/users';
    switch (mode) {
      case 'huge':
        return streamHuge(res, next(`h${n + 1}`));
      case 'near-cap': {
        const page = Array.from({ length: 200 }, (_, i) => ({ ...user(`${clientId}${url.pathname}-p${n}-${i}`), notes: 'n'.repeat(19_500) }));
        return json(res, 200, page, n < 2 ? next(`c${n + 1}`) : undefined);
      }
      case 'cycle': {
        const to = after === 'A' ? 'B' : 'A';
        return json(res, 200, [user(`${clientId}-u${after ?? '0'}`)], next(to));
      }
      case 'increasing':
        return json(res, 200, [user(`${clientId}-u1`), user(`${clientId}-u2`)], next(`i${n + 1}`));
      case 'empty-increasing':
        return json(res, 200, [], next(`e${n + 1}`));
      case 'endless':
        return json(res, 200, [user(`${clientId}-u${n}`)], next(`n${n + 1}`));
      case 'reset-bomb':
        if (users && !resetBombed.has(clientId)) {
          resetBombed.add(clientId);
          return json(res, 429, { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' }, undefined, {
            'x-rate-limit-limit': '600',
            'x-rate-limit-remaining': '0',
            'x-rate-limit-reset': '9999999999',
          });
        }
        return json(res, 200, users ? [user(`${clientId}-u1`)] : []);
      case 'error-bomb':
        if (users) return json(res, 400, { errorCode: 'E0000001', errorSummary: `Api validation failed: ${'x'.repeat(8 * MiB)}`, errorId: 'oae1' });
        return json(res, 200, []);
      case 'honest':
        return json(res, 200, users ? [user(`${clientId}-u1`), user(`${clientId}-u2`)] : []);
    }
  }

  function rateHeaders(): Record<string, string> {
    return { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '599', 'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 60) };
  }

  function json(res: ServerResponse, status: number, body: unknown, link?: string, headers: Record<string, string> = rateHeaders()): ServerResponse {
    const text = Buffer.from(JSON.stringify(body));
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(text.length), ...headers, ...(link ? { link } : {}) });
    return res.end(text);
  }

  /** Chunked, so the client cannot refuse it from Content-Length: it must stop reading on its own. */
  function streamHuge(res: ServerResponse, link: string): ServerResponse {
    res.writeHead(200, { 'content-type': 'application/json', ...rateHeaders(), link });
    let offset = 0;
    const pump = () => {
      while (offset < huge.length && !res.destroyed) {
        const chunk = huge.subarray(offset, offset + MiB);
        offset += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end();
    };
    res.once('close', () => {
      offset = huge.length;
    });
    pump();
    return res;
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  return {
    domain: `127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HeaderMap, Reply } from './reply.js';

const MAX_BODY = 1024 * 1024;

/** Reads a request body as text, refusing more than 1 MiB. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('request body over 1 MiB'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

export interface BodyDamage {
  /** Cut the JSON in half (with a matching Content-Length, so only the JSON is broken). */
  malformed: boolean;
  /** Trickle the body out over this many ms. */
  slowBodyMs: number;
}

const NO_DAMAGE: BodyDamage = { malformed: false, slowBodyMs: 0 };
const SLOW_CHUNKS = 10;

/** Writes a reply with extra headers (rate limits), optionally damaging the body. */
export function writeReply(res: ServerResponse, reply: Reply, extra: HeaderMap, damage: BodyDamage = NO_DAMAGE): void {
  let body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
  if (damage.malformed && body.length > 1) body = body.subarray(0, Math.floor(body.length / 2));
  res.writeHead(reply.status, { ...reply.headers, ...extra, 'content-length': String(body.length) });
  if (damage.slowBodyMs <= 0 || body.length < SLOW_CHUNKS) {
    res.end(body);
    return;
  }
  const size = Math.ceil(body.length / SLOW_CHUNKS);
  let offset = 0;
  const step = (): void => {
    if (res.destroyed) return;
    const chunk = body.subarray(offset, offset + size);
    offset += size;
    if (offset >= body.length) res.end(chunk);
    else {
      res.write(chunk);
      setTimeout(step, damage.slowBodyMs / SLOW_CHUNKS).unref();
    }
  };
  step();
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

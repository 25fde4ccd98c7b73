import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OktaError } from '../../../src/shared/okta/okta-errors.js';

/**
 * A real HTTP server on port 0 for the Okta client tests: each test sets `handler`; the server
 * records every request and every TCP connection it accepted.
 */
export interface TestServer {
  origin: string;
  requests: { method: string; url: string; headers: IncomingMessage['headers'] }[];
  connections: number;
  handler: (req: IncomingMessage, res: ServerResponse) => void;
  close(): Promise<void>;
}

export async function startTestServer(): Promise<TestServer> {
  const state: TestServer = {
    origin: '',
    requests: [],
    connections: 0,
    handler: (_req, res) => res.end('[]'),
    close: async () => undefined,
  };
  const server: Server = createServer({ keepAliveTimeout: 10_000 }, (req, res) => {
    state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    state.handler(req, res);
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Awaits a promise that must reject with an OktaError, and returns that error. */
export async function failure(promise: Promise<unknown>): Promise<OktaError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof OktaError) return error;
    throw error;
  }
  throw new Error('expected an OktaError');
}

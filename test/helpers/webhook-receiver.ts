import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the receiver got. */
export interface ReceivedDelivery {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The status the receiver answered with. */
  status: number;
}

/** A real HTTP webhook receiver on 127.0.0.1, port 0, recording every request. */
export interface WebhookReceiver {
  url: string;
  port: number;
  received: ReceivedDelivery[];
  close(): Promise<void>;
}

/**
 * `respond(n, req)` decides the n-th (0-based) answer: a status, or a function that writes the
 * response itself (slow, large or redirecting answers). Default 204.
 */
export async function startWebhookReceiver(
  respond: (n: number, delivery: Omit<ReceivedDelivery, 'status'>) => number | ((res: ServerResponse) => void) = () => 204,
): Promise<WebhookReceiver> {
  const received: ReceivedDelivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const delivery = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const answer = respond(received.length, delivery);
      received.push({ ...delivery, status: typeof answer === 'number' ? answer : 0 });
      if (typeof answer === 'number') res.writeHead(answer).end();
      else answer(res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hooks/okta-sync`,
    port,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorBody } from './http-errors.js';

/**
 * Errors fastify and Node answer before any route runs, in our `{error: {code, message}}` shape.
 * Their own bodies quote the path (`'/v1/tenants/%zz' is not a valid url component`), which may
 * carry a key or a secret someone pasted into a URL, so the path is never echoed.
 */
const ROUTING: Readonly<Record<string, { status: number; code: string; message: string }>> = {
  FST_ERR_BAD_URL: { status: 400, code: 'bad_request', message: 'the URL is malformed' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', message: 'a path parameter is too long' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 500, code: 'internal', message: 'internal error' },
};

/** fastify's `frameworkErrors` option: routing failures (bad URL, over-long parameter). */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const known = ROUTING[error.code] ?? { status: 400, code: 'bad_request', message: 'request rejected' };
  void reply.code(known.status).type('application/json; charset=utf-8').send(body(known.code, known.message));
}

/**
 * fastify's `clientErrorHandler`: what Node's HTTP parser refuses (431 headers or URL too large,
 * 408 timeout, 400 unparsable request line), written to the socket as fastify would, in our shape.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'the request line or headers exceed the size limit']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'the request took too long to arrive']
        : [400, 'bad_request', 'the request is not valid HTTP'];
  const text = JSON.stringify(body(code, message));
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
}

function body(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

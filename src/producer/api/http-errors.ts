import { z } from 'zod';
import { NotFoundError, OktaSyncError, ValidationError } from '../../shared/errors.js';
import { CursorExpiredError } from '../../shared/store/change-feed.js';

/** The JSON error body of every non-2xx answer (DESIGN.md "HTTP API"). */
export interface ErrorBody {
  /** `restartCursor` only on 410 `cursor_expired` (the change feed). */
  error: { code: string; message: string; fields?: Record<string, string>; restartCursor?: string };
}

/** A request the API refuses with a given status and stable code (409, 401, 415…). */
export class HttpError extends OktaSyncError {
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message);
    this.status = status;
  }
}

/**
 * Fastify's own client errors, mapped to fixed messages. Fastify's messages for a broken JSON
 * body quote part of the body (which may hold a client secret), so they are never echoed.
 */
const FASTIFY_ERRORS: Readonly<Record<string, { status: number; code: string; message: string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'request body exceeds 1 MB' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'send the body as application/json' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'bad_request', message: 'request body is empty' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'bad_request', message: 'content-length does not match the body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'bad_request', message: 'request body is not valid JSON' },
};

/** Turns anything a handler or fastify throws into a status and the error body. */
export function toHttpError(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof HttpError) return answer(error.status, error.code, error.message);
  if (error instanceof ValidationError) return answer(400, 'bad_request', error.message, error.fields);
  if (error instanceof z.ZodError) {
    const fields = zodFields(error);
    return answer(400, 'bad_request', `invalid ${Object.keys(fields).join(', ')}`, fields);
  }
  if (error instanceof NotFoundError) return answer(404, 'not_found', error.message);
  if (error instanceof CursorExpiredError) {
    return { status: 410, body: { error: { code: error.code, message: error.message, restartCursor: error.restartCursor } } };
  }
  const fastify = fastifyError(error);
  if (fastify) return fastify;
  return answer(500, 'internal', 'internal error');
}

function fastifyError(error: unknown): { status: number; body: ErrorBody } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  const known = typeof code === 'string' ? FASTIFY_ERRORS[code] : undefined;
  if (known) return answer(known.status, known.code, known.message);
  // A JSON.parse failure inside fastify's parser carries statusCode 400 and the body in its message.
  if (error instanceof SyntaxError || (statusCode === 400 && typeof code !== 'string')) {
    return answer(400, 'bad_request', 'request body is not valid JSON');
  }
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return answer(statusCode, 'bad_request', 'request rejected');
  }
  return undefined;
}

/** `{ "resources.0": "Invalid option…", "oktaDomain": "…" }`: one message per field path. */
export function zodFields(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) fields[[...issue.path, key].join('.')] ??= 'unknown field';
      continue;
    }
    const path = issue.path.length === 0 ? '(body)' : issue.path.map(String).join('.');
    fields[path] ??= issue.message;
  }
  return fields;
}

function answer(status: number, code: string, message: string, fields?: Record<string, string>): { status: number; body: ErrorBody } {
  return { status, body: { error: { code, message, ...(fields && Object.keys(fields).length > 0 ? { fields } : {}) } } };
}

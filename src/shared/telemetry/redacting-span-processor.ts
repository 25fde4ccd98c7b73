import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** Attribute keys that name a credential wherever an instrumentation puts them (headers included). */
const SECRET_KEY = /authorization|cookie|secret|password|passwd|assertion|credential|api[_-]?key|dpop|(^|[._-])(access|id|refresh)?[_-]?token$/i;
/** Values that look like a presented credential or a JWT (tokens, client assertions, DPoP proofs). */
const SECRET_VALUE = /\b(bearer|dpop|basic)\s+[A-Za-z0-9._~+/=-]{8,}|\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/i;
/** URL attributes whose query string is dropped (Okta cursors and filters are not for traces). */
const URL_KEYS = new Set(['url.full', 'http.url', 'http.target', 'url.original', 'url.path']);
const QUERY_KEYS = new Set(['url.query']);
/** A connect link's token is a capability in the path (`/connect/<token>`): never in a trace. */
const CONNECT_TOKEN = /\/connect\/[^/?#]+/;

/**
 * The last line of defence for DESIGN.md "Security": runs first, just before a span ends, and
 * removes credential-like attributes, credential-like values, URL query strings and userinfo,
 * whatever instrumentation (ours or a library's) set them. Our own spans never set such values.
 */
export class RedactingSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    const attributes = span.attributes as Record<string, unknown>;
    for (const key of Object.keys(attributes)) {
      const value = attributes[key];
      if (SECRET_KEY.test(key) || QUERY_KEYS.has(key)) {
        delete attributes[key];
      } else if (typeof value === 'string') {
        if (URL_KEYS.has(key)) attributes[key] = withoutQuery(value).replace(CONNECT_TOKEN, '/connect/:token');
        else if (SECRET_VALUE.test(value)) attributes[key] = '[redacted]';
      }
    }
    for (const event of span.events) {
      const eventAttributes = (event.attributes ?? {}) as Record<string, unknown>;
      for (const [key, value] of Object.entries(eventAttributes)) {
        if (SECRET_KEY.test(key) || (typeof value === 'string' && SECRET_VALUE.test(value))) eventAttributes[key] = '[redacted]';
      }
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** `https://user:pw@host/path?q` → `https://host/path`; a bare path loses its query too. */
export function withoutQuery(value: string): string {
  try {
    const url = new URL(value);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    return url.href;
  } catch {
    return value.split(/[?#]/)[0] ?? '';
  }
}

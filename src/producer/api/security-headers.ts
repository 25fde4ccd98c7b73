import type { FastifyReply } from 'fastify';

/**
 * The content-security policy of every answer (the pages at /docs and /admin/queues load only
 * their own scripts; Swagger UI and Bull Board set inline `style` attributes and use data: images
 * and fonts). `frame-ancestors 'none'` plus `X-Frame-Options: DENY` keep the pages out of frames
 * (clickjacking a Bull Board session). A route that sets its own policy keeps it.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function setSecurityHeaders(reply: FastifyReply): void {
  reply.header('x-content-type-options', 'nosniff');
  if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  if (!reply.hasHeader('x-frame-options')) reply.header('x-frame-options', 'DENY');
  if (!reply.hasHeader('referrer-policy')) reply.header('referrer-policy', 'no-referrer');
}

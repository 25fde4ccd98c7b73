import { ValidationError } from '../errors.js';

/** Opaque keyset cursors for object listings: the last oktaId, base64url so callers don't parse it. */
export function encodeCursor(oktaId: string): string {
  return Buffer.from(oktaId, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(cursor)) throw new ValidationError('after is not a valid cursor', { after: 'invalid cursor' });
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

import { describe, expect, it } from 'vitest';
import { MAX_ERROR_TEXT_BYTES, clipText } from '../../src/shared/clip-text.js';
import { OktaSyncError } from '../../src/shared/errors.js';

describe('clipText', () => {
  it.each([
    ['short ASCII', 'boom', 'boom'],
    ['exactly the limit', 'a'.repeat(MAX_ERROR_TEXT_BYTES), 'a'.repeat(MAX_ERROR_TEXT_BYTES)],
  ])('keeps text that fits (%s)', (_name, text, expected) => {
    expect(clipText(text)).toBe(expected);
  });

  it.each([
    ['ASCII', 'x'.repeat(8 * 1024 * 1024)],
    ['two-byte characters', 'é'.repeat(5_000)],
    ['three-byte characters', '€'.repeat(5_000)],
    ['surrogate pairs', '😀'.repeat(5_000)],
    ['mixed', `a${'😀é€'.repeat(3_000)}`],
  ])('clips to at most 2 KiB of UTF-8 without breaking a character (%s)', (_name, text) => {
    const out = clipText(text);
    expect(Buffer.byteLength(out, 'utf8')).toBeLessThanOrEqual(MAX_ERROR_TEXT_BYTES);
    expect(Buffer.byteLength(out, 'utf8')).toBeGreaterThan(MAX_ERROR_TEXT_BYTES - 20);
    expect(out.endsWith('… (truncated)')).toBe(true);
    const kept = out.slice(0, -'… (truncated)'.length);
    expect(text.startsWith(kept)).toBe(true);
    expect(kept).not.toContain('\uFFFD');
  });

  it('honours a smaller bound', () => {
    expect(Buffer.byteLength(clipText('y'.repeat(1_000), 100))).toBeLessThanOrEqual(100);
  });

  it('bounds every error of the hierarchy', () => {
    const e = new OktaSyncError('x', 'z'.repeat(1_000_000));
    expect(Buffer.byteLength(e.message)).toBeLessThanOrEqual(MAX_ERROR_TEXT_BYTES);
  });
});

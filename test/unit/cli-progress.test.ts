import { describe, expect, it } from 'vitest';
import { counted } from '../../src/cli/progress.js';

describe('counted', () => {
  it.each([
    [0, '0 pages'],
    [1, '1 page'],
    [2, '2 pages'],
  ])('%i page(s) reads "%s"', (n, text) => {
    expect(counted(n, 'page')).toBe(text);
  });
});

import { describe, expect, it } from 'vitest';
import { PAGE_COST_FACTOR, PAGE_MEMORY_BUDGET_BYTES, responseCapFor } from '../../src/workers/memory-budget.js';

const MiB = 1024 * 1024;

describe('responseCapFor', () => {
  it.each([
    [1, 32 * MiB],
    [10, 4 * MiB],
    [20, 2 * MiB],
    [1_000, 256 * 1024],
  ])('concurrency %i → %i bytes', (concurrency, cap) => {
    expect(responseCapFor(concurrency)).toBe(cap);
  });

  it.each([2, 5, 10, 16, 40])('every slot busy at the cap fits the page budget (concurrency %i)', (concurrency) => {
    expect(concurrency * PAGE_COST_FACTOR * responseCapFor(concurrency)).toBeLessThanOrEqual(PAGE_MEMORY_BUDGET_BYTES);
  });
});

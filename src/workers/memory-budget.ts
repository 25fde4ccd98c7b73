/**
 * How much of a worker's memory Okta pages may take. A page in flight costs about
 * `PAGE_COST_FACTOR` times its body size (the body's chunks, the decoded text, the parsed objects
 * and the rows written from them; measured ≈ 2.3× for text + objects alone), so with every slot
 * busy on pages at the cap the worker holds about `concurrency × factor × cap`. Kept under
 * `PAGE_MEMORY_BUDGET_BYTES`, plus the process's own ~100 MB, that fits a 384 MiB container.
 */
export const PAGE_MEMORY_BUDGET_BYTES = 200 * 1024 * 1024;
export const PAGE_COST_FACTOR = 5;
const MIN_CAP = 256 * 1024;
const MAX_CAP = 32 * 1024 * 1024;

/** The response byte cap for a worker running `concurrency` jobs at once (4 MiB at 10). */
export function responseCapFor(concurrency: number): number {
  const share = Math.floor(PAGE_MEMORY_BUDGET_BYTES / (PAGE_COST_FACTOR * Math.max(1, concurrency)));
  return Math.min(MAX_CAP, Math.max(MIN_CAP, share));
}

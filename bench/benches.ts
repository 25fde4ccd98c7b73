import type { Bench } from './bench-types.js';
import { rateBudgetBench } from './rate-budget.js';
import { tokenCacheBench } from './token-cache.js';

/** Every benchmark, in the order the table prints them. Each issue's bench registers here. */
export const benches: Bench[] = [tokenCacheBench, rateBudgetBench];

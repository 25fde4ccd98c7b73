import type { Bench } from './bench-types.js';
import { changeFeedBench } from './change-feed.js';
import { e2eThroughputBench } from './e2e-throughput.js';
import { simThroughputBench } from './okta-sim-throughput.js';
import { storeGrowthBench } from './store-growth.js';
import { parallelListingBench } from './parallel-listing.js';
import { queueShardsBench } from './queue-shards.js';
import { rateBudgetBench } from './rate-budget.js';
import { rssBench } from './rss-200k.js';
import { syncFairnessBench } from './sync-fairness.js';
import { syncThroughputBench } from './sync-throughput.js';
import { tokenCacheBench } from './token-cache.js';
import { watchLagBench } from './watch-lag.js';

/** Every benchmark, in the order the table prints them. Each issue's bench registers here. */
export const benches: Bench[] = [
  simThroughputBench,
  e2eThroughputBench,
  rssBench,
  tokenCacheBench,
  rateBudgetBench,
  syncThroughputBench,
  syncFairnessBench,
  changeFeedBench,
  storeGrowthBench,
  parallelListingBench,
  watchLagBench,
  queueShardsBench,
];

import type { Bench } from './bench-types.js';
import { e2eThroughputBench } from './e2e-throughput.js';
import { rssBench } from './rss-200k.js';
import { syncFairnessBench } from './sync-fairness.js';
import { syncThroughputBench } from './sync-throughput.js';

/** Every benchmark, in the order the table prints them. Each issue's bench registers here. */
export const benches: Bench[] = [e2eThroughputBench, rssBench, syncThroughputBench, syncFairnessBench];

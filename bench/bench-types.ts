/**
 * The benchmark contract: each bench measures ours and a baseline in the same run and returns
 * rows; `bench/run.ts` prints them as one table with ratios.
 */
export interface BenchRow {
  /** Which bench produced the row (e.g. "token cache"). */
  bench: string;
  /** What was measured (e.g. "token requests"). */
  metric: string;
  ours: number;
  /** The baseline measured in the same run; null when the row is an absolute figure against a target. */
  baseline: number | null;
  unit: string;
  /** Whether a higher or a lower number is better (decides how the ratio reads). */
  better: 'higher' | 'lower';
  /** A target the figure must meet, printed beside it (e.g. "<= 256 MB"). */
  target?: string;
  note?: string;
}

export interface BenchContext {
  /** A Redis for this bench run (private redis-server unless REDIS_URL is set). */
  redisUrl: string;
  /** `quick` shrinks every scenario (CI smoke); `full` is the documented scale. */
  scale: 'quick' | 'full';
  log(message: string): void;
}

export interface Bench {
  name: string;
  /** Time budget when the default (90 s quick, 240 s full) is too short by construction. */
  budgetMs?: { quick: number; full: number };
  run(ctx: BenchContext): Promise<BenchRow[]>;
}

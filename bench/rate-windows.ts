/**
 * Figures of a run from the simulator's per-window counters of one bucket (`GET /__sim/stats`,
 * `windows[bucket]`), shared by the rate e2e tests and the rate-budget bench.
 */
export interface SimWindow {
  startedAtMs: number;
  endsAtMs: number;
  limit: number;
  /** Requests the window allowed. */
  used: number;
  /** Requests it answered 429. */
  rejected: number;
}

export interface WindowFigures {
  windows: number;
  requests: number;
  rejected: number;
  /** 429s as a share of all requests of the bucket. */
  rejectedShare: number;
  /** Allowed requests per second over whole cycles: from the first window's start to the last one's (gaps between windows count). */
  achievedPerSecond: number;
  /** `share × limit` per second of window. */
  targetPerSecond: number;
  /** achieved / target. */
  utilisation: number;
  /** The largest share of a window's limit we spent. */
  maxWindowShare: number;
  /** The smallest share of a window's limit left over for other integrations. */
  minHeadroom: number;
}

export function windowFigures(windows: readonly SimWindow[], share: number): WindowFigures {
  if (windows.length < 2) throw new Error(`need at least 2 windows for a rate, got ${windows.length}`);
  const first = windows[0]!;
  const last = windows[windows.length - 1]!;
  const requests = windows.reduce((n, w) => n + w.used + w.rejected, 0);
  const rejected = windows.reduce((n, w) => n + w.rejected, 0);
  const whole = windows.slice(0, -1);
  const achievedPerSecond = whole.reduce((n, w) => n + w.used, 0) / ((last.startedAtMs - first.startedAtMs) / 1000);
  const targetPerSecond = (share * first.limit) / ((first.endsAtMs - first.startedAtMs) / 1000);
  // The last window is partial (the run ended in it), so it says nothing about headroom.
  return {
    windows: windows.length,
    requests,
    rejected,
    rejectedShare: requests === 0 ? 0 : rejected / requests,
    achievedPerSecond,
    targetPerSecond,
    utilisation: achievedPerSecond / targetPerSecond,
    maxWindowShare: Math.max(...windows.map((w) => w.used / w.limit)),
    minHeadroom: Math.min(...whole.map((w) => 1 - w.used / w.limit)),
  };
}

export function describeFigures(f: WindowFigures): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `${f.requests} requests in ${f.windows} windows, ${f.rejected} answered 429 (${pct(f.rejectedShare)})`,
    `achieved ${f.achievedPerSecond.toFixed(2)}/s of a ${f.targetPerSecond.toFixed(2)}/s target (${pct(f.utilisation)})`,
    `largest window share ${pct(f.maxWindowShare)}, least headroom left ${pct(f.minHeadroom)}`,
  ].join('; ');
}

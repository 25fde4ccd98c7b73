import type { Rng } from './prng.js';

/**
 * Page latency as real orgs show it: long-tailed, per request. Log-normal around `medianMs` with
 * σ chosen so that p99 ≈ 4× the median (z₀.₉₉ ≈ 2.326, so σ = ln 4 / 2.326 ≈ 0.596). Drawn from
 * its own seeded stream, so the same seed gives the same sequence of delays.
 */
export const LATENCY_SIGMA = Math.log(4) / 2.3263;

export class LatencyModel {
  constructor(private readonly medianMs: number, private readonly rng: Rng) {}

  /** Delay for the next API request, in whole ms; 0 when no latency is configured. */
  nextMs(): number {
    if (this.medianMs <= 0) return 0;
    return Math.round(this.medianMs * Math.exp(LATENCY_SIGMA * standardNormal(this.rng)));
  }
}

/** Box–Muller; `1 - rng()` keeps the logarithm away from 0. */
function standardNormal(rng: Rng): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

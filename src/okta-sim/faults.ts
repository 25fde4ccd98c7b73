import type { Rng } from './prng.js';
import type { FaultSpec } from './types.js';

export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

const RATE_KEYS = ['error5xx', 'reset', 'malformed', 'slowBody', 'tokenError', 'hookDuplicate', 'hookReorder'] as const;
const COUNT_KEYS = ['bigPage500', 'slowBodyMs', 'dpopRefuse'] as const;

function parseRate(key: string, text: string): number {
  const value = Number(text);
  if (text === '' || !Number.isFinite(value) || value < 0 || value > 1) throw new FaultSpecError(`${key} must be a share between 0 and 1, got "${text}"`);
  return value;
}

function parseCount(key: string, text: string): number {
  if (!/^\d+$/.test(text)) throw new FaultSpecError(`${key} must be a whole number, got "${text}"`);
  return Number(text);
}

function parseLatency(text: string): { min: number; max: number } {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!match) throw new FaultSpecError(`latency must be MS or MIN-MAX, got "${text}"`);
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  if (max < min) throw new FaultSpecError(`latency ${text}: max below min`);
  return { min, max };
}

/**
 * Reads `latency=5-50,error5xx=0.05,reset=0.01,bigPage500=100,malformed=0.01,slowBody=0.01`
 * (also `slowBodyMs=N`, `tokenError=P`, `dpopRefuse=N`, `hookDuplicate=P` and `hookReorder=P`). An empty spec or `none` means no faults.
 */
export function parseFaultSpec(spec: string): FaultSpec {
  const out: FaultSpec = {};
  const text = spec.trim();
  if (text === '' || text === 'none') return out;
  for (const part of text.split(',')) {
    const [rawKey = '', value = '', ...rest] = part.split('=');
    const key = rawKey.trim();
    if (rest.length > 0 || value === '') throw new FaultSpecError(`fault "${part}" is not key=value`);
    if (key === 'latency') out.latencyMs = parseLatency(value.trim());
    else if ((RATE_KEYS as readonly string[]).includes(key)) out[key as (typeof RATE_KEYS)[number]] = parseRate(key, value.trim());
    else if ((COUNT_KEYS as readonly string[]).includes(key)) out[key as (typeof COUNT_KEYS)[number]] = parseCount(key, value.trim());
    else throw new FaultSpecError(`unknown fault "${key}"`);
  }
  return out;
}

/** Checks an object spec (from the admin endpoint or the programmatic API) the same way. */
export function normalizeFaultSpec(spec: string | FaultSpec | undefined): FaultSpec {
  if (spec === undefined) return {};
  if (typeof spec === 'string') return parseFaultSpec(spec);
  const parts: string[] = [];
  if (spec.latencyMs) parts.push(`latency=${spec.latencyMs.min}-${spec.latencyMs.max}`);
  for (const key of [...RATE_KEYS, ...COUNT_KEYS]) if (spec[key] !== undefined) parts.push(`${key}=${spec[key]}`);
  return parseFaultSpec(parts.join(','));
}

/** What to do to one API request, drawn once before the route runs. */
export interface FaultPlan {
  delayMs: number;
  reset: boolean;
  error5xx: 500 | 503 | undefined;
  malformed: boolean;
  slowBodyMs: number;
}

export class FaultInjector {
  private proofs = 0;

  constructor(private spec: FaultSpec, private readonly rng: Rng) {}

  get current(): FaultSpec {
    return this.spec;
  }

  replace(spec: FaultSpec): void {
    this.spec = spec;
  }

  private hit(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.rng() < rate;
  }

  delayMs(): number {
    const latency = this.spec.latencyMs;
    if (!latency) return 0;
    return latency.min + Math.floor(this.rng() * (latency.max - latency.min + 1));
  }

  planApiRequest(): FaultPlan {
    const delayMs = this.delayMs();
    const reset = this.hit(this.spec.reset);
    const error5xx = !reset && this.hit(this.spec.error5xx) ? (this.rng() < 0.5 ? 503 : 500) : undefined;
    const malformed = this.hit(this.spec.malformed);
    const slowBodyMs = !malformed && this.hit(this.spec.slowBody) ? (this.spec.slowBodyMs ?? 1000) : 0;
    return { delayMs, reset, error5xx, malformed, slowBodyMs };
  }

  /** Counts one DPoP-bound API call; true for one in every `dpopRefuse` (the Nth, 2Nth…). */
  refusesProof(): boolean {
    const every = this.spec.dpopRefuse;
    if (every === undefined || every < 1) return false;
    this.proofs++;
    return this.proofs % every === 0;
  }

  tokenError(): boolean {
    return this.hit(this.spec.tokenError);
  }

  /** True when a page of `limit` items must fail as a server-side timeout would. */
  refusesPage(limit: number | undefined): boolean {
    return limit !== undefined && this.spec.bigPage500 !== undefined && limit > this.spec.bigPage500;
  }
}

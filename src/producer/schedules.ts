import type { Queue } from 'bullmq';
import { ValidationError } from '../shared/errors.js';
import type { TenantId } from '../shared/ids.js';
import { scheduleId, scheduleJobSchema } from '../shared/jobs.js';
import { RESOURCES, type Resource } from '../shared/resources.js';
import type { SyncMode } from '../shared/store/sync-store.js';
import { readScheduler, upsertScheduler } from './job-scheduler.js';

/** One (tenant, resource) schedule as callers see it. */
export interface ScheduleView {
  /** `15m`, in the largest unit that divides the interval. */
  every: string;
  everyMs: number;
  mode: SyncMode;
  /** When the scheduler fires next (ISO), if BullMQ knows. */
  next: string | null;
}

/** A change to one resource's schedule; `null` removes it. */
export type ScheduleChange = { every: string; mode: SyncMode } | null;

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** Schedules run at most once a minute: anything faster only burns the customer's rate budget. */
export const MIN_EVERY_MS = 60_000;
/** And at least once every 30 days. */
export const MAX_EVERY_MS = 30 * 86_400_000;

/** `30s | 15m | 6h | 1d` → milliseconds; throws a `ValidationError` on `field`. */
export function parseEvery(text: string, field = 'every'): number {
  const match = /^([1-9][0-9]{0,6})([smhd])$/.exec(text);
  if (!match) throw new ValidationError(`${field} must look like 30s, 15m, 6h or 1d`, { [field]: 'must look like 30s, 15m, 6h or 1d' });
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (ms < MIN_EVERY_MS) throw new ValidationError(`${field} must be at least 1m`, { [field]: 'must be at least 1m' });
  if (ms > MAX_EVERY_MS) throw new ValidationError(`${field} must be at most 30d`, { [field]: 'must be at most 30d' });
  return ms;
}

export function formatEvery(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms / 1000}s`;
}

/**
 * Applies per-resource changes as BullMQ job schedulers (one per (tenant, resource), replaced on
 * update), all validated before any is written. Returns the tenant's schedules afterwards.
 */
export async function applySchedules(
  queue: Queue,
  tenantId: TenantId,
  changes: Partial<Record<Resource, ScheduleChange>>,
): Promise<Partial<Record<Resource, ScheduleView>>> {
  const planned = Object.entries(changes).map(([resource, change]) => {
    if (change === null || change === undefined) return { resource, remove: true as const };
    const everyMs = parseEvery(change.every, `${resource}.every`);
    const data = scheduleJobSchema.parse({ tenantId, resource, mode: change.mode });
    return { resource, remove: false as const, everyMs, data };
  });
  for (const p of planned) {
    const id = scheduleId(tenantId, p.resource);
    if (p.remove) await queue.removeJobScheduler(id);
    else await upsertScheduler(queue, id, p.everyMs, 'schedule', p.data);
  }
  return listSchedules(queue, tenantId);
}

export async function listSchedules(queue: Queue, tenantId: TenantId): Promise<Partial<Record<Resource, ScheduleView>>> {
  const out: Partial<Record<Resource, ScheduleView>> = {};
  for (const resource of RESOURCES) {
    const scheduler = await readScheduler(queue, scheduleId(tenantId, resource));
    if (!scheduler) continue;
    const parsed = scheduleJobSchema.safeParse(scheduler.data);
    out[resource] = { every: formatEvery(scheduler.everyMs), everyMs: scheduler.everyMs, mode: parsed.success ? parsed.data.mode : 'full', next: scheduler.next };
  }
  return out;
}

/** Removes every schedule of a tenant (tenant removal). */
export async function removeSchedules(queue: Queue, tenantId: TenantId): Promise<void> {
  for (const resource of RESOURCES) await queue.removeJobScheduler(scheduleId(tenantId, resource));
}

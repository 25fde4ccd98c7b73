import type { Queue } from 'bullmq';
import { KEEP_COMPLETED, KEEP_FAILED, type JobName } from '../shared/jobs.js';

/** One BullMQ job scheduler as schedules and watches read it back. */
export interface SchedulerView {
  everyMs: number;
  /** The template's payload (the caller validates it). */
  data: unknown;
  /** When it fires next (ISO), if BullMQ knows. */
  next: string | null;
}

/**
 * Creates or replaces the job scheduler `id`: a `name` job with `data` every `everyMs`. Its jobs
 * keep the queue's finished-job policy (see KEEP_COMPLETED: one job with a small count would trim
 * every other job's record).
 */
export async function upsertScheduler(queue: Queue, id: string, everyMs: number, name: JobName, data: unknown): Promise<void> {
  await queue.upsertJobScheduler(id, { every: everyMs }, { name, data, opts: { removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED } });
}

export async function readScheduler(queue: Queue, id: string): Promise<SchedulerView | undefined> {
  const scheduler = await queue.getJobScheduler(id);
  if (!scheduler?.every) return undefined;
  return { everyMs: scheduler.every, data: scheduler.template?.data, next: scheduler.next === undefined ? null : new Date(scheduler.next).toISOString() };
}

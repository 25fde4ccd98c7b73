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
 * every other job's record), unless `forgetCompleted`: then a completed job is removed at once,
 * which trims nothing else (for ticks so frequent that a day of them would crowd the kept set).
 */
export async function upsertScheduler(queue: Queue, id: string, everyMs: number, name: JobName, data: unknown, options: { forgetCompleted?: boolean } = {}): Promise<void> {
  const removeOnComplete = options.forgetCompleted ? true : KEEP_COMPLETED;
  await queue.upsertJobScheduler(id, { every: everyMs }, { name, data, opts: { removeOnComplete, removeOnFail: KEEP_FAILED } });
}

export async function readScheduler(queue: Queue, id: string): Promise<SchedulerView | undefined> {
  const scheduler = await queue.getJobScheduler(id);
  if (!scheduler?.every) return undefined;
  return { everyMs: scheduler.every, data: scheduler.template?.data, next: scheduler.next === undefined ? null : new Date(scheduler.next).toISOString() };
}

import { clipText } from '../shared/clip-text.js';
import type { RunRecord, SyncStore } from '../shared/store/sync-store.js';
import type { ResourceSync } from './resources/resource-sync.js';

/** Ends runs: the sweep of a full run, the watermark, the final status, exactly once. */
export interface RunFinisher {
  succeed(run: RunRecord, sync: ResourceSync): Promise<void>;
}

export interface RunFinisherDeps {
  store: SyncStore;
  /** Called once per run that this process finished (metrics). */
  onFinished?(run: RunRecord, status: 'succeeded' | 'failed'): void;
}

export function createRunFinisher(deps: RunFinisherDeps): RunFinisher {
  return {
    async succeed(run, sync) {
      const at = new Date().toISOString();
      const fresh = (await deps.store.getRun(run.runId)) ?? run;
      if (fresh.status !== 'running' && fresh.status !== 'queued') return;
      if (run.mode === 'full') {
        // Sweeping twice (a retried last page) is harmless: the second finds nothing new. The store
        // counts the deletions toward the run itself (and recounts them at finish).
        for (const type of sync.sweepTypes) await deps.store.sweep({ tenantId: run.tenantId, type, runId: run.runId, at });
      }
      const watermark = sync.nextWatermark?.({ startedAt: fresh.startedAt ?? fresh.createdAt, mode: run.mode });
      if (watermark) await deps.store.setWatermark(run.tenantId, run.resource, watermark, at);
      const counted = await deps.store.getRun(run.runId);
      if (counted && counted.counters.objects === 0 && run.resource === 'users' && run.mode === 'full') {
        await deps.store.addRunWarning(run.runId, 'Okta returned no users: is an admin role assigned to the integration?');
      }
      if (await deps.store.finishRun(run.runId, { status: 'succeeded', at })) deps.onFinished?.(run, 'succeeded');
    },
  };
}

/** Fails a run unless it already ended. */
export async function failRun(store: SyncStore, run: RunRecord, error: { code: string; message: string }): Promise<boolean> {
  // Stored for the run history and returned by the API: bounded whatever the caller passed.
  return store.finishRun(run.runId, { status: 'failed', at: new Date().toISOString(), error: { code: error.code, message: clipText(error.message) } });
}

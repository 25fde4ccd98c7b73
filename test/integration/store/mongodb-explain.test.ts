import { randomUUID } from 'node:crypto';
import { type Document, MongoClient } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asRunId, asTenantId } from '../../../src/shared/ids.js';
import { COLLECTIONS } from '../../../src/shared/store/mongodb-indexes.js';
import { MONGO_PURGE_TASKS, MONGO_QUERIES } from '../../../src/shared/store/mongodb-queries.js';
import { MongoStore } from '../../../src/shared/store/mongodb-store.js';
import { retentionCutoffs } from '../../../src/shared/store/retention.js';
import { DEFAULT_RETENTION } from '../../../src/shared/store/sync-store.js';
import { mongoUrlWithDatabase, resolveMongo } from '../../helpers/mongo.js';

/**
 * `explain` on every filter the MongoDB adapter sends on a hot path (built by MONGO_QUERIES, the
 * same functions the adapter calls) and on every purge task: no COLLSCAN anywhere in the winning
 * plan, and one of the named indexes answers it. Needs a server (MONGO_URL, Docker or mongod on
 * PATH); otherwise skipped with the reason printed.
 */
const mongo = await resolveMongo();
const skipReason = 'skip' in mongo ? mongo.skip : undefined;
if (skipReason !== undefined) console.warn(`[mongodb explain] skipped: ${skipReason}`);
const server = 'skip' in mongo ? undefined : mongo;

const tenantId = asTenantId('acme');
const runId = asRunId('run_x');
const database = `okta_sync_explain_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
let client: MongoClient | undefined;

interface Case {
  name: string;
  explain: () => Promise<Document>;
  indexes: string[];
  /** An `_id` lookup: IDHACK / EXPRESS stages name no index. */
  byId?: boolean;
}

function cases(): Case[] {
  const db = client!.db(database);
  const coll = (name: string) => db.collection(name);
  const command = (cmd: Document) => () => db.command({ explain: cmd, verbosity: 'queryPlanner' });
  const find = (c: string, filter: Document, sort?: Document) => () => coll(c).find(filter, sort ? { sort } : {}).limit(100).explain('queryPlanner');
  const live = { tenantId, type: 'user' as const };
  const cutoffs = retentionCutoffs(DEFAULT_RETENTION, new Date());
  const runs = MONGO_QUERIES.runs(tenantId);
  const allRuns = MONGO_QUERIES.runs(undefined);
  return [
    { name: 'activeRun', explain: find(COLLECTIONS.runs, MONGO_QUERIES.activeRun(tenantId, 'users')), indexes: ['runs_one_active'] },
    { name: 'finishRun', explain: command({ update: COLLECTIONS.runs, updates: [{ q: MONGO_QUERIES.activeRunById(runId), u: { $set: { x: 1 } } }] }), indexes: ['_id_'], byId: true },
    { name: 'runs of a tenant', explain: find(COLLECTIONS.runs, runs.filter, runs.sort as Document), indexes: ['runs_by_tenant'] },
    { name: 'runs of all', explain: find(COLLECTIONS.runs, allRuns.filter, allRuns.sort as Document), indexes: ['runs_by_created'] },
    { name: 'listObjects live', explain: find(COLLECTIONS.objects, MONGO_QUERIES.objects(live, 'a'), { oktaId: 1 }), indexes: ['objects_live', 'objects_key'] },
    { name: 'listObjects all', explain: find(COLLECTIONS.objects, MONGO_QUERIES.objects({ ...live, includeDeleted: true }, 'a'), { oktaId: 1 }), indexes: ['objects_key', 'objects_live'] },
    { name: 'countObjects live', explain: command({ count: COLLECTIONS.objects, query: MONGO_QUERIES.objects(live) }), indexes: ['objects_live', 'objects_key'] },
    { name: 'sweep', explain: command({ update: COLLECTIONS.objects, updates: [{ q: MONGO_QUERIES.sweep({ ...live, runId }), u: { $set: { x: 1 } }, multi: true }] }), indexes: ['objects_live', 'objects_key'] },
    {
      name: 'sweep of a prefix',
      explain: command({ update: COLLECTIONS.objects, updates: [{ q: MONGO_QUERIES.sweep({ ...live, runId, oktaIdPrefix: 'g1:' }), u: { $set: { x: 1 } }, multi: true }] }),
      indexes: ['objects_live', 'objects_key'],
    },
    { name: 'recount deleted', explain: command({ count: COLLECTIONS.objects, query: MONGO_QUERIES.deletedBy(runId) }), indexes: ['objects_deleted_by'] },
    { name: 'recount pages', explain: () => coll(COLLECTIONS.runPages).aggregate([{ $match: MONGO_QUERIES.pagesOfRun(runId) }, { $group: { _id: null, n: { $sum: 1 } } }]).explain('queryPlanner'), indexes: ['run_pages_key'] },
    { name: 'mark pages final', explain: command({ update: COLLECTIONS.runPages, updates: [{ q: MONGO_QUERIES.pagesOfRun(runId), u: { $set: { x: 1 } }, multi: true }] }), indexes: ['run_pages_key'] },
    ...[COLLECTIONS.objects, COLLECTIONS.runs, COLLECTIONS.runPages, COLLECTIONS.syncState].map((c) => ({
      name: `deleteTenant ${c}`,
      explain: command({ delete: c, deletes: [{ q: { tenantId }, limit: 0 }] }),
      indexes: ['objects_key', 'objects_live', 'runs_by_tenant', 'run_pages_by_tenant', 'sync_state_key'],
    })),
    ...MONGO_PURGE_TASKS.map((task) => ({
      name: `purge ${task.name}`,
      explain: command({ delete: task.collection, deletes: [{ q: task.filter(cutoffs), limit: 0 }] }),
      indexes: ['objects_tombstones_ttl', 'run_pages_final_ttl', 'run_pages_committed_ttl', 'runs_finished_ttl', 'objects_log_events'],
    })),
  ];
}

/** Every `stage` and `indexName` anywhere in an explain document (classic and SBE shapes alike). */
function walk(plan: unknown, out: { stages: string[]; indexes: string[] } = { stages: [], indexes: [] }) {
  if (Array.isArray(plan)) for (const p of plan) walk(p, out);
  else if (plan && typeof plan === 'object') {
    for (const [key, value] of Object.entries(plan)) {
      if (key === 'rejectedPlans') continue;
      if (key === 'stage' && typeof value === 'string') out.stages.push(value);
      else if (key === 'indexName' && typeof value === 'string') out.indexes.push(value);
      else walk(value, out);
    }
  }
  return out;
}

(skipReason === undefined ? describe : describe.skip)(`MongoDB query plans${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  beforeAll(async () => {
    const url = mongoUrlWithDatabase(server!.url, database);
    await (await MongoStore.connect(url)).close(); // the indexes, exactly as the adapter creates them
    client = new MongoClient(server!.url);
  });

  afterAll(async () => {
    await client?.db(database).dropDatabase();
    await client?.close();
    await server?.stop();
  });

  it('every hot-path query and purge task is answered from an index', async () => {
    for (const c of cases()) {
      const { stages, indexes } = walk(await c.explain());
      expect(stages, c.name).not.toContain('COLLSCAN');
      const indexed = indexes.some((i) => c.indexes.includes(i)) || (c.byId === true && stages.some((s) => /IDHACK|EXPRESS/.test(s)));
      expect(indexed, `${c.name}: ${stages.join(', ')} / ${indexes.join(', ')}`).toBe(true);
    }
  });
});

import { accessSync, constants, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { asTenantId, newRunId, type TenantId } from '../src/shared/ids.js';
import { SqliteStore } from '../src/shared/store/sqlite-store.js';
import { EMPTY_COUNTERS, type ObjectWrite, type RetentionPolicy, type SyncStore } from '../src/shared/store/sync-store.js';
import type { Bench, BenchContext, BenchRow } from './bench-types.js';

/**
 * Storage growth of the SQLite store over 30 simulated days of one org: each day one full users
 * sync (every user written again, then the sweep), four incremental runs carrying the day's
 * changes, a few hundred changes (updates, new users, deleted users), four logs runs carrying the
 * day's System Log events (thousands, `published` through the day), and the purge step with the
 * simulated day as its clock. It drives the store port directly (no Okta, no Redis, no workers),
 * so it measures the store alone. Retention is shortened to 7 days so that the steady state falls
 * inside the 30 days (with the defaults, 30/90, the same bound is reached after 30/90 days).
 * Growth is bounded when the file size and every table's rows stay within 10% from day 10 to day 30.
 */
const DAYS = 30;
const PAGE = 200;
const DAY_MS = 86_400_000;
const START = Date.parse('2026-01-01T00:00:00.000Z');
const RETENTION: RetentionPolicy = { tombstoneDays: 7, runHistoryDays: 7, changesDays: 7, logEventDays: 7 };
const TABLES = ['objects', 'runs', 'run_pages', 'sync_state'] as const;

interface Day {
  day: number;
  fileBytes: number;
  rows: Record<string, number>;
  fullSyncObjectsPerSec: number;
}

export const storeGrowthBench: Bench = {
  name: 'store growth',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const users = ctx.scale === 'quick' ? 10_000 : 50_000;
    const changesPerDay = ctx.scale === 'quick' ? 100 : 300;
    // System Log events a day (a watched org's sign-ins and changes), purged by OKTA_SYNC_LOG_EVENT_DAYS.
    const eventsPerDay = ctx.scale === 'quick' ? 2_000 : 10_000;
    const base = benchDir();
    const dir = await mkdtemp(join(base, 'okta-sync-store-growth-'));
    const file = join(dir, 'store.db');
    try {
      ctx.log(`store growth: SQLite file under ${base}`);
      const days = await simulate(file, users, changesPerDay, eventsPerDay, ctx);
      return rows(days, users, changesPerDay, eventsPerDay, base);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

async function simulate(file: string, users: number, changesPerDay: number, eventsPerDay: number, ctx: BenchContext): Promise<Day[]> {
  const tenantId = asTenantId('growth');
  const org = new SimulatedOrg(users, 17);
  const days: Day[] = [];
  for (let day = 1; day <= DAYS; day += 1) {
    const store = new SqliteStore(file);
    const at = (hours: number) => new Date(START + (day - 1) * DAY_MS + hours * 3_600_000).toISOString();
    try {
      const t0 = performance.now();
      await fullSync(store, tenantId, org, at(0));
      const fullSyncObjectsPerSec = org.size / ((performance.now() - t0) / 1000);
      for (let slot = 1; slot <= 4; slot += 1) {
        const changed = org.change(Math.round(changesPerDay / 4), at(slot * 6 - 1));
        await incrementalRun(store, tenantId, changed, at(slot * 6));
        await logsRun(store, tenantId, day * 10 + slot, Math.round(eventsPerDay / 4), at(slot * 6 - 6), at(slot * 6));
      }
      await store.purgeExpired(RETENTION, new Date(at(24)));
      days.push({ day, fileBytes: 0, rows: {}, fullSyncObjectsPerSec });
    } finally {
      await store.close(); // checkpoints the WAL into the file
    }
    const last = days.at(-1)!;
    last.fileBytes = statSync(file).size;
    last.rows = countRows(file);
    if (day === 1 || day % 5 === 0) {
      ctx.log(`day ${day}: ${(last.fileBytes / 1e6).toFixed(1)} MB, rows ${JSON.stringify(last.rows)}, full sync ${last.fullSyncObjectsPerSec.toFixed(0)} objects/s`);
    }
  }
  return days;
}

async function fullSync(store: SyncStore, tenantId: TenantId, org: SimulatedOrg, at: string): Promise<void> {
  const runId = await newRun(store, tenantId, 'full', at);
  const all = org.snapshot();
  for (let i = 0; i < all.length; i += PAGE) {
    await store.commitPage({ tenantId, runId, type: 'user', pageKey: `p${i / PAGE}`, objects: all.slice(i, i + PAGE), at });
  }
  await store.sweep({ tenantId, type: 'user', runId, at });
  await store.setWatermark(tenantId, 'users', at, at);
  await store.finishRun(runId, { status: 'succeeded', at });
}

async function incrementalRun(store: SyncStore, tenantId: TenantId, changed: ObjectWrite[], at: string): Promise<void> {
  const runId = await newRun(store, tenantId, 'incremental', at);
  await store.commitPage({ tenantId, runId, type: 'user', pageKey: 'p0', objects: changed, at });
  await store.finishRun(runId, { status: 'succeeded', at });
}

/** `count` System Log events published evenly from `from` to `at`, written as a logs run writes them. */
async function logsRun(store: SyncStore, tenantId: TenantId, batch: number, count: number, from: string, at: string): Promise<void> {
  const runId = await newRun(store, tenantId, 'incremental', at, 'logs');
  const start = Date.parse(from);
  const step = (Date.parse(at) - start) / count;
  for (let i = 0; i < count; i += 1000) {
    const events = Array.from({ length: Math.min(1000, count - i) }, (_, j) => {
      const published = new Date(start + (i + j) * step).toISOString();
      const uuid = `ev-${batch}-${i + j}`;
      return { oktaId: uuid, oktaLastUpdated: published, data: { uuid, published, eventType: 'user.session.start', displayMessage: 'User login to Okta', severity: 'INFO', outcome: { result: 'SUCCESS' } } };
    });
    await store.commitPage({ tenantId, runId, type: 'log_event', pageKey: `p${i / 1000}`, objects: events, at });
  }
  await store.finishRun(runId, { status: 'succeeded', at });
}

async function newRun(store: SyncStore, tenantId: TenantId, mode: 'full' | 'incremental', at: string, resource: 'users' | 'logs' = 'users') {
  const runId = newRunId();
  const run = { runId, tenantId, resource, mode, status: 'queued' as const, createdAt: at, startedAt: null, finishedAt: null };
  const { created } = await store.createRunUnlessActive({ ...run, counters: { ...EMPTY_COUNTERS }, error: null, warnings: [] });
  if (!created) throw new Error('a run of the previous step is still active');
  await store.markRunRunning(runId, at);
  return runId;
}

function countRows(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    return Object.fromEntries(TABLES.map((t) => [t, Number((db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n)]));
  } finally {
    db.close();
  }
}

function growth(from: number, to: number): number {
  return from === 0 ? (to === 0 ? 0 : Number.POSITIVE_INFINITY) : (Math.abs(to - from) / from) * 100;
}

/**
 * tmpfs when there is one: the bench writes about 2 GB of WAL over its 30 days, and on a disk shared
 * with other jobs the wall time is then the disk's, not the store's. Sizes and rows do not depend on it.
 */
function benchDir(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

function rows(days: Day[], users: number, changesPerDay: number, eventsPerDay: number, base: string): BenchRow[] {
  const d10 = days[9]!;
  const d30 = days[DAYS - 1]!;
  const tableGrowth = TABLES.map((t) => [t, growth(d10.rows[t] ?? 0, d30.rows[t] ?? 0)] as const);
  const worstTable = tableGrowth.reduce((a, b) => (b[1] > a[1] ? b : a));
  const fileGrowth = growth(d10.fileBytes, d30.fileBytes);
  const bounded = fileGrowth <= 10 && worstTable[1] <= 10;
  const scenario = `${users.toLocaleString('en-US')} users, ${changesPerDay}/day changes, ${eventsPerDay.toLocaleString('en-US')} log events/day, 30 days`;
  const note = `store growth drives the store port directly (no Okta, Redis or workers), file under ${base}; retention ${RETENTION.tombstoneDays} days (tombstones, runs, log events) so the steady state is inside 30 days; growth ${bounded ? 'IS' : 'is NOT'} bounded (day 10 → 30: file ${fileGrowth.toFixed(1)}%, worst table ${worstTable[0]} ${worstTable[1].toFixed(1)}%; rows day 30 ${JSON.stringify(d30.rows)})`;
  return [
    { bench: 'store growth', metric: `SQLite file size, day 30 (${scenario})`, ours: d30.fileBytes / 1e6, baseline: null, unit: 'MB', better: 'lower', note },
    { bench: 'store growth', metric: 'SQLite file growth, day 10 → 30', ours: fileGrowth, baseline: null, unit: '%', better: 'lower', target: '<= 10%' },
    { bench: 'store growth', metric: `row growth day 10 → 30, worst table (${worstTable[0]})`, ours: worstTable[1], baseline: null, unit: '%', better: 'lower', target: '<= 10%' },
    {
      bench: 'store growth',
      metric: 'full-sync write throughput, day 30 vs day 1',
      ours: d30.fullSyncObjectsPerSec,
      baseline: days[0]!.fullSyncObjectsPerSec,
      unit: 'objects/s',
      better: 'higher',
    },
  ];
}

/** A deterministic org: users with ~1 KB of profile, a few of them changed, created or deleted each day. */
class SimulatedOrg {
  private readonly alive = new Map<string, ObjectWrite>();
  private next = 0;
  private seed: number;

  constructor(users: number, seed: number) {
    this.seed = seed;
    for (let i = 0; i < users; i += 1) this.create(new Date(START - DAY_MS).toISOString());
  }

  get size(): number {
    return this.alive.size;
  }

  /** Every live user, ordered by id as Okta's list is. */
  snapshot(): ObjectWrite[] {
    return [...this.alive.values()].sort((a, b) => (a.oktaId < b.oktaId ? -1 : 1));
  }

  /** `n` changes: half updates, a quarter new users, a quarter deletions; returns the written ones. */
  change(n: number, at: string): ObjectWrite[] {
    const written: ObjectWrite[] = [];
    const ids = [...this.alive.keys()];
    for (let i = 0; i < n; i += 1) {
      const kind = i % 4;
      if (kind === 0 || kind === 1) {
        const id = ids[this.random(ids.length)]!;
        const user = this.user(id, at);
        this.alive.set(id, user);
        written.push(user);
      } else if (kind === 2) {
        written.push(this.create(at));
      } else {
        this.alive.delete(ids[this.random(ids.length)]!);
      }
    }
    return written;
  }

  private create(at: string): ObjectWrite {
    const id = `00u${(this.next++).toString(36).padStart(8, '0')}`;
    const user = this.user(id, at);
    this.alive.set(id, user);
    return user;
  }

  private user(id: string, at: string): ObjectWrite {
    const n = this.random(1_000_000);
    const data = {
      id,
      status: 'ACTIVE',
      created: '2024-01-01T00:00:00.000Z',
      activated: '2024-01-01T00:00:00.000Z',
      lastLogin: at,
      lastUpdated: at,
      passwordChanged: '2024-01-02T00:00:00.000Z',
      type: { id: 'oty1a2b3c4d5e6f7g8h9' },
      profile: {
        login: `user${id}@example.com`,
        email: `user${id}@example.com`,
        firstName: `First${n}`,
        lastName: `Last${n % 977}`,
        displayName: `First${n} Last${n % 977}`,
        department: `Department ${n % 40}`,
        title: `Title ${n % 120}`,
        employeeNumber: String(n),
        mobilePhone: `+1-555-${String(n % 10_000).padStart(4, '0')}`,
        city: `City ${n % 300}`,
        countryCode: 'US',
      },
      credentials: { provider: { type: 'OKTA', name: 'OKTA' } },
      _links: { self: { href: `https://growth.okta.com/api/v1/users/${id}` } },
    };
    return { oktaId: id, data, oktaLastUpdated: at };
  }

  /** mulberry32: deterministic and fast. */
  private random(bound: number): number {
    this.seed = (this.seed + 0x6d2b79f5) | 0;
    let t = this.seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * bound);
  }
}

import type { Redis } from '../shared/redis.js';

/**
 * Windowed fan-out and exactly-once completion of runs with child chains (members of each group,
 * users of each app), kept in Redis per run:
 * - `seen`: every child ever registered, so a retried listing page cannot register it twice;
 * - `todo`: children waiting for a chain; `active`: children whose chain is queued or running
 *   (at most `window`, so one tenant never floods the queue);
 * - `meta`: `parentDone` once the listing's last page is written, `finisher` once someone won;
 * - `handoff`: per caller (a listing page or an ended child), the chains it was told to start.
 *   A caller that crashes before enqueueing them is retried, gets the same answer and enqueues
 *   again under the same deterministic job ids, so no chain is lost and none is doubled.
 * The run finishes when the listing is done and no child is waiting or active; the one caller
 * that sees this first is recorded as the finisher, and only it (or its retry) finishes the run.
 */
export interface FanOutCoordinator {
  /**
   * A listing page found `childIds`; `last` when it is the listing's last page. Once the last
   * page is recorded, a retry of it registers nothing new (a re-planned partition cannot double).
   * `window` overrides the coordinator's for this run (pass the same value on every call).
   */
  listingPage(runId: string, page: number, childIds: readonly string[], last: boolean, window?: number): Promise<FanOutStep>;
  /** The chain of `childId` ended: its last page is written, or its parent vanished (404). */
  childEnded(runId: string, childId: string, window?: number): Promise<FanOutStep>;
  /** The chain of `childId` handed the rest of its work to `childIds` (a range split in two). */
  childSplit(runId: string, childId: string, childIds: readonly string[], window?: number): Promise<FanOutStep>;
  /** Children registered but not yet started. */
  waiting(runId: string): Promise<number>;
  /** True once the listing's last page is recorded (a partition plan exists). */
  planned(runId: string): Promise<boolean>;
  /** Drops a final run's bookkeeping (it also expires on its own). */
  forget(runId: string): Promise<void>;
}

export interface FanOutStep {
  /** Children whose first page job the caller must enqueue. */
  start: string[];
  /** True when the caller must finish the run. */
  finish: boolean;
}

export interface FanOutOptions {
  /** Child chains of one run queued or running at once. Default 4. */
  window?: number;
  /** Seconds the bookkeeping of an abandoned run lives after its last change. Default 7 days. */
  ttlSeconds?: number;
}

const SUFFIXES = ['seen', 'todo', 'active', 'meta', 'handoff'] as const;

// KEYS: seen, todo, active, meta, handoff.
// ARGV: caller, window, parentDone ('1'|'0'), ended child ('' for none), ttl, child ids...
const STEP_SCRIPT = `
local caller = ARGV[1]
local window = tonumber(ARGV[2])
local replanned = ARGV[3] == '1' and redis.call('HGET', KEYS[4], 'parentDone') == '1'
for i = 6, #ARGV do
  if replanned then break end
  if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then redis.call('RPUSH', KEYS[2], ARGV[i]) end
end
if ARGV[3] == '1' then redis.call('HSET', KEYS[4], 'parentDone', '1') end
if ARGV[4] ~= '' then redis.call('SREM', KEYS[3], ARGV[4]) end
local prev = redis.call('HGET', KEYS[5], caller)
local started = prev or ''
local added = false
while redis.call('SCARD', KEYS[3]) < window do
  local id = redis.call('LPOP', KEYS[2])
  if not id then break end
  redis.call('SADD', KEYS[3], id)
  if started == '' then started = id else started = started .. '\\n' .. id end
  added = true
end
if added then redis.call('HSET', KEYS[5], caller, started) end
local finish = 0
if redis.call('HGET', KEYS[4], 'parentDone') == '1' and redis.call('SCARD', KEYS[3]) == 0 and redis.call('LLEN', KEYS[2]) == 0 then
  local finisher = redis.call('HGET', KEYS[4], 'finisher')
  if not finisher then
    redis.call('HSET', KEYS[4], 'finisher', caller)
    finisher = caller
  end
  if finisher == caller then finish = 1 end
end
local ttl = tonumber(ARGV[5])
for i = 1, #KEYS do redis.call('EXPIRE', KEYS[i], ttl) end
return {started, finish}
`;

export function createFanOut(redis: Redis, keyPrefix: string, options: FanOutOptions = {}): FanOutCoordinator {
  const window = options.window ?? 4;
  const ttl = options.ttlSeconds ?? 7 * 24 * 3600;
  if (!Number.isInteger(window) || window < 1) throw new RangeError('fan-out window must be a positive integer');
  const keys = (runId: string) => SUFFIXES.map((s) => `${keyPrefix}:fanout:${runId}:${s}`);

  async function step(runId: string, caller: string, parentDone: boolean, ended: string, childIds: readonly string[], runWindow = window): Promise<FanOutStep> {
    if (!Number.isInteger(runWindow) || runWindow < 1) throw new RangeError('fan-out window must be a positive integer');
    for (const id of childIds) if (id === '' || id.includes('\n')) throw new TypeError('fan-out child id must be non-empty and on one line');
    const reply = (await redis.eval(STEP_SCRIPT, SUFFIXES.length, ...keys(runId), caller, runWindow, parentDone ? '1' : '0', ended, ttl, ...childIds)) as [
      string,
      number,
    ];
    const started = reply[0];
    return { start: started === '' ? [] : started.split('\n'), finish: reply[1] === 1 };
  }

  return {
    listingPage: (runId, page, childIds, last, runWindow) => step(runId, `listing:${page}`, last, '', childIds, runWindow),
    childEnded: (runId, childId, runWindow) => step(runId, `child:${childId}`, false, childId, [], runWindow),
    childSplit: (runId, childId, childIds, runWindow) => step(runId, `child:${childId}`, false, childId, childIds, runWindow),
    async waiting(runId) {
      return redis.llen(keys(runId)[1] as string);
    },
    async planned(runId) {
      return (await redis.hget(keys(runId)[3] as string, 'parentDone')) === '1';
    },
    async forget(runId) {
      await redis.del(...keys(runId));
    },
  };
}

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createRedis, type Redis } from '../../../src/shared/redis.js';
import { createFanOut, type FanOutCoordinator, type FanOutStep } from '../../../src/workers/fan-out.js';

/** The fan-out coordinator against a real Redis: window, replay on retry, exactly one finisher. */
let redis: Redis;
let prefix: string;

beforeAll(() => {
  redis = createRedis(inject('redisUrl'));
  prefix = `{t-fanout-${randomBytes(4).toString('hex')}}`;
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const children = (n: number, tag = 'g') => Array.from({ length: n }, (_, i) => `${tag}${String(i).padStart(3, '0')}`);
const runId = () => `run_${randomBytes(4).toString('hex')}`;

describe('fan-out coordinator', () => {
  it('keeps at most `window` chains active and starts the next as each ends, in listing order', async () => {
    const fan = createFanOut(redis, prefix, { window: 3 });
    const run = runId();
    const first = await fan.listingPage(run, 0, children(5), false);
    expect(first).toEqual({ start: ['g000', 'g001', 'g002'], finish: false });
    expect(await fan.listingPage(run, 1, children(4, 'h'), true)).toEqual({ start: [], finish: false });
    expect(await fan.childEnded(run, 'g001')).toEqual({ start: ['g003'], finish: false });
    const order = ['g000', 'g002', 'g003', 'g004', 'h000', 'h001', 'h002', 'h003'];
    const started: string[] = ['g000', 'g001', 'g002', 'g003'];
    let finishes = 0;
    for (const id of order) {
      const step = await fan.childEnded(run, id);
      started.push(...step.start);
      if (step.finish) finishes++;
      expect(await redis.scard(`${prefix}:fanout:${run}:active`)).toBeLessThanOrEqual(3);
    }
    expect(started).toEqual([...children(5), ...children(4, 'h')]);
    expect(finishes).toBe(1);
  });

  it('replays a caller\'s answer on retry, and never registers a child twice', async () => {
    const fan = createFanOut(redis, prefix, { window: 2 });
    const run = runId();
    const a = await fan.listingPage(run, 0, ['a', 'b', 'c'], true);
    // The same page retried (a crash before its enqueues): same chains to (re)start, nothing new.
    expect(await fan.listingPage(run, 0, ['a', 'b', 'c'], true)).toEqual(a);
    expect(a.start).toEqual(['a', 'b']);
    const ended = await fan.childEnded(run, 'a');
    expect(ended).toEqual({ start: ['c'], finish: false });
    expect(await fan.childEnded(run, 'a')).toEqual(ended);
    expect(await fan.childEnded(run, 'b')).toEqual({ start: [], finish: false });
    const last = await fan.childEnded(run, 'c');
    expect(last).toEqual({ start: [], finish: true });
    // The finisher retried still finishes; anyone else arriving late does not.
    expect(await fan.childEnded(run, 'c')).toEqual(last);
    expect((await fan.childEnded(run, 'b')).finish).toBe(false);
    expect((await fan.listingPage(run, 0, ['a', 'b', 'c'], true)).finish).toBe(false);
  });

  it('finishes at once when the listing had nothing to fan out', async () => {
    const fan = createFanOut(redis, prefix);
    const run = runId();
    expect(await fan.listingPage(run, 0, [], false)).toEqual({ start: [], finish: false });
    expect(await fan.listingPage(run, 1, [], true)).toEqual({ start: [], finish: true });
  });

  it('does not finish before the listing is done, however fast the children end', async () => {
    const fan = createFanOut(redis, prefix, { window: 5 });
    const run = runId();
    await fan.listingPage(run, 0, ['a'], false);
    expect(await fan.childEnded(run, 'a')).toEqual({ start: [], finish: false });
    expect(await fan.listingPage(run, 1, [], true)).toEqual({ start: [], finish: true });
  });

  it('under concurrent callers exactly one finishes and every child starts once', async () => {
    const fan: FanOutCoordinator = createFanOut(redis, prefix, { window: 4 });
    const run = runId();
    const all = children(60);
    const starts: string[] = [];
    let finishes = 0;
    const pending: string[] = [];
    const take = (step: FanOutStep) => {
      starts.push(...step.start);
      pending.push(...step.start);
      if (step.finish) finishes++;
    };
    // Three listing pages race with children ending as soon as they start.
    const listing = (async () => {
      for (let page = 0; page < 3; page++) take(await fan.listingPage(run, page, all.slice(page * 20, page * 20 + 20), page === 2));
    })();
    const enders = Array.from({ length: 6 }, async () => {
      for (let idle = 0; idle < 200; ) {
        const id = pending.shift();
        if (id === undefined) {
          idle++;
          await new Promise((r) => setTimeout(r, 2));
          continue;
        }
        // Some callers are retried: their answer is replayed, so drop what was already taken.
        const step = await fan.childEnded(run, id);
        take(step);
        if (Math.random() < 0.3) expect(await fan.childEnded(run, id)).toEqual(step);
      }
    });
    await Promise.all([listing, ...enders]);
    expect(starts.sort()).toEqual(all);
    expect(finishes).toBe(1);
  });
});

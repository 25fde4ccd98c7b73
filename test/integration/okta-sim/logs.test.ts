import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OktaSim, type SimOrgInfo, startOktaSim } from '../../../src/okta-sim/index.js';
import { type OktaErrorBody, admin, apiGet, nextLink, secretToken } from './sim-http.js';

interface LogEvent {
  uuid: string;
  published: string;
  eventType: string;
}

let sim: OktaSim;
let org: SimOrgInfo;
let token: string;

beforeAll(async () => {
  sim = await startOktaSim({ users: 20, groups: 2, apps: 1, logs: 1200 });
  org = sim.orgs[0]!;
  token = await secretToken(org, 'okta.logs.read');
});
afterAll(() => sim.close());

const since = (): string => new Date(Date.now() - 2 * 86_400_000).toISOString();

/** Polls until an empty page; returns events and the cursor to keep. */
async function poll(start: string): Promise<{ events: LogEvent[]; cursor: string; pages: number }> {
  const events: LogEvent[] = [];
  let url = start;
  for (let pages = 1; pages < 100; pages++) {
    const answer = await apiGet(org, url, token);
    expect(answer.status).toBe(200);
    const next = nextLink(answer);
    expect(next, 'a polling query always has a next link').toBeDefined();
    const page = answer.json<LogEvent[]>();
    if (page.length === 0) return { events, cursor: next!, pages };
    events.push(...page);
    url = next!;
  }
  throw new Error('polling never reached an empty page');
}

describe('System Log polling (since, no until)', () => {
  it('returns every event in persistence order, some out of order by published, and ends on an empty page with a next link', async () => {
    const truth = sim.org(0).truth().logEvents;
    const { events, pages } = await poll(`/api/v1/logs?since=${encodeURIComponent(since())}&limit=500`);
    expect(events.map((e) => e.uuid)).toEqual(truth.map((e) => e.uuid));
    expect(pages).toBe(4);
    const outOfOrder = events.some((e, i) => i > 0 && e.published < events[i - 1]!.published);
    expect(outOfOrder).toBe(true);
  });

  it('delivers events added later through the kept next link, with no duplicates', async () => {
    const { cursor } = await poll(`/api/v1/logs?since=${encodeURIComponent(since())}&limit=1000`);
    const empty = await apiGet(org, cursor, token);
    expect(empty.json<LogEvent[]>()).toEqual([]);
    expect(nextLink(empty)).toBeDefined();
    const added = await admin<{ results: { ids: string[] }[] }>(org, 'mutate', { op: 'addLogEvents', count: 3, eventType: 'user.session.start' });
    const later = await poll(cursor);
    expect(later.events.map((e) => e.uuid)).toEqual(added.results[0]!.ids);
  });

  it('has a next link even when the first page is empty, and caps limit at 1000', async () => {
    const future = await apiGet(org, `/api/v1/logs?since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`, token);
    expect(future.json<unknown[]>()).toEqual([]);
    expect(nextLink(future)).toBeDefined();
    const big = await apiGet(org, `/api/v1/logs?since=${encodeURIComponent(since())}&limit=5000`, token);
    expect(big.json<unknown[]>()).toHaveLength(1000);
    expect((await apiGet(org, '/api/v1/logs', token)).json<unknown[]>()).toHaveLength(100);
  });
});

describe('System Log bounded queries (until)', () => {
  it('orders by published and has a next link only while events remain', async () => {
    const truth = sim.org(0).truth().logEvents;
    const until = new Date(Date.now() + 60_000).toISOString();
    const events: LogEvent[] = [];
    let url: string | undefined = `/api/v1/logs?since=${encodeURIComponent(since())}&until=${encodeURIComponent(until)}&limit=400`;
    let pages = 0;
    while (url !== undefined) {
      const answer = await apiGet(org, url, token);
      events.push(...answer.json<LogEvent[]>());
      url = nextLink(answer);
      pages++;
    }
    expect(events).toHaveLength(truth.length);
    expect(pages).toBe(Math.ceil(truth.length / 400));
    expect(events.every((e, i) => i === 0 || e.published >= events[i - 1]!.published)).toBe(true);
  });

  it('filters by eventType and rejects unreadable times', async () => {
    const truth = sim.org(0).truth().logEvents.filter((e) => e.eventType === 'user.session.start');
    const until = new Date(Date.now() + 60_000).toISOString();
    const answer = await apiGet(org, `/api/v1/logs?since=${encodeURIComponent(since())}&until=${encodeURIComponent(until)}&limit=1000&filter=${encodeURIComponent('eventType eq "user.session.start"')}`, token);
    expect(answer.json<LogEvent[]>().length).toBe(Math.min(1000, truth.length));
    const bad = await apiGet(org, '/api/v1/logs?since=yesterday', token);
    expect(bad.status).toBe(400);
    expect(bad.json<OktaErrorBody>().errorCode).toBe('E0000001');
  });
});

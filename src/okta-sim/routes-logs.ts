import { compileFilter, FilterSyntaxError, type Predicate } from './filter-expr.js';
import type { LogRecord } from './org-model.js';
import { jsonArray } from './org-store.js';
import { decodeCursor, encodeCursor, linkHeaders, pageAfter, parseLimit } from './pagination.js';
import { type Reply, oktaError, rawJsonReply } from './reply.js';
import type { RouteRequest } from './route-request.js';

const DAY_MS = 86_400_000;
const RETENTION_MS = 90 * DAY_MS;
const DEFAULT_LOOKBACK_MS = 7 * DAY_MS;
const LOG_ATTRIBUTES = new Set(['eventType', 'severity', 'published', 'outcome.result', 'actor.id', 'actor.alternateId', 'actor.type', 'uuid']);
const LOG_DATES = new Set(['published']);
const pad = (n: number, width: number): string => String(n).padStart(width, '0');
// Sort keys compare as strings: persistence order for polling, (published, seq) for bounded queries.
const seqKey = (r: LogRecord): string => pad(r.seq, 12);
const publishedKey = (r: LogRecord): string => `${pad(r.publishedMs, 15)}:${pad(r.seq, 12)}`;
const descendingKey = (r: LogRecord): string => `${pad(1e15 - r.publishedMs, 15)}:${pad(1e12 - r.seq, 12)}`;

function readEvent(record: LogRecord, attribute: string): string | null | undefined {
  const e = record.event;
  switch (attribute) {
    case 'outcome.result': return e.outcome.result;
    case 'actor.id': return e.actor.id;
    case 'actor.alternateId': return e.actor.alternateId;
    case 'actor.type': return e.actor.type;
    case 'eventType': return e.eventType;
    case 'severity': return e.severity;
    case 'published': return e.published;
    case 'uuid': return e.uuid;
    default: return undefined;
  }
}

function parseTime(raw: string | null, name: string): number | Reply | undefined {
  if (raw === null || raw === '') return undefined;
  const ms = Date.parse(raw);
  return Number.isNaN(ms) ? oktaError(400, 'E0000001', `${name}: not an ISO 8601 timestamp`) : ms;
}

function matcher(req: RouteRequest): Predicate | Reply {
  const filter = req.params.get('filter');
  let byFilter: Predicate = () => true;
  if (filter !== null) {
    try {
      byFilter = compileFilter(filter, LOG_ATTRIBUTES, LOG_DATES);
    } catch (error) {
      if (error instanceof FilterSyntaxError) return oktaError(400, 'E0000031', error.message);
      throw error;
    }
  }
  const words = (req.params.get('q') ?? '').toLowerCase().split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) return byFilter;
  return (read) => byFilter(read) && words.every((w) => ['eventType', 'actor.alternateId'].some((a) => (read(a) ?? '').toLowerCase().includes(w)));
}

/**
 * `GET /api/v1/logs`. Without `until` it is a polling query: ordered by persistence, and the
 * `next` link is always present, even on an empty page, so a client stops on an empty page and
 * keeps the link as its cursor. With `until` it is bounded: ordered by `published` and `next`
 * only while more events remain.
 */
export function listLogs(req: RouteRequest): Reply {
  // The System Log takes 0–1000 (OKTA-FACTS "Pagination"): `limit=0` is a valid, empty page.
  const limit = parseLimit(req.params.get('limit'), 100, 1000, 0);
  if (limit === undefined) return oktaError(400, 'E0000001', 'limit: must be an integer from 0 to 1000');
  const since = parseTime(req.params.get('since'), 'since');
  const until = parseTime(req.params.get('until'), 'until');
  if (typeof since === 'object') return since;
  if (typeof until === 'object') return until;
  const match = matcher(req);
  if (typeof match !== 'function') return match;
  const polling = until === undefined;
  const descending = req.params.get('sortOrder') === 'DESCENDING';
  if (polling && descending) return oktaError(400, 'E0000001', 'sortOrder: DESCENDING needs an until (polling is ascending only)');
  const after = req.params.get('after');
  const afterKey = after === null ? undefined : decodeCursor(after);
  if (after !== null && afterKey === undefined) return oktaError(400, 'E0000001', 'after: invalid cursor');
  // Okta keeps 90 days; an older `since` reads from the start of retention.
  const sinceMs = Math.max(since ?? (until ?? req.nowMs) - DEFAULT_LOOKBACK_MS, req.nowMs - RETENTION_MS);
  const inRange = (r: LogRecord): boolean => r.publishedMs >= sinceMs && (until === undefined || r.publishedMs < until) && match((a) => readEvent(r, a));
  const selected = req.store.data.logs.filter(inRange);
  const key = polling ? seqKey : descending ? descendingKey : publishedKey;
  if (!polling) selected.sort((a, b) => (key(a) < key(b) ? -1 : 1));
  const page = pageAfter(selected, key, afterKey, limit);
  // An empty page asked for (limit=0) leaves the cursor before the first matching event, not at the newest.
  const first = selected[0];
  const holdAt = limit === 0 && afterKey === undefined && first ? pad(first.seq - 1, 12) : undefined;
  const nextKey = polling ? (holdAt ?? pollingCursor(req, page.items, afterKey)) : page.nextKey;
  const next = nextKey === undefined ? undefined : encodeCursor(nextKey);
  const body = jsonArray(page.items.map((r) => req.store.serialize(r.event, () => r.event)));
  return { ...rawJsonReply(200, body, { link: linkHeaders(req.store.baseUrl, req.pathname, req.params, next) }), pageLimit: limit };
}

/** The polling cursor: after the last event returned, else where the caller was, else the newest event stored. */
function pollingCursor(req: RouteRequest, items: LogRecord[], afterKey: string | undefined): string {
  const last = items[items.length - 1];
  if (last) return seqKey(last);
  if (afterKey !== undefined) return afterKey;
  const newest = req.store.data.logs[req.store.data.logs.length - 1];
  return newest ? seqKey(newest) : pad(0, 12);
}

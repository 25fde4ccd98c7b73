/**
 * The rate budget's two Lua scripts. Both run on Redis time (`TIME`), so workers whose clocks
 * disagree still agree on the budget; waits cross the wire as durations, never as timestamps.
 *
 * KEYS (all under the `{prefix}` hash tag, so one cluster slot):
 *   1 state    hash  `{prefix}:rl:<tenant>:<bucket>`          limit, rem, resetAt, used, probe
 *   2 pending  zset  `{prefix}:rl:<tenant>:<bucket>:pending`  lease id → expiry (requests out in this bucket)
 *   3 inflight zset  `{prefix}:rl:<tenant>:inflight`          lease id → expiry (requests out for the tenant)
 *
 * State of one (tenant, bucket) window:
 *   limit    X-Rate-Limit-Limit of the window
 *   rem      what Okta has left, conservatively: the lowest `remaining` seen, minus requests
 *            still out when it was seen, minus grants since
 *   resetAt  when the window ends (Redis ms); at or after it we know nothing about the new window
 *   used     our grants counted against this window
 *   probe    the lease id of the request sent to learn a new window (one at a time)
 *   probeUntil  when another probe may go even though that one never answered (its worker died)
 */

/**
 * ARGV: share, tenant cap, lease id, lease ttl ms, state ttl ms, probe ttl ms.
 * Returns {1} granted, or {0, reason, waitMs} with reason `in_flight` | `probe` | `window`.
 */
export const ACQUIRE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local share = tonumber(ARGV[1])
local cap = tonumber(ARGV[2])
local lease = ARGV[3]
local leaseTtl = tonumber(ARGV[4])
local stateTtl = tonumber(ARGV[5])
local probeTtl = tonumber(ARGV[6])
-- Leases of workers that died expire here.
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= cap then return {0, 'in_flight', 0} end
local s = redis.call('HMGET', KEYS[1], 'limit', 'rem', 'resetAt', 'used', 'probe', 'probeUntil')
local limit, rem, resetAt, used = tonumber(s[1]), tonumber(s[2]), tonumber(s[3]), tonumber(s[4])
if resetAt == nil or limit == nil or now >= resetAt then
  -- No answer from the current window yet (first request, or the reset passed): send one
  -- request alone and let its headers tell the window, rather than burst into the unknown.
  -- A probe whose worker died stops holding the others back after probeTtl.
  if s[5] and now < (tonumber(s[6]) or 0) then return {0, 'probe', 0} end
  redis.call('HSET', KEYS[1], 'probe', lease, 'probeUntil', now + math.min(probeTtl, leaseTtl))
else
  local allowance = math.max(1, math.floor(share * limit + 1e-9))
  if (used or 0) >= allowance or (rem or 0) <= 0 then return {0, 'window', resetAt - now} end
  redis.call('HSET', KEYS[1], 'used', (used or 0) + 1, 'rem', (rem or 0) - 1)
end
local expiry = now + leaseTtl
redis.call('ZADD', KEYS[2], expiry, lease)
redis.call('ZADD', KEYS[3], expiry, lease)
redis.call('PEXPIRE', KEYS[2], leaseTtl)
redis.call('PEXPIRE', KEYS[3], leaseTtl)
redis.call('PEXPIRE', KEYS[1], stateTtl)
return {1}
`;

/**
 * ARGV: lease id, answered ('1' when the response carried rate-limit headers, else '0'), limit,
 * remaining, reset in ms from now, state ttl ms, same-window tolerance ms.
 * Releases the lease and folds the answer into the window state. Returns 1 when it opened a new window.
 */
export const RELEASE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = ARGV[1]
redis.call('ZREM', KEYS[2], lease)
redis.call('ZREM', KEYS[3], lease)
local wasProbe = redis.call('HGET', KEYS[1], 'probe') == lease
if wasProbe then redis.call('HDEL', KEYS[1], 'probe', 'probeUntil') end
if ARGV[2] ~= '1' then return 0 end
local limit = tonumber(ARGV[3])
local remaining = tonumber(ARGV[4])
local resetAt = now + tonumber(ARGV[5])
local stateTtl = tonumber(ARGV[6])
local gap = tonumber(ARGV[7])
-- A concurrency 429 (limit 0) says nothing about the window; an answer whose window is over neither.
if limit <= 0 or resetAt <= now then return 0 end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local pending = redis.call('ZCARD', KEYS[2])
local s = redis.call('HMGET', KEYS[1], 'resetAt', 'rem', 'used')
local storedReset, storedRem, used = tonumber(s[1]), tonumber(s[2]), tonumber(s[3]) or 0
if storedReset == nil or resetAt > storedReset + gap then
  -- The first answer of a newer window. Requests still out may count in it: assume they do.
  redis.call('HSET', KEYS[1], 'limit', limit, 'rem', remaining - pending, 'resetAt', resetAt, 'used', 1 + pending)
  redis.call('HDEL', KEYS[1], 'probe', 'probeUntil')
  redis.call('PEXPIRE', KEYS[1], stateTtl)
  return 1
end
if resetAt < storedReset - gap then return 0 end
-- The same window. Each reading is a safe (never early) estimate of its end: keep the earliest,
-- unless the stored one already passed, which this answer shows was too early.
local reset = storedReset
if now >= storedReset or resetAt < storedReset then reset = resetAt end
local rem = remaining - pending
if storedRem ~= nil and storedRem < rem then rem = storedRem end
-- A probe that turned out to land in the window we knew is one more request spent in it.
if wasProbe then used = used + 1 end
redis.call('HSET', KEYS[1], 'limit', limit, 'rem', rem, 'resetAt', reset, 'used', used)
redis.call('PEXPIRE', KEYS[1], stateTtl)
return 0
`;

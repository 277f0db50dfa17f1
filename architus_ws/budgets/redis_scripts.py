"""The Lua scripts of the shared budgets, and their key names. Each check is one script: one
round trip, atomic, timed by Redis's own clock (`TIME`: one clock for every node).

Every key carries the hash tag `{budgets}`, so on a Redis Cluster they all live on one shard
and a script may read the node table beside an address's keys:

| name | kind | holds |
|---|---|---|
| `architus:{budgets}:nodes` | sorted set | node id -> end of its keepalive (ms) |
| `architus:{budgets}:sockets:<address>` | hash | node id -> sockets it holds from the address |
| `architus:{budgets}:connects:<address>` | string | GCRA arrival time (ms) of its connects |
| `architus:{budgets}:interpret:<address>` | string | the same for its interpret requests |

A bucket's key expires when the bucket is full again; a sockets hash 60 s after the last
keepalive of a node holding sockets there.
"""

from __future__ import annotations

from bot_bridge.bus.redis_keys import PREFIX

TAG = f"{PREFIX}:{{budgets}}"
NODES = f"{TAG}:nodes"


def sockets_key(address: str) -> str:
    return f"{TAG}:sockets:{address}"


def connects_key(address: str) -> str:
    return f"{TAG}:connects:{address}"


def interpret_key(address: str) -> str:
    return f"{TAG}:interpret:{address}"


# A GCRA bucket of `capacity` tokens refilled over `period` ms: the key holds the theoretical
# arrival time (tat), and the bucket is full when tat <= now. `debt` tokens already spent
# elsewhere (a node's unreported share) are charged whatever the level; `want` (0 or 1) is
# taken only if it fits. Answers the ms to wait for the token wanted (0: taken) and the whole
# tokens left, negative in debt.
GCRA = """
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end
local function spend(key, now, period, capacity, debt, want)
  local interval = period / capacity
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  tat = tat + debt * interval
  local wait = 0
  if want > 0 then
    local after = tat + interval
    if after - now <= period then tat = after else wait = after - now - period end
  end
  if tat > now then
    redis.call('SET', key, string.format('%.3f', tat), 'PX', math.ceil(tat - now))
  end
  return math.ceil(wait), math.floor((period - (tat - now)) / interval)
end
"""

# KEYS: nodes, sockets hash, connects bucket. ARGV: node id, sockets cap, period ms, capacity,
# sockets hash ttl ms. Answers {0, 0} (counted), {1, 0} (the cap is reached: nothing charged)
# or {2, wait ms} (the connect budget is spent). A node past the end of its keepalive no
# longer counts: its fields are dropped here.
ADMIT = (
    GCRA
    + """
local now = clock()
local fields = redis.call('HGETALL', KEYS[2])
local total = 0
for i = 1, #fields, 2 do
  local node = fields[i]
  local ends = redis.call('ZSCORE', KEYS[1], node)
  if node == ARGV[1] or (ends and tonumber(ends) > now) then
    total = total + tonumber(fields[i + 1])
  else
    redis.call('HDEL', KEYS[2], node)
  end
end
if total >= tonumber(ARGV[2]) then
  return {1, 0}
end
local wait = spend(KEYS[3], now, tonumber(ARGV[3]), tonumber(ARGV[4]), 0, 1)
if wait > 0 then
  return {2, wait}
end
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
redis.call('PEXPIRE', KEYS[2], ARGV[5])
return {0, 0}
"""
)

# KEYS: a sockets hash. ARGV: node id, sockets gone.
RELEASE = """
if redis.call('HINCRBY', KEYS[1], ARGV[1], -tonumber(ARGV[2])) <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
end
"""

# KEYS: an interpret bucket. ARGV: period ms, capacity, debt. Answers {wait ms, tokens left}.
INTERPRET = (
    GCRA
    + """
local wait, left = spend(KEYS[1], clock(), tonumber(ARGV[1]), tonumber(ARGV[2]),
                         tonumber(ARGV[3]), 1)
return {wait, left}
"""
)

# A node's tick. KEYS: nodes, then `ARGV[6]` interpret buckets owed a debt, then the sockets
# hashes the node holds fields in. ARGV: node id, keepalive ms, sockets hash ttl ms, period ms,
# capacity, number of debts, the debts. Answers the tokens left in each bucket charged.
TICK = (
    GCRA
    + """
local now = clock()
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
local debts = tonumber(ARGV[6])
local period, capacity = tonumber(ARGV[4]), tonumber(ARGV[5])
local left = {}
for i = 1, debts do
  local _, tokens = spend(KEYS[i + 1], now, period, capacity, tonumber(ARGV[6 + i]), 0)
  left[i] = tokens
end
for i = debts + 2, #KEYS do
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
return left
"""
)

# KEYS: nodes. ARGV: node id. A node that stops cleanly stops counting at once.
LEAVE = "redis.call('ZREM', KEYS[1], ARGV[1])"

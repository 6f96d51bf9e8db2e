"""The Lua script that keeps a shared limiter's state in Redis, and its arguments.

One call does everything a limiter instance has to tell Redis and ask it, in
one round trip and atomically (Redis runs a script to completion before any
other command: https://redis.io/docs/latest/commands/eval/):

1. take the time from Redis (``TIME``), so that the clocks of the machines
   sharing the limit never matter;
2. apply what the instance saw since its last call: limits learned from
   ``x-ratelimit-*`` headers, successes (the slow recovery of the pace), the
   difference between reserved and charged tokens, 429s (cool-down for every
   sharer, and one slow-down per congestion event) and spent windows;
3. book the earliest start for a request (the same virtual scheduling as the
   local ``RateLimiter``), and
4. register the instance as a sharer and push the keys' expiry past the last
   booked moment.

Key layout (``{...}`` is a Redis Cluster hash tag: both keys live in one slot,
as a script's keys must; every key is passed in ``KEYS``, as EVAL requires)::

    <prefix>:{<id>}       hash   next_req, next_tok, blocked (seconds, Redis time),
                                 factor (the pace after 429s), rpm / tpm (learned),
                                 endpoint, model, key (what the id stands for)
    <prefix>:{<id>}:who   zset   limiter instances, scored by their last call

``<id>`` is the first 20 hex digits of sha256("endpoint\\nmodel\\nkey"). Both keys
expire ``state_ttl`` seconds after the later of the last call and the last
booked moment, so an account nobody uses leaves nothing behind.

Since Redis 5 scripts are replicated by their effects, so a script may write
after reading ``TIME`` (https://redis.io/docs/latest/develop/programmability/eval-intro/,
"Replicating commands instead of scripts"; quoted in symfony/symfony#43158).
Lua numbers become *integers* in a reply ("Lua number -> RESP integer", the
fraction dropped: redis/redis tests/unit/scripting.tcl "EVAL - Lua integer ->
Redis protocol type conversion"), and a number passed to ``redis.call`` is
printed with limited precision (redis/redis#1118): every time and rate crosses
the boundary as a string formatted here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["SCRIPT", "SHARER_WINDOW", "Report", "ScriptResult", "keys_for", "parse_result"]

#: An instance counts as a sharer for this long after its last call (seconds).
SHARER_WINDOW = 60.0

SCRIPT = """
local state, who = KEYS[1], KEYS[2]
local function fmt(x) return string.format('%.6f', x) end
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local s = redis.call('HMGET', state, 'next_req', 'next_tok', 'blocked', 'factor', 'rpm', 'tpm')
local next_req = tonumber(s[1]) or 0
local next_tok = tonumber(s[2]) or 0
local blocked = tonumber(s[3]) or 0
local factor = tonumber(s[4]) or 1
local learned_rpm = tonumber(ARGV[7]) or tonumber(s[5])
local learned_tpm = tonumber(ARGV[8]) or tonumber(s[6])
local min_factor, slowdown, recovery = tonumber(ARGV[14]), tonumber(ARGV[15]), tonumber(ARGV[16])

local successes = tonumber(ARGV[9])
if successes > 0 then factor = math.min(1, factor + recovery * successes) end
-- One slow-down per congestion event: 429s that arrive while everyone is
-- already cooling down answer requests sent before the slow-down.
if tonumber(ARGV[11]) > 0 and now >= blocked then
  factor = math.max(min_factor, factor * slowdown)
end
local block_for = tonumber(ARGV[12])
if block_for > 0 then blocked = math.max(blocked, now + block_for) end
-- A returning instance still has requests booked locally up to now + ahead.
local ahead = tonumber(ARGV[21])
if ahead > 0 then
  next_req = math.max(next_req, now + ahead)
  next_tok = math.max(next_tok, now + ahead)
end

local rpm = tonumber(ARGV[4]) or learned_rpm
local tpm = tonumber(ARGV[5]) or learned_tpm
local scale = tonumber(ARGV[6]) * factor
local diff = tonumber(ARGV[10])
if diff ~= 0 and tpm then
  local shift = 60 * diff / (tpm * scale)
  -- unused tokens are credited back, but never into the past (no idle burst)
  if shift < 0 then next_tok = math.max(now, next_tok + shift) else next_tok = next_tok + shift end
end

local delay = ''
if ARGV[3] ~= '' then
  local start = math.max(now, next_req, next_tok, blocked)
  if rpm then next_req = start + 60 / (rpm * scale) end
  if tpm then next_tok = start + 60 * tonumber(ARGV[3]) / (tpm * scale) end
  delay = fmt(start - now)
end

redis.call('HSET', state, 'next_req', fmt(next_req), 'next_tok', fmt(next_tok),
  'blocked', fmt(blocked), 'factor', fmt(factor),
  'endpoint', ARGV[17], 'model', ARGV[18], 'key', ARGV[19])
if learned_rpm then redis.call('HSET', state, 'rpm', fmt(learned_rpm)) end
if learned_tpm then redis.call('HSET', state, 'tpm', fmt(learned_tpm)) end
redis.call('ZADD', who, fmt(now), ARGV[2])
redis.call('ZREMRANGEBYSCORE', who, '-inf', fmt(now - tonumber(ARGV[20])))
local sharers = redis.call('ZCARD', who)
local horizon = math.max(now, next_req, next_tok, blocked)
local ttl_ms = math.ceil((horizon - now + tonumber(ARGV[13])) * 1000)
redis.call('PEXPIRE', state, ttl_ms)
redis.call('PEXPIRE', who, ttl_ms)
return {delay, fmt(math.max(0, blocked - now)), fmt(factor),
  learned_rpm and fmt(learned_rpm) or '', learned_tpm and fmt(learned_tpm) or '',
  tostring(sharers)}
"""


def keys_for(prefix: str, endpoint: str, model: str, key: str | None) -> tuple[str, str]:
    """The state hash and the sharers' set of one (endpoint, model, user key)."""
    material = "\n".join((endpoint, model, key or ""))
    digest = hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    state = f"{prefix}:{{{digest}}}"
    return state, f"{state}:who"


@dataclass
class Report:
    """What one instance saw since its last call, sent with the next one."""

    successes: int = 0
    token_diff: int = 0
    penalties: int = 0
    #: seconds every sharer must wait from now (429 cool-down, spent window)
    block_for: float = 0.0
    #: back from a fallback: requests are booked locally this far ahead
    ahead: float = 0.0
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None


@dataclass(frozen=True)
class ScriptResult:
    delay: float | None  # None: nothing was booked
    blocked_for: float
    factor: float
    requests_per_minute: float | None  # learned by any sharer
    tokens_per_minute: float | None
    sharers: int


def _opt(value: float | None) -> str:
    return "" if value is None else repr(float(value))


def script_args(
    *,
    now: float | None,
    instance: str,
    tokens: int | None,
    configured: tuple[float | None, float | None],
    utilization: float,
    report: Report,
    ttl: float,
    tuning: tuple[float, float, float],
    identity: tuple[str, str, str],
) -> list[str]:
    """ARGV for ``SCRIPT``, in its order. ``tuning``: (min factor, slow-down, recovery)."""
    return [
        _opt(now), instance, "" if tokens is None else str(tokens),
        _opt(configured[0]), _opt(configured[1]), repr(utilization),
        _opt(report.requests_per_minute), _opt(report.tokens_per_minute),
        str(report.successes), str(report.token_diff), str(report.penalties),
        repr(max(0.0, report.block_for)), repr(ttl),
        *(repr(x) for x in tuning), *identity, repr(SHARER_WINDOW),
        repr(max(0.0, report.ahead)),
    ]


def _float(raw: bytes | str) -> float | None:
    return float(raw) if raw not in (b"", "") else None


def parse_result(raw: Sequence[bytes | str]) -> ScriptResult:
    """The script's reply (bytes, or str for a client with ``decode_responses``)."""
    delay, blocked, factor, rpm, tpm, sharers = raw
    return ScriptResult(
        delay=_float(delay),
        blocked_for=float(blocked),
        factor=float(factor),
        requests_per_minute=_float(rpm),
        tokens_per_minute=_float(tpm),
        sharers=int(sharers),
    )

"""Rate limits shared by every process, kept in Redis.

Algorithm: a sliding log. Each (scope, identity, rate) has a sorted set of the
timestamps of the hits it accepted; a hit is allowed when fewer than `limit`
hits lie in the last `period_seconds`. That is the literal meaning of "30 per
minute" for any 60-second window, so there is no boundary where a fixed window
lets 2x through, and no token-bucket refill that lets a burst of `limit` be
followed by a steady stream within the same period. Memory is at most `limit`
entries per key, which suits the small, user-facing limits this is for.

All rates of one call are checked and recorded in a single Lua script, so the
check is atomic across processes and a refused hit is counted against none of
them. The keys of one call share a hash tag, so the script also runs on a
Redis Cluster.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis
from redis.commands.core import Script

from web.core.redis_client import redis_client

logger = logging.getLogger("mash.ratelimit")

KEY_PREFIX = "ratelimit"


@dataclass(frozen=True)
class Rate:
    """At most `limit` hits in any window of `period_seconds`."""

    limit: int
    period_seconds: float

    def __post_init__(self) -> None:
        if self.limit < 1:
            raise ValueError("Rate.limit must be at least 1")
        if self.period_seconds <= 0:
            raise ValueError("Rate.period_seconds must be positive")


# KEYS: one sorted set per rate. ARGV: now ("" for the Redis server's clock), member,
# then limit and period of each key. The server's clock by default: every web host then
# counts on one clock, and a host whose clock is ahead can neither purge the others' hits
# early nor stretch their Retry-After. (Replicated as effects, so TIME is allowed before a
# write.) Returns nil when the hit is accepted (and recorded in every set), else the
# seconds to wait as a string (a Lua number would be truncated to an integer reply).
# Not bound to a client: the pooled client of the current REDIS_URL is passed at each call.
_SLIDING_LOG = Script(
    None,  # type: ignore[arg-type]
    b"""
local now = tonumber(ARGV[1])
if now == nil then
    if redis.replicate_commands then redis.replicate_commands() end
    local t = redis.call('TIME')
    now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local wait = 0
for i, key in ipairs(KEYS) do
    local limit = tonumber(ARGV[1 + 2 * i])
    local period = tonumber(ARGV[2 + 2 * i])
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
    local count = redis.call('ZCARD', key)
    if count >= limit then
        -- the accepted hit that has to leave the window before one more fits
        local edge = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
        local key_wait = tonumber(edge[2]) + period - now
        if key_wait > wait then wait = key_wait end
    end
end
if wait > 0 then return tostring(wait) end
for i, key in ipairs(KEYS) do
    local period = tonumber(ARGV[2 + 2 * i])
    redis.call('ZADD', key, now, ARGV[2])
    redis.call('PEXPIRE', key, math.ceil(period * 1000))
end
return false
""",
)


def _key(scope: str, identity: str, rate: Rate) -> str:
    return f"{KEY_PREFIX}:{{{scope}:{identity}}}:{rate.limit}/{rate.period_seconds:g}"


def rate_limit_hit(scope: str, identity: str, rates: Sequence[Rate], *, now: float | None = None) -> float | None:
    """Count one hit for (scope, identity) against every rate.

    Returns None when the hit is allowed (and counted against every rate), else the
    seconds until it would be allowed (> 0); a refused hit is counted against none.
    Counters live in Redis (settings.REDIS_URL), so limits hold across processes.
    If Redis is unreachable the limiter fails open: returns None and logs a warning.

    `now` (Unix seconds) defaults to the Redis server's clock; tests pass it to step
    through windows.
    """
    if not rates:
        return None
    keys = [_key(scope, identity, rate) for rate in rates]
    # The member only has to be unique; the score is `now`.
    member = f"{time.time() if now is None else now:.6f}:{secrets.token_hex(6)}"
    args: list[str | float | int] = ["" if now is None else repr(now), member]
    for rate in rates:
        args.extend((rate.limit, repr(float(rate.period_seconds))))
    try:
        result = _SLIDING_LOG(keys=keys, args=args, client=redis_client())
    except redis.RedisError as exc:
        logger.warning("rate limit not enforced, Redis unavailable", extra={"scope": scope, "error": str(exc)})
        return None
    if result is None:
        return None
    return max(float(result), 0.001)


# Counting outcomes rather than requests (e.g. failed sign-ins): the caller asks whether
# one more hit would fit (`rate_limit_wait`, nothing recorded) before acting, and records
# the hit (`rate_limit_record`, always recorded) once the outcome is known. Each set keeps
# only its newest `limit` members, all a wait needs, so memory stays bounded however many
# hits are recorded. ARGV as for _SLIDING_LOG (a wait passes an empty member).
_RECORD = Script(
    None,  # type: ignore[arg-type]
    b"""
local now = tonumber(ARGV[1])
if now == nil then
    if redis.replicate_commands then redis.replicate_commands() end
    local t = redis.call('TIME')
    now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
for i, key in ipairs(KEYS) do
    local limit = tonumber(ARGV[1 + 2 * i])
    local period = tonumber(ARGV[2 + 2 * i])
    redis.call('ZADD', key, now, ARGV[2])
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
    redis.call('ZREMRANGEBYRANK', key, 0, -limit - 1)
    redis.call('PEXPIRE', key, math.ceil(period * 1000))
end
return false
""",
)

_WAIT = Script(
    None,  # type: ignore[arg-type]
    b"""
local now = tonumber(ARGV[1])
if now == nil then
    local t = redis.call('TIME')
    now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local wait = 0
for i, key in ipairs(KEYS) do
    local limit = tonumber(ARGV[1 + 2 * i])
    local period = tonumber(ARGV[2 + 2 * i])
    local edge = redis.call('ZRANGEBYSCORE', key, now - period, '+inf', 'WITHSCORES')
    local count = #edge / 2
    if count >= limit then
        local key_wait = tonumber(edge[2 * (count - limit) + 2]) + period - now
        if key_wait > wait then wait = key_wait end
    end
end
if wait > 0 then return tostring(wait) end
return false
""",
)


def _rate_args(rates: Sequence[Rate]) -> list[str | float | int]:
    args: list[str | float | int] = []
    for rate in rates:
        args.extend((rate.limit, repr(float(rate.period_seconds))))
    return args


def rate_limit_wait(scope: str, identity: str, rates: Sequence[Rate], *, now: float | None = None) -> float | None:
    """Seconds until one more hit of (scope, identity) fits every rate, or None when it
    fits now. Records nothing; fails open (None) while Redis is unreachable."""
    if not rates:
        return None
    keys = [_key(scope, identity, rate) for rate in rates]
    try:
        args = ["" if now is None else repr(now), "", *_rate_args(rates)]
        result = _WAIT(keys=keys, args=args, client=redis_client())
    except redis.RedisError as exc:
        logger.warning("rate limit not enforced, Redis unavailable", extra={"scope": scope, "error": str(exc)})
        return None
    return None if result is None else max(float(result), 0.001)


def rate_limit_record(scope: str, identity: str, rates: Sequence[Rate], *, now: float | None = None) -> None:
    """Record one hit of (scope, identity) against every rate, whether or not it fits."""
    if not rates:
        return
    keys = [_key(scope, identity, rate) for rate in rates]
    member = f"{time.time() if now is None else now:.6f}:{secrets.token_hex(6)}"
    args: list[str | float | int] = ["" if now is None else repr(now), member, *_rate_args(rates)]
    try:
        _RECORD(keys=keys, args=args, client=redis_client())
    except redis.RedisError as exc:
        logger.warning("rate limit hit not recorded, Redis unavailable", extra={"scope": scope, "error": str(exc)})

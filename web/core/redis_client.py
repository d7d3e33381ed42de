"""Shared Redis clients for request-path work (rate limits, event buffering).

One connection pool per (REDIS_URL, timeout) per process, so a request reuses an
open connection instead of paying a TCP handshake. Timeouts are short and there
are no automatic retries: callers on the request path must degrade (fail open,
fall back) when Redis is slow or down, never hang. redis-py pools notice a fork
and reconnect, so gunicorn and Celery prefork workers are safe.
"""

from __future__ import annotations

import threading

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

# Request-path default: loopback or same-datacenter Redis answers in well under a millisecond.
FAST_TIMEOUT = 0.25

_pools: dict[tuple[str, float], redis.ConnectionPool] = {}
_pools_lock = threading.Lock()


def redis_client(*, timeout: float = FAST_TIMEOUT) -> redis.Redis:
    """A client for settings.REDIS_URL on a pooled connection with the given socket timeout.

    No retries: a retried RPUSH or EVALSHA whose first attempt reached the server would
    count twice, and a retry loop is exactly the latency the caller must not pay.
    """
    key = (settings.REDIS_URL, timeout)
    pool = _pools.get(key)
    if pool is None:
        with _pools_lock:
            pool = _pools.get(key)
            if pool is None:
                pool = redis.ConnectionPool.from_url(
                    settings.REDIS_URL,
                    socket_connect_timeout=timeout,
                    socket_timeout=timeout,
                    retry=Retry(NoBackoff(), 0),
                    health_check_interval=30,
                )
                _pools[key] = pool
    return redis.Redis(connection_pool=pool)

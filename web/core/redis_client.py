"""Shared Redis clients for request-path work (rate limits, event buffering).

One client and connection pool per (REDIS_URL, timeout) per process, so a request
reuses an open connection instead of paying a TCP handshake, and does not rebuild a
client (redis-py's constructor sets up its response callbacks, about 0.1 ms) either.
A client is thread-safe: each command checks a connection out of the pool.

Timeouts are short and there are no automatic retries: callers on the request path
must degrade (fail open, fall back) when Redis is slow or down, never hang. redis-py
pools notice a fork and reconnect, so gunicorn and Celery prefork workers are safe.
"""

from __future__ import annotations

import threading

import redis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.retry import Retry

# Request-path default: loopback or same-datacenter Redis answers in well under a millisecond.
FAST_TIMEOUT = 0.25

_clients: dict[tuple[str, float], redis.Redis] = {}
_clients_lock = threading.Lock()


def redis_client(*, timeout: float = FAST_TIMEOUT) -> redis.Redis:
    """A client for settings.REDIS_URL on a pooled connection with the given socket timeout.

    No retries: a retried RPUSH or EVALSHA whose first attempt reached the server would
    count twice, and a retry loop is exactly the latency the caller must not pay.
    """
    key = (settings.REDIS_URL, timeout)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                pool = redis.ConnectionPool.from_url(
                    settings.REDIS_URL,
                    socket_connect_timeout=timeout,
                    socket_timeout=timeout,
                    retry=Retry(NoBackoff(), 0),
                    health_check_interval=30,
                )
                client = _clients[key] = redis.Redis(connection_pool=pool)
    return client

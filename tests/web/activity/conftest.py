"""Fixtures of the activity tests: the real Redis of the test run, cleaned around each test,
a stopped Redis, and the request context the middleware would set."""

from __future__ import annotations

import time

import pytest
import redis
from django.conf import settings

from config.embedded import EmbeddedRedis
from web.activity.buffer import BUFFER_KEY, DRAIN_LOCK_KEY, PROCESSING_KEY
from web.core.context import RequestContext, clean_referrer, enter_request, leave_request


def _clean(client: redis.Redis) -> None:
    client.delete(BUFFER_KEY, PROCESSING_KEY, DRAIN_LOCK_KEY)
    for pattern in ("ratelimit:{activity.trigger:*", "ratelimit:{activity.trigger.rate_limited:*"):
        keys = list(client.scan_iter(match=pattern, count=500))
        if keys:
            client.delete(*keys)


@pytest.fixture
def redis_conn():
    client = redis.Redis.from_url(settings.REDIS_URL)
    yield client
    client.close()


@pytest.fixture(autouse=True)
def _clean_activity_redis(redis_conn):
    """Buffered events and trigger counters never leak between tests (or runs: Redis is appendonly)."""
    _clean(redis_conn)
    yield
    _clean(redis_conn)


@pytest.fixture
def stopped_redis(settings, tmp_path):
    """settings.REDIS_URL pointing at a Redis that has been stopped."""
    server = EmbeddedRedis(tmp_path / "redis").start()
    settings.REDIS_URL = server.url
    server.stop()
    return server


@pytest.fixture
def in_request():
    """Call it to go on as code below a view does: inside the context RequestLogMiddleware
    sets, built from a raw Referer header and an arrival time (now by default)."""
    tokens: list[object] = []

    def enter(*, referer: str = "", started: float | None = None) -> RequestContext:
        context = RequestContext(
            request_id="test-request",
            client_address="127.0.0.1",
            referrer=clean_referrer(referer),
            started=time.perf_counter() if started is None else started,
        )
        tokens.append(enter_request(context))
        return context

    yield enter
    for token in reversed(tokens):
        leave_request(token)

"""Fixtures of the activity tests: the real Redis of the test run, cleaned around each test."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

from web.activity import services


def _clean(client: redis.Redis) -> None:
    client.delete(services.BUFFER_KEY, services.PROCESSING_KEY, services.DRAIN_LOCK_KEY)
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

"""Fixtures of the accounts tests: sign-in counters never leak between tests (or runs:
the test run's Redis is append-only)."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings

from web.accounts.services import LOGIN_SCOPE


@pytest.fixture(autouse=True)
def _clean_login_counters():
    client = redis.Redis.from_url(settings.REDIS_URL)

    def clean() -> None:
        keys = list(client.scan_iter(match=f"ratelimit:{{{LOGIN_SCOPE}:*", count=500))
        if keys:
            client.delete(*keys)

    clean()
    yield
    clean()
    client.close()

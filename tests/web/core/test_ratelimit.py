"""The Redis sliding-window limiter, against the real Redis of the test run."""

from __future__ import annotations

import threading
import time
import uuid

import pytest

from config.embedded import EmbeddedRedis
from web.core.ratelimit import Rate, rate_limit_hit
from web.core.redis_client import redis_client

BURST = Rate(limit=5, period_seconds=1)
MINUTE = Rate(limit=30, period_seconds=60)
T0 = 1_800_000_000.0


@pytest.fixture
def scope() -> str:
    """A scope no other test (or earlier run: Redis is appendonly) has used."""
    return f"test.{uuid.uuid4().hex}"


def test_burst_of_five_per_second(scope) -> None:
    for i in range(5):
        assert rate_limit_hit(scope, "u1", [BURST], now=T0 + i * 0.01) is None
    wait = rate_limit_hit(scope, "u1", [BURST], now=T0 + 0.05)
    assert wait == pytest.approx(0.95)
    # Sliding: the first hit leaves the window exactly one second after it happened.
    assert rate_limit_hit(scope, "u1", [BURST], now=T0 + 0.999) is not None
    assert rate_limit_hit(scope, "u1", [BURST], now=T0 + 1.0) is None
    assert rate_limit_hit(scope, "u1", [BURST], now=T0 + 1.001) is not None


def test_no_double_burst_at_a_window_boundary(scope) -> None:
    # A fixed one-second window would allow 5 at 0.9 s and 5 more at 1.1 s.
    for _ in range(5):
        assert rate_limit_hit(scope, "u1", [BURST], now=T0 + 0.9) is None
    assert rate_limit_hit(scope, "u1", [BURST], now=T0 + 1.1) == pytest.approx(0.8)
    assert rate_limit_hit(scope, "u1", [BURST], now=T0 + 1.9) is None


def test_per_minute_window_on_top_of_the_burst_limit(scope) -> None:
    rates = [BURST, MINUTE]
    # 30 hits at 4 a second never trip the burst limit...
    for i in range(30):
        assert rate_limit_hit(scope, "u1", rates, now=T0 + i * 0.25) is None
    # ...but the 31st in the same minute is refused until the first leaves the window.
    wait = rate_limit_hit(scope, "u1", rates, now=T0 + 10)
    assert wait == pytest.approx(50.0)
    assert rate_limit_hit(scope, "u1", rates, now=T0 + 59.9) is not None
    assert rate_limit_hit(scope, "u1", rates, now=T0 + 60.0) is None
    # Only the one slot freed by the first hit.
    assert rate_limit_hit(scope, "u1", rates, now=T0 + 60.05) == pytest.approx(0.2)


def test_wait_is_the_longest_of_the_exceeded_rates(scope) -> None:
    rates = [BURST, MINUTE]
    for i in range(25):
        assert rate_limit_hit(scope, "u1", rates, now=T0 + i) is None
    for _ in range(5):
        assert rate_limit_hit(scope, "u1", rates, now=T0 + 30) is None
    # Both are full: the burst frees in 1 s, the minute in 30 s.
    assert rate_limit_hit(scope, "u1", rates, now=T0 + 30) == pytest.approx(30.0)


def test_refused_hits_are_not_counted(scope) -> None:
    for _ in range(5):
        assert rate_limit_hit(scope, "u1", [BURST, MINUTE], now=T0) is None
    for i in range(100):
        assert rate_limit_hit(scope, "u1", [BURST, MINUTE], now=T0 + 0.5 + i * 0.001) is not None
    # Had the refusals counted against the minute, this would be refused.
    for _ in range(5):
        assert rate_limit_hit(scope, "u1", [BURST, MINUTE], now=T0 + 1.0) is None


def test_identities_and_scopes_are_isolated(scope) -> None:
    for _ in range(5):
        assert rate_limit_hit(scope, "u1", [BURST], now=T0) is None
    assert rate_limit_hit(scope, "u1", [BURST], now=T0) is not None
    assert rate_limit_hit(scope, "u2", [BURST], now=T0) is None
    assert rate_limit_hit(scope + ".other", "u1", [BURST], now=T0) is None
    # The same numbers under a different rate are a different counter.
    assert rate_limit_hit(scope, "u1", [Rate(5, 2)], now=T0) is None


def test_wall_clock_default(scope) -> None:
    before = time.time()
    for _ in range(3):
        assert rate_limit_hit(scope, "u1", [Rate(3, 60)]) is None
    wait = rate_limit_hit(scope, "u1", [Rate(3, 60)])
    elapsed = time.time() - before
    # The oldest of the three hits leaves the window 60 s after it was made.
    assert wait is not None and 60 - elapsed <= wait <= 60


def test_atomic_under_concurrency(scope) -> None:
    """20 threads (each its own Redis connection) race for 5 slots: exactly 5 win."""
    barrier = threading.Barrier(20)
    results: list[float | None] = []
    lock = threading.Lock()

    def hit() -> None:
        barrier.wait()
        outcome = rate_limit_hit(scope, "u1", [Rate(5, 60)])
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(None) == 5
    assert all(wait is not None and wait > 0 for wait in results if wait is not None)


def test_no_rates_means_no_limit(scope) -> None:
    assert rate_limit_hit(scope, "u1", []) is None


@pytest.mark.parametrize(("limit", "period"), [(0, 1), (-1, 1), (1, 0), (1, -5)])
def test_rate_must_be_positive(limit, period) -> None:
    with pytest.raises(ValueError):
        Rate(limit, period)


def test_fails_open_when_redis_is_down(settings, tmp_path, scope, caplog) -> None:
    server = EmbeddedRedis(tmp_path / "redis").start()
    settings.REDIS_URL = server.url
    assert rate_limit_hit(scope, "u1", [Rate(1, 60)]) is None
    assert rate_limit_hit(scope, "u1", [Rate(1, 60)]) is not None
    server.stop()

    with caplog.at_level("WARNING", logger="mash.ratelimit"):
        assert rate_limit_hit(scope, "u1", [Rate(1, 60)]) is None
    # Bounded: the request-path client waits well under a second and never retries.
    pool = redis_client().connection_pool
    assert pool.connection_kwargs["socket_timeout"] <= 0.5
    assert pool.connection_kwargs["socket_connect_timeout"] <= 0.5
    assert pool.connection_kwargs["retry"].get_retries() == 0
    assert any("Redis unavailable" in record.getMessage() for record in caplog.records)


def test_a_web_host_whose_clock_is_ahead_shares_the_window(scope, monkeypatch) -> None:
    """Counted on the Redis server's clock: a host an hour ahead neither purges the
    others' hits (letting an extra one through) nor gets an hour-long Retry-After."""
    from web.core import ratelimit

    assert rate_limit_hit(scope, "u1", [Rate(1, 60)]) is None
    real_time = time.time
    monkeypatch.setattr(ratelimit.time, "time", lambda: real_time() + 3600)
    wait = rate_limit_hit(scope, "u1", [Rate(1, 60)])
    assert wait is not None and 0 < wait <= 60

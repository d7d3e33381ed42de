"""A small circuit breaker in front of the search cluster.

When searches keep failing (cluster down, timing out, answering 5xx), waiting for each
one's timeout only piles up blocked workers. After `failure_threshold` consecutive
failures the breaker opens: calls fail at once for `reset_after` seconds. Then it lets
one probe call through (half-open); success closes it, failure opens it again.

State is per process, which is what matters: it protects this process's workers.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from opensearchpy import ConnectionError as OpenSearchConnectionError
from opensearchpy import NotFoundError, TransportError

T = TypeVar("T")

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class SearchUnavailable(RuntimeError):
    """The search cluster cannot answer now; retry after `retry_after` seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def is_outage(exc: Exception) -> bool:
    """Failures that say the cluster is unwell (as opposed to a bad request of ours)."""
    if isinstance(exc, OpenSearchConnectionError):  # refused, reset, timed out
        return True
    if isinstance(exc, NotFoundError):  # no index behind the alias: not built yet
        return True
    if isinstance(exc, TransportError):
        status = exc.status_code
        return not isinstance(status, int) or status >= 500 or status == 429
    return False


class CircuitBreaker:
    def __init__(
        self,
        failure_threshold: int = 3,
        reset_after: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at = 0.0
        self._state = CLOSED
        self._probe_running = False

    @property
    def state(self) -> str:
        with self._lock:
            if self._state == OPEN and self._clock() - self._opened_at >= self.reset_after:
                return HALF_OPEN
            return self._state

    def retry_after(self) -> int:
        with self._lock:
            if self._state != OPEN:
                return max(1, math.ceil(self.reset_after))
            return max(1, math.ceil(self.reset_after - (self._clock() - self._opened_at)))

    def _admit(self) -> tuple[bool, bool]:
        """(whether this call may reach the cluster, whether it is the half-open probe).

        Only the probe itself clears the probe mark when it ends: a call admitted while
        the breaker was still closed may end during the probe, and must not let a second
        probe through."""
        with self._lock:
            if self._state == CLOSED:
                return True, False
            if self._clock() - self._opened_at < self.reset_after or self._probe_running:
                return False, False
            self._state = HALF_OPEN
            self._probe_running = True
            return True, True

    def _succeeded(self, probe: bool = False) -> None:
        with self._lock:
            self._failures = 0
            self._state = CLOSED
            if probe:
                self._probe_running = False

    def _failed(self, probe: bool = False) -> None:
        with self._lock:
            self._failures += 1
            if probe:
                self._probe_running = False
            if self._state == HALF_OPEN or self._failures >= self.failure_threshold:
                self._state = OPEN
                self._opened_at = self._clock()

    def reset(self) -> None:
        self._succeeded(probe=True)

    def call(self, fn: Callable[[], T]) -> T:
        """Run `fn` unless the breaker is open; outages become SearchUnavailable.

        Errors that are not outages (a 400 for a malformed query) propagate unchanged
        and do not count against the cluster.
        """
        admitted, probe = self._admit()
        if not admitted:
            raise SearchUnavailable("search is unavailable (circuit open)", self.retry_after())
        try:
            result = fn()
        except Exception as exc:
            if not is_outage(exc):
                with self._lock:
                    if probe:
                        self._probe_running = False
                    if self._state == HALF_OPEN:  # the cluster answered: it is up
                        self._state = CLOSED
                        self._failures = 0
                raise
            self._failed(probe)
            raise SearchUnavailable(f"search is unavailable: {type(exc).__name__}", self.retry_after()) from exc
        self._succeeded(probe)
        return result


_breaker: CircuitBreaker | None = None
_breaker_lock = threading.Lock()


def search_breaker() -> CircuitBreaker:
    """The process-wide breaker for searches (thresholds from settings, with defaults)."""
    global _breaker
    if _breaker is None:
        with _breaker_lock:
            if _breaker is None:
                _breaker = CircuitBreaker(
                    failure_threshold=getattr(settings, "SEARCH_BREAKER_FAILURES", 3),
                    reset_after=getattr(settings, "SEARCH_BREAKER_RESET_SECONDS", 10.0),
                )
    return _breaker


def reset_search_breaker() -> None:
    """Forget the breaker (tests, or after the cluster URL changed)."""
    global _breaker
    with _breaker_lock:
        _breaker = None

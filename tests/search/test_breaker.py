from __future__ import annotations

import pytest
from opensearchpy import ConnectionError as OSConnectionError
from opensearchpy import ConnectionTimeout, RequestError

from search.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, SearchUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _down() -> None:
    raise OSConnectionError("N/A", "refused", None)


def test_opens_after_consecutive_failures_then_fails_fast() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, reset_after=10, clock=clock)
    for _ in range(2):
        with pytest.raises(SearchUnavailable):
            breaker.call(_down)
    assert breaker.state == OPEN
    calls = []
    with pytest.raises(SearchUnavailable) as info:
        breaker.call(lambda: calls.append(1))
    assert calls == []  # the cluster was not contacted
    assert info.value.retry_after == 10
    clock.now += 4
    assert breaker.retry_after() == 6


def test_half_open_probe_success_closes() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_after=5, clock=clock)
    with pytest.raises(SearchUnavailable):
        breaker.call(_down)
    clock.now += 5
    assert breaker.state == HALF_OPEN
    assert breaker.call(lambda: "ok") == "ok"
    assert breaker.state == CLOSED


def test_half_open_probe_failure_reopens() -> None:
    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=1, reset_after=5, clock=clock)
    with pytest.raises(SearchUnavailable):
        breaker.call(_down)
    clock.now += 6

    def timeout() -> None:
        raise ConnectionTimeout("TIMEOUT", "read timed out", None)

    with pytest.raises(SearchUnavailable):
        breaker.call(timeout)
    assert breaker.state == OPEN
    assert breaker.retry_after() == 5


def test_a_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(failure_threshold=2, reset_after=5, clock=Clock())
    with pytest.raises(SearchUnavailable):
        breaker.call(_down)
    breaker.call(lambda: None)
    with pytest.raises(SearchUnavailable):
        breaker.call(_down)
    assert breaker.state == CLOSED


def test_bad_requests_are_not_outages() -> None:
    breaker = CircuitBreaker(failure_threshold=1, reset_after=5, clock=Clock())

    def bad() -> None:
        raise RequestError(400, "parsing_exception", {})

    with pytest.raises(RequestError):
        breaker.call(bad)
    assert breaker.state == CLOSED


def test_a_call_from_before_the_opening_cannot_let_a_second_probe_through() -> None:
    import threading

    clock = Clock()
    breaker = CircuitBreaker(failure_threshold=2, reset_after=5, clock=clock)
    slow_started, slow_go, probe_started, probe_go = (threading.Event() for _ in range(4))

    def slow_then_down() -> None:  # admitted while closed, fails only later
        slow_started.set()
        slow_go.wait(5)
        _down()

    def probe() -> str:
        probe_started.set()
        probe_go.wait(5)
        return "ok"

    outcomes: dict[str, object] = {}

    def run(name: str, fn) -> None:
        try:
            outcomes[name] = breaker.call(fn)
        except SearchUnavailable as exc:
            outcomes[name] = exc

    slow = threading.Thread(target=run, args=("slow", slow_then_down))
    slow.start()
    assert slow_started.wait(5)
    for _ in range(2):
        with pytest.raises(SearchUnavailable):
            breaker.call(_down)
    clock.now += 5
    prober = threading.Thread(target=run, args=("probe", probe))
    prober.start()
    assert probe_started.wait(5)
    slow_go.set()
    slow.join(5)
    assert isinstance(outcomes["slow"], SearchUnavailable)
    clock.now += 5
    calls = []
    with pytest.raises(SearchUnavailable):  # the probe is still out: no second one
        breaker.call(lambda: calls.append(1))
    assert calls == []
    probe_go.set()
    prober.join(5)
    assert outcomes["probe"] == "ok"
    assert breaker.state == CLOSED

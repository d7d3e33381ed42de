"""Prometheus metrics of the shared kernel: the per-request metric the request middleware
observes, and the registry of collectors that read a store when /metrics is scraped.

Apps add their scrape-time collectors from `AppConfig.ready()` (`register_collector`,
`register_redis_buffer`); the operations app serves them. Metrics an app updates as it
works (counters, histograms) register themselves with prometheus_client on import.
With several processes, set PROMETHEUS_MULTIPROC_DIR (the launcher does) so /metrics
aggregates every process.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import redis
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from web.core.redis_client import redis_client

REQUESTS = Counter(
    "mash_http_requests_total", "HTTP requests by method, route and status", ["method", "route", "status"]
)
REQUEST_DURATION = Histogram(
    "mash_http_request_duration_seconds",
    "HTTP request duration by method and route",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.3, 0.5, 1.0, 2.5, 5.0),
)


# Label values must come from a bounded set: every new value is a new series (kept for
# the process's life, and in multiprocess files), and the server accepts any token as
# a method name. Routes are URL patterns ("unmatched" otherwise); statuses are codes.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(method: str, route: str, status: int, duration_ms: float) -> None:
    method = method if method in KNOWN_METHODS else "other"
    REQUESTS.labels(method, route, str(status)).inc()
    REQUEST_DURATION.labels(method, route).observe(duration_ms / 1000)


# --- scrape-time collectors ----------------------------------------------------------

_collectors: list[Collector] = []
_collectors_lock = threading.Lock()


def register_collector(collector: Collector) -> None:
    """Have /metrics read `collector` at every scrape. For collectors that read a store
    (the database, Redis) and so must not run at import; call from `AppConfig.ready()`.
    Registering the same collector twice has no effect."""
    with _collectors_lock:
        if not any(known is collector for known in _collectors):
            _collectors.append(collector)


def scrape_time_collectors() -> tuple[Collector, ...]:
    """The registered collectors, in registration order."""
    with _collectors_lock:
        return tuple(_collectors)


class RedisBufferCollector(Collector):
    """Backlog of the Redis lists that hold data until it is drained into PostgreSQL,
    read at scrape time: it grows while the database is down, and an alert on it comes
    before Redis runs out of memory. One gauge, labelled by buffer."""

    def __init__(self) -> None:
        self._buffers: dict[str, tuple[str, ...]] = {}

    def add(self, buffer: str, keys: tuple[str, ...]) -> None:
        self._buffers[buffer] = keys

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("mash_redis_buffer_length", "Entries waiting in a Redis buffer", labels=["buffer"])
        try:
            client = redis_client()
            for buffer, keys in list(self._buffers.items()):
                # One transaction per buffer: a drain moving a batch between its lists is
                # counted once. (A buffer's keys share a hash slot.)
                pipe = client.pipeline(transaction=True)
                for key in keys:
                    pipe.llen(key)
                gauge.add_metric([buffer], sum(pipe.execute()))
        except redis.RedisError:  # Redis may be down; /metrics must still answer
            return
        yield gauge


_redis_buffers = RedisBufferCollector()


def register_redis_buffer(buffer: str, *keys: str) -> None:
    """Report the summed length of the Redis lists `keys` as
    `mash_redis_buffer_length{buffer="<buffer>"}`; call from `AppConfig.ready()`."""
    _redis_buffers.add(buffer, keys)
    register_collector(_redis_buffers)

"""Prometheus metrics shared by the web processes.

With several gunicorn workers, set PROMETHEUS_MULTIPROC_DIR (the launcher does)
so /metrics aggregates every process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import redis
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

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


class RedisBufferCollector(Collector):
    """Backlog of the Redis lists that hold events and telemetry until they are drained
    into PostgreSQL, read at scrape time: it grows while the database is down, and an
    alert on it comes before Redis runs out of memory."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from web.activity.buffer import BUFFER_KEY, PROCESSING_KEY
        from web.core.redis_client import redis_client
        from web.marketplace.services import METRICS_BUFFER_KEY

        gauge = GaugeMetricFamily("mash_redis_buffer_length", "Entries waiting in a Redis buffer", labels=["buffer"])
        try:
            client = redis_client()
            # One transaction for the activity pair: a drain moving a batch between them
            # is counted once. (The keys share a hash slot.)
            pipe = client.pipeline(transaction=True)
            pipe.llen(BUFFER_KEY)
            pipe.llen(PROCESSING_KEY)
            waiting, processing = pipe.execute()
            gauge.add_metric(["activity"], waiting + processing)
            gauge.add_metric(["marketplace_metrics"], client.llen(METRICS_BUFFER_KEY))
        except redis.RedisError:  # Redis may be down; /metrics must still answer
            return
        yield gauge


_default_registered = False
_registration = threading.Lock()


def _scrape_time_collectors() -> list[Collector]:
    """Collectors that read a store (the database, Redis) when /metrics is scraped."""
    from indexer.metrics import OutboxCollector

    return [OutboxCollector(), RedisBufferCollector()]


def _registry() -> CollectorRegistry:
    global _default_registered
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        for collector in _scrape_time_collectors():
            registry.register(collector)
        return registry
    with _registration:  # two first scrapes at once must not register twice
        if not _default_registered:
            for collector in _scrape_time_collectors():
                DEFAULT_REGISTRY.register(collector)
            _default_registered = True
    return DEFAULT_REGISTRY


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition format; collectors of other apps register themselves on import."""
    registry = _registry()
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

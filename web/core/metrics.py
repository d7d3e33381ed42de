"""Prometheus metrics shared by the web processes.

With several gunicorn workers, set PROMETHEUS_MULTIPROC_DIR (the launcher does)
so /metrics aggregates every process.
"""

from __future__ import annotations

import os

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


def _registry() -> CollectorRegistry:
    from indexer.metrics import OutboxCollector, register_collectors

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(OutboxCollector())
        return registry
    register_collectors()
    return DEFAULT_REGISTRY



def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition format; collectors of other apps register themselves on import."""
    registry = _registry()
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

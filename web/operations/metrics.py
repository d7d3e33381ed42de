"""The Prometheus endpoint: every metric of this process (or, with PROMETHEUS_MULTIPROC_DIR,
of every process writing to that directory) and the scrape-time collectors the apps
registered with `web.core.metrics.register_collector`."""

from __future__ import annotations

import os
import threading

from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY
from prometheus_client.registry import Collector

from web.core.metrics import scrape_time_collectors

_in_default_registry: list[Collector] = []
_registration = threading.Lock()


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        for collector in scrape_time_collectors():
            registry.register(collector)
        return registry
    # Added on the first scrape, not at start-up: they read the database and Redis, and
    # every collect() of the default registry (a test reading one sample) would too.
    with _registration:  # two first scrapes at once must not register twice
        for collector in scrape_time_collectors():
            if not any(known is collector for known in _in_default_registry):
                DEFAULT_REGISTRY.register(collector)
                _in_default_registry.append(collector)
    return DEFAULT_REGISTRY


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition format."""
    registry = _registry()
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

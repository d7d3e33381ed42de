"""Prometheus metrics of the marketplace read path."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

QUERY_DURATION_MS = Histogram(
    "marketplace_query_duration_ms",
    "Marketplace request duration in milliseconds, by endpoint and outcome",
    ["endpoint", "status"],
    buckets=(5, 10, 25, 50, 75, 100, 150, 200, 300, 500, 1000, 2000, 5000),
)
ENGINE_DURATION_MS = Histogram(
    "marketplace_engine_took_ms",
    "Time the search engine reports for marketplace queries (took), in milliseconds",
    buckets=(1, 5, 10, 25, 50, 100, 150, 300, 500, 1000, 2000),
)
RESULT_COUNT = Histogram(
    "marketplace_result_count",
    "Tutors matching a marketplace search (counted up to 10,000)",
    buckets=(0, 1, 5, 10, 20, 50, 100, 500, 1000, 5000, 10000),
)
ZERO_RESULTS = Counter(
    "marketplace_zero_result_searches_total", "First pages of marketplace searches that found nothing"
)
UNAVAILABLE = Counter("marketplace_search_unavailable_total", "Marketplace searches answered 503")

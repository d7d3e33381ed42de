"""Prometheus metrics of the reviews domain."""

from __future__ import annotations

from prometheus_client import Counter

AGGREGATE_DRIFT = Counter(
    "mash_review_aggregate_drift_total",
    "Tutors whose rating aggregates (sum, count, histogram, mean, score) disagreed with their "
    "published reviews and were repaired by the reconcile job",
)
AGGREGATE_CHECKED = Counter(
    "mash_review_aggregate_checked_total", "Tutors whose rating aggregates the reconcile job checked"
)

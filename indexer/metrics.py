"""Prometheus metrics of the index pipeline."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from indexer.outbox import outbox_stats

COMMIT_TO_INDEXED = Histogram(
    "mash_index_commit_to_indexed_seconds",
    "From the first uncommitted-to-index change of a tutor to its document being written",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
TASK_FAILURES = Counter("mash_index_task_failures_total", "Index task attempts that failed", ["reason"])
DOCUMENTS_WRITTEN = Counter("mash_index_documents_total", "Index writes by outcome", ["outcome"])
DRIFT_REPAIRED = Counter("mash_index_drift_repaired_total", "Documents repaired by reconcile", ["kind"])


class OutboxCollector(Collector):
    """Outbox backlog and the age of its oldest row, read from the database at scrape time."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            stats = outbox_stats()
        except Exception:  # the database may be down; /metrics must still answer
            return
        yield GaugeMetricFamily("mash_index_outbox_backlog", "Tutors waiting to be indexed", value=stats.backlog)
        yield GaugeMetricFamily(
            "mash_index_outbox_oldest_age_seconds",
            "Age of the oldest pending outbox row",
            value=stats.oldest_age_seconds,
        )

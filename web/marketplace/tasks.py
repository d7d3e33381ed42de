"""Periodic jobs of the marketplace (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from web.marketplace.services import marketplace_metrics_drain


@shared_task
def marketplace_metrics_drain_task() -> int:
    """Bulk-insert the MarketplaceMetrics rows buffered in Redis by search requests; returns how many."""
    return marketplace_metrics_drain()

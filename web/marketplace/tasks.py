"""Periodic jobs of the marketplace (scheduled in settings.CELERY_BEAT_SCHEDULE).

The drain runs every few seconds: it logs at INFO only when it moved something.
"""

from __future__ import annotations

import logging

from celery import shared_task

from web.marketplace.services import marketplace_metrics_drain

log = logging.getLogger("mash.marketplace")


@shared_task
def marketplace_metrics_drain_task() -> int:
    """Bulk-insert the MarketplaceMetrics rows buffered in Redis by search requests; returns how many."""
    stored = marketplace_metrics_drain()
    log.log(logging.INFO if stored else logging.DEBUG, "marketplace metrics drained", extra={"count": stored})
    return stored

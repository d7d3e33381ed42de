"""Periodic jobs of the activity domain (scheduled in settings.CELERY_BEAT_SCHEDULE).

They run every few seconds (the drain) or every hour (the purge): each logs at INFO only
when it moved something, at DEBUG otherwise.
"""

from __future__ import annotations

import logging

from celery import shared_task

from web.activity.buffer import DRAIN_LOCK_SECONDS, activity_buffer_drain
from web.activity.retention import activity_purge_old

logger = logging.getLogger("mash.activity")


# Killed before its Redis lock (DRAIN_LOCK_SECONDS) can expire, so two drains never
# overlap; what a killed drain moved stays in the processing list for the next one.
@shared_task(soft_time_limit=DRAIN_LOCK_SECONDS - 30, time_limit=DRAIN_LOCK_SECONDS - 20)
def activity_drain_buffer_task() -> int:
    """Insert the events buffered in Redis by `activity_log_buffered`; returns how many."""
    stored = activity_buffer_drain()
    logger.log(logging.INFO if stored else logging.DEBUG, "activity events drained", extra={"count": stored})
    return stored


@shared_task
def activity_purge_old_task() -> int:
    """Delete events older than settings.ACTIVITY_RETENTION_DAYS, in batches; returns how many."""
    deleted = activity_purge_old()
    logger.log(logging.INFO if deleted else logging.DEBUG, "old activity events purged", extra={"count": deleted})
    return deleted

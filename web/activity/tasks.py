"""Periodic jobs of the activity domain (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from web.activity.buffer import DRAIN_LOCK_SECONDS, activity_buffer_drain
from web.activity.retention import activity_purge_old


# Killed before its Redis lock (DRAIN_LOCK_SECONDS) can expire, so two drains never
# overlap; what a killed drain moved stays in the processing list for the next one.
@shared_task(soft_time_limit=DRAIN_LOCK_SECONDS - 30, time_limit=DRAIN_LOCK_SECONDS - 20)
def activity_drain_buffer_task() -> int:
    """Insert the events buffered in Redis by `activity_log_buffered`; returns how many."""
    return activity_buffer_drain()


@shared_task
def activity_purge_old_task() -> int:
    """Delete events older than settings.ACTIVITY_RETENTION_DAYS, in batches; returns how many."""
    return activity_purge_old()

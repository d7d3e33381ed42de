"""Periodic jobs of the activity domain (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from web.activity.services import activity_buffer_drain, activity_purge_old


@shared_task
def activity_drain_buffer_task() -> int:
    """Insert the events buffered in Redis by `activity_log_buffered`; returns how many."""
    return activity_buffer_drain()


@shared_task
def activity_purge_old_task() -> int:
    """Delete events older than settings.ACTIVITY_RETENTION_DAYS, in batches; returns how many."""
    return activity_purge_old()

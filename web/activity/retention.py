"""How long events are kept: the purge of events past the retention period."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from web.activity.models import ActivityLog

PURGE_BATCH_SIZE = 5000


def activity_purge_old(*, retention_days: int | None = None, batch_size: int = PURGE_BATCH_SIZE) -> int:
    """Delete events older than the retention period (settings.ACTIVITY_RETENTION_DAYS).

    Deletes by primary key in batches, each its own short transaction, so a large
    backlog never holds long locks or one giant transaction. Returns the number deleted.
    """
    days = settings.ACTIVITY_RETENTION_DAYS if retention_days is None else retention_days
    cutoff = timezone.now() - timedelta(days=days)
    old = ActivityLog.objects.filter(timestamp__lt=cutoff).order_by()
    deleted = 0
    while True:
        ids = list(old.values_list("id", flat=True)[:batch_size])
        if not ids:
            return deleted
        count, _ = ActivityLog.objects.filter(id__in=ids).delete()
        deleted += count
        if len(ids) < batch_size:
            return deleted


def activity_detach_user(user_id: int) -> int:
    """Detach every event of the account `user_id` from it and empty what could identify
    the person (metadata, Referer); the action, entity, time and timings stay until the
    retention purge. Returns the number of events detached."""
    return ActivityLog.objects.filter(user_id=user_id).update(user=None, metadata={}, referrer=None)

"""Periodic lesson jobs (beat schedule and routes in config/settings.py, Lessons section)."""

from __future__ import annotations

import logging

from celery import shared_task

from web.lessons.idempotency import idempotency_purge
from web.lessons.services import lessons_complete_ended

log = logging.getLogger("mash.lessons")


@shared_task
def lessons_complete_task() -> int:
    """Mark scheduled lessons whose end has passed as completed."""
    done = lessons_complete_ended()
    if done:
        log.info("lessons completed", extra={"count": done})
    return done


@shared_task
def lessons_idempotency_purge_task() -> int:
    """Forget Idempotency-Key records older than 24 hours."""
    deleted = idempotency_purge()
    if deleted:
        log.info("idempotency records purged", extra={"count": deleted})
    return deleted

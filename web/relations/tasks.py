"""Periodic jobs of the relations domain (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging

from celery import shared_task

from web.relations.services import relations_expire, relations_recount_active_students

logger = logging.getLogger("mash.relations")


@shared_task
def relations_expire_task() -> int:
    """Expire pending requests and invitations past their 14 days; returns how many."""
    expired = relations_expire()
    logger.log(logging.INFO if expired else logging.DEBUG, "relations expired", extra={"count": expired})
    return expired


@shared_task
def relations_recount_active_students_task() -> int:
    """Correct every tutor's `active_students` that disagrees with their active relations."""
    corrected = relations_recount_active_students()
    if corrected:
        logger.warning("active students corrected", extra={"count": len(corrected), "tutors": corrected[:20]})
    return len(corrected)

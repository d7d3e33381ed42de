"""Periodic jobs of the reviews domain (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

import logging

from celery import shared_task

from web.reviews.aggregates import reviews_prior_refresh, reviews_reconcile

log = logging.getLogger("mash.reviews")


@shared_task
def reviews_reconcile_task() -> int:
    """Recount every tutor's rating aggregates from the reviews and repair drift; returns
    how many tutors were repaired (also counted in mash_review_aggregate_drift_total)."""
    report = reviews_reconcile()
    log.log(logging.INFO if report.repaired else logging.DEBUG, "review aggregates reconciled",
            extra={"checked": report.checked, "repaired": report.repaired})
    return report.repaired


@shared_task
def reviews_prior_refresh_task() -> int:
    """Recompute the platform mean C and rescore (and reindex) every tutor whose Bayesian
    score moves; returns how many."""
    return len(reviews_prior_refresh())

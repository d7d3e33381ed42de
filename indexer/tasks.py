"""Celery tasks of the index pipeline. They take ids, reload rows and are idempotent.

The top of the pipeline: tasks import the jobs they run (sync, reconcile, rebuild) and
nothing imports them back. Work is handed to them by name (`indexer.dispatch`, the
beat schedule in config/settings.py), so their names are their module paths.
"""

from __future__ import annotations

import logging
import random
from datetime import UTC, datetime

from celery import shared_task
from django.conf import settings
from django.db import DatabaseError

from indexer import metrics
from indexer.dispatch import INDEX_TUTOR_TASK, enqueue_index
from indexer.locks import LockBusyError
from indexer.outbox import outbox_claim_stale, outbox_failed
from indexer.rebuild import ensure_index, rebuild
from indexer.reconcile import reconcile
from indexer.sync import tutor_sync
from indexer.time_zones import reindex_shifted_zones

log = logging.getLogger("mash.indexer")

RETRY_BASE_SECONDS = 1.0
# Every retry delay stays well below the broker's visibility timeout, or the
# broker would hand the same message to a second worker while the first waits.
RETRY_MAX_SECONDS = min(300.0, settings.CELERY_BROKER_VISIBILITY_TIMEOUT / 4)
MAX_RETRIES = 10


def retry_delay(retries: int) -> float:
    """Exponential backoff with full jitter, capped."""
    return random.uniform(0, min(RETRY_MAX_SECONDS, RETRY_BASE_SECONDS * 2**retries))


@shared_task(name=INDEX_TUTOR_TASK, bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=MAX_RETRIES)
def index_tutor_task(self, tutor_id: int) -> str:
    """Write the tutor's current public document (or delete it) in every live index."""
    try:
        return tutor_sync(tutor_id)
    except Exception as exc:
        reason = type(exc).__name__
        metrics.TASK_FAILURES.labels(reason).inc()
        log.warning(
            "index task failed, will retry",
            extra={"tutor_id": tutor_id, "error": str(exc)[:300], "retries": self.request.retries},
        )
        delay = record_failed_attempt(tutor_id, f"{reason}: {exc}", self.request.retries)
        raise self.retry(exc=exc, countdown=delay) from exc


def record_failed_attempt(tutor_id: int, error: str, retries: int) -> float:
    """Note the failure on the outbox row and return the delay of the next attempt.

    The row counts as dispatched until that attempt is due, so catch-up does not start
    a second chain beside it. After the last retry none is scheduled: the row is due at
    once and catch-up dispatches it again (after INDEX_REDISPATCH_AFTER_SECONDS).
    """
    delay = retry_delay(retries)
    try:
        outbox_failed(tutor_id, error, retry_in=delay if retries < MAX_RETRIES else 0.0)
    except DatabaseError:
        pass
    return delay


@shared_task(acks_late=True)
def index_catch_up_task(limit: int = 1000) -> int:
    """Dispatch outbox rows whose task never ran (broker down, worker lost).

    Also rebuilds the index if there is none (an in-memory engine that restarted):
    the index is derived data and the database has everything to rebuild it.
    """
    try:
        ensure_index()
    except LockBusyError:
        pass  # a rebuild is already running
    claimed = outbox_claim_stale(
        min_age_seconds=settings.INDEX_CATCH_UP_MIN_AGE_SECONDS,
        redispatch_after_seconds=settings.INDEX_REDISPATCH_AFTER_SECONDS,
        limit=limit,
    )
    dispatched = sum(1 for tutor_id in claimed if enqueue_index(tutor_id))
    if claimed:
        log.info("catch-up dispatched", extra={"claimed": len(claimed), "dispatched": dispatched})
    return dispatched


@shared_task(acks_late=True)
def index_reconcile_task() -> dict[str, int]:
    """Compare DB and index in both directions and repair the drift."""
    return reconcile().as_dict()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def index_rebuild_task() -> dict[str, object]:
    """Zero-downtime full rebuild behind a gate."""
    return rebuild().as_dict()


@shared_task(acks_late=True)
def index_time_zones_task() -> dict[str, int]:
    """Reindex tutors whose zone's offset changes in the coming week (or just did)."""
    return reindex_shifted_zones(datetime.now(UTC).date())

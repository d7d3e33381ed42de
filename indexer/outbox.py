"""The transactional outbox between a profile change and the index."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction

log = logging.getLogger("mash.indexer")


def tutor_changed(tutor_id: int) -> None:
    """Record, inside the caller's transaction, that a tutor's public document changed.

    The outbox row commits or rolls back with the change itself. After commit an index
    task is enqueued; if the broker is down the row waits for the catch-up job.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO indexer_tutoroutbox (tutor_id, first_changed_at, changed_at, attempts, last_error)
            VALUES (%s, clock_timestamp(), clock_timestamp(), 0, '')
            ON CONFLICT (tutor_id) DO UPDATE SET changed_at = clock_timestamp(), dispatched_at = NULL
            RETURNING changed_at
            """,
            [tutor_id],
        )
        changed_at = cursor.fetchone()[0]
    # robust: the change is committed; if marking it fails, catch-up sends it again, and
    # the request that made it must not fail after the fact.
    transaction.on_commit(lambda: _dispatch(tutor_id, changed_at), robust=True)


def tutors_changed(tutor_ids: Iterable[int]) -> int:
    """Record, inside the caller's transaction, that many tutors' documents changed.

    For changes outside one profile (a subject renamed in the catalogue): no task per
    tutor is enqueued, the catch-up job hands the rows over in batches. Returns how
    many were recorded.
    """
    ids = sorted(set(tutor_ids))
    if not ids:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO indexer_tutoroutbox (tutor_id, first_changed_at, changed_at, attempts, last_error)
            SELECT id, clock_timestamp(), clock_timestamp(), 0, '' FROM unnest(%s::bigint[]) AS id
            ON CONFLICT (tutor_id) DO UPDATE SET changed_at = clock_timestamp(), dispatched_at = NULL
            """,
            [ids],
        )
    return len(ids)


def _dispatch(tutor_id: int, changed_at: datetime) -> None:
    """Enqueue the committed change and mark it dispatched, so catch-up does not send it
    again while the queue is merely behind (only a row never handed over is its job)."""
    if enqueue_index(tutor_id):
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE indexer_tutoroutbox SET dispatched_at = clock_timestamp() "
                "WHERE tutor_id = %s AND changed_at = %s AND dispatched_at IS NULL",
                [tutor_id, changed_at],
            )


def enqueue_index(tutor_id: int) -> bool:
    """Hand the tutor to a worker. Never raises: with the broker down the outbox row waits."""
    from indexer.tasks import index_tutor_task

    try:
        index_tutor_task.apply_async(args=[tutor_id])
    except Exception as exc:  # any broker failure; catch-up will dispatch the row later
        log.warning("index task not enqueued, left to catch-up", extra={"tutor_id": tutor_id, "error": str(exc)})
        return False
    return True


@dataclass(frozen=True)
class OutboxStats:
    backlog: int
    oldest_age_seconds: float


def outbox_stats() -> OutboxStats:
    """Pending rows and the age of the oldest, for status and metrics."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - min(first_changed_at)), 0) "
            "FROM indexer_tutoroutbox"
        )
        backlog, age = cursor.fetchone()
    return OutboxStats(backlog=int(backlog), oldest_age_seconds=float(age))


def outbox_claim_stale(min_age_seconds: float, redispatch_after_seconds: float, limit: int) -> list[int]:
    """Claim pending rows nobody is handling: older than `min_age_seconds` and never
    dispatched, or dispatched long ago (the task was lost). SKIP LOCKED, so concurrent
    catch-up runs never claim the same row."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            WITH due AS (
                SELECT tutor_id FROM indexer_tutoroutbox
                WHERE changed_at < clock_timestamp() - make_interval(secs => %s)
                  AND (dispatched_at IS NULL OR dispatched_at < clock_timestamp() - make_interval(secs => %s))
                ORDER BY first_changed_at
                LIMIT %s
                FOR UPDATE SKIP LOCKED
            )
            UPDATE indexer_tutoroutbox o SET dispatched_at = clock_timestamp()
            FROM due WHERE o.tutor_id = due.tutor_id
            RETURNING o.tutor_id
            """,
            [min_age_seconds, redispatch_after_seconds, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def outbox_token(tutor_id: int) -> tuple[datetime, datetime] | None:
    """(first_changed_at, changed_at) of the tutor's pending row, or None."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT first_changed_at, changed_at FROM indexer_tutoroutbox WHERE tutor_id = %s", [tutor_id]
        )
        row = cursor.fetchone()
    return (row[0], row[1]) if row else None


def outbox_done(tutor_id: int, changed_at: datetime) -> bool:
    """Delete the row if no change arrived since `changed_at`; a newer change keeps it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM indexer_tutoroutbox WHERE tutor_id = %s AND changed_at = %s", [tutor_id, changed_at]
        )
        return cursor.rowcount == 1


def outbox_failed(tutor_id: int, error: str, retry_in: float = 0.0) -> None:
    """Record a failed attempt whose retry runs in `retry_in` seconds. The row counts as
    dispatched from then, so catch-up does not start a second chain of retries for it
    while the first one waits out its backoff."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE indexer_tutoroutbox SET attempts = attempts + 1, last_error = %s, "
            "dispatched_at = clock_timestamp() + make_interval(secs => %s) WHERE tutor_id = %s",
            [error[:1000], retry_in, tutor_id],
        )

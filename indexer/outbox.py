"""The transactional outbox between a profile change and the index: its table alone.

One row per tutor whose document is due to be written. Web apps record rows through
`indexer.changes`; tasks and jobs claim and clear them here. This module imports
nothing else of the index pipeline, so every other module may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction


def outbox_record(tutor_id: int) -> datetime:
    """Upsert the tutor's pending row in the current transaction; returns its `changed_at`.

    One pending row per tutor: a change on top of a pending one moves `changed_at` (so a
    task already on its way, which read the older state, does not delete the row) and
    clears `dispatched_at` (the new change has not been handed to a worker yet).
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
        changed_at: datetime = cursor.fetchone()[0]
    return changed_at


def outbox_record_many(tutor_ids: list[int]) -> None:
    """Upsert pending rows for many tutors in one statement, in the current transaction."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO indexer_tutoroutbox (tutor_id, first_changed_at, changed_at, attempts, last_error)
            SELECT id, clock_timestamp(), clock_timestamp(), 0, '' FROM unnest(%s::bigint[]) AS id
            ON CONFLICT (tutor_id) DO UPDATE SET changed_at = clock_timestamp(), dispatched_at = NULL
            """,
            [tutor_ids],
        )


def outbox_mark_dispatched(tutor_id: int, changed_at: datetime) -> None:
    """Note that the change of `changed_at` was handed to a worker, so catch-up does not
    send it again while the queue is merely behind (only a row never handed over is its
    job). A newer change since then keeps its row undispatched."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE indexer_tutoroutbox SET dispatched_at = clock_timestamp() "
            "WHERE tutor_id = %s AND changed_at = %s AND dispatched_at IS NULL",
            [tutor_id, changed_at],
        )


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

"""The one way a web domain tells the index "this tutor's public data changed".

Web apps import this module and nothing else of `indexer`. It writes the outbox row in
the caller's transaction and hands the tutor to an index worker once that transaction
commits; it imports neither the tasks nor the jobs, only the outbox and the dispatch.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from indexer.dispatch import enqueue_index
from indexer.outbox import outbox_mark_dispatched, outbox_record, outbox_record_many


def tutor_changed(tutor_id: int) -> None:
    """Record that the tutor's public document must be written again.

    The transaction contract:

    - Call it inside the transaction that makes the change (`transaction.atomic`), after
      the change itself. The outbox row commits or rolls back with it: a rolled-back
      change leaves no row and sends no task. (Outside a transaction the row commits at
      once and the task is sent at once.)
    - The document is written with the profile's `version` as external version, and the
      drift repair compares versions. So a change to anything the document holds (a
      profile field, the rating and reviews count, the active-students count) bumps
      `TutorProfile.version` in the same transaction: the profiles app's services do
      both, and other domains change the public profile through them.
    - A change that removes the tutor from the marketplace (profile or account deleted,
      account deactivated, public profile switched off) is recorded the same way: the
      worker finds the tutor no longer listed and deletes the document.
    - Calling it several times in one transaction, or for a tutor with a change still
      pending, is cheap: one pending row per tutor, repeated changes coalesce.

    After commit an index task is enqueued. It never raises into the caller: with the
    broker down the write still succeeds and the catch-up job sends the row later.
    """
    changed_at = outbox_record(tutor_id)
    # robust: the change is committed; if marking it fails, catch-up sends it again, and
    # the request that made it must not fail after the fact.
    transaction.on_commit(lambda: _dispatch(tutor_id, changed_at), robust=True)


def tutors_changed(tutor_ids: Iterable[int]) -> int:
    """Record, inside the caller's transaction, that many tutors' documents changed.

    For changes outside one profile (a subject renamed in the catalogue): the same
    contract as `tutor_changed`, but no task per tutor is enqueued, the catch-up job
    hands the rows over in batches. Returns how many tutors were recorded.
    """
    ids = sorted(set(tutor_ids))
    if ids:
        outbox_record_many(ids)
    return len(ids)


def _dispatch(tutor_id: int, changed_at: datetime) -> None:
    """Enqueue the committed change and mark it dispatched."""
    if enqueue_index(tutor_id):
        outbox_mark_dispatched(tutor_id, changed_at)

"""Handing a tutor to an index worker, by task name.

The index task lives in `indexer.tasks`, on top of the jobs it runs; sending it by
name keeps this step (and `indexer.changes`, which web apps import) free of those
jobs, and keeps the task modules from being imported back by what they call.
"""

from __future__ import annotations

import logging

from celery import current_app

log = logging.getLogger("mash.indexer")

# The registered name of `indexer.tasks.index_tutor_task` (its module path, which the
# routes in config/settings.py match); the task declares this name explicitly.
INDEX_TUTOR_TASK = "indexer.tasks.index_tutor_task"


def enqueue_index(tutor_id: int) -> bool:
    """Hand the tutor to a worker. Never raises: with the broker down the outbox row waits."""
    try:
        current_app.send_task(INDEX_TUTOR_TASK, args=[tutor_id])
    except Exception as exc:  # any broker failure; catch-up will dispatch the row later
        log.warning("index task not enqueued, left to catch-up", extra={"tutor_id": tutor_id, "error": str(exc)})
        return False
    return True

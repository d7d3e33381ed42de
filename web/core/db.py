"""Small database helpers shared by the apps."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import connections, models, transaction


def insert_all_or_each(
    rows: Sequence[models.Model],
    *,
    refused: tuple[type[Exception], ...],
    log: logging.Logger,
    what: str,
    skip_duplicates: bool = False,
) -> int:
    """Insert `rows` in one statement; if the database refuses it, one by one (each in a
    savepoint), dropping and logging only the rows it refuses, so one bad row never takes
    the others with it. Any other error (the database unreachable) propagates, and then
    no row of the batch is stored.

    With `skip_duplicates`, a row that repeats a unique value already stored is skipped
    (ON CONFLICT DO NOTHING). Returns how many rows were handled (inserted or skipped)."""
    if not rows:
        return 0
    manager = type(rows[0])._default_manager
    try:
        with transaction.atomic():
            manager.bulk_create(rows, ignore_conflicts=skip_duplicates)
        return len(rows)
    except refused:
        log.warning("bulk insert failed, inserting one by one", extra={"rows": what})
    stored = 0
    # One transaction around the row-by-row inserts: if the database goes away half-way,
    # none of them is kept, so a caller that puts the batch back never stores a row twice.
    with transaction.atomic(), connections[manager.db].cursor() as cursor:
        # Foreign keys are checked at each row, not at the commit (Django makes them
        # deferrable): a row whose user was deleted meanwhile is refused on its own.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for row in rows:
            row.pk = None
            try:
                with transaction.atomic():
                    manager.bulk_create([row], ignore_conflicts=skip_duplicates)
                stored += 1
            except refused as exc:
                log.error("dropping a row the database refused", extra={"rows": what, "error": str(exc)})
    return stored

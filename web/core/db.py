"""Small database helpers shared by the apps."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.db import models, transaction


def insert_all_or_each(
    rows: Sequence[models.Model], *, refused: tuple[type[Exception], ...], log: logging.Logger, what: str
) -> int:
    """Insert `rows` in one statement; if the database refuses it, one by one (each in a
    savepoint), dropping and logging only the rows it refuses, so one bad row never takes
    the others with it. Any other error (the database unreachable) propagates. Returns
    how many were inserted."""
    if not rows:
        return 0
    model = type(rows[0])
    try:
        with transaction.atomic():
            model._default_manager.bulk_create(rows)
        return len(rows)
    except refused:
        log.warning("bulk insert failed, inserting one by one", extra={"rows": what})
    stored = 0
    for row in rows:
        row.pk = None
        try:
            with transaction.atomic():
                row.save(force_insert=True)
            stored += 1
        except refused as exc:
            log.error("dropping a row the database refused", extra={"rows": what, "error": str(exc)})
    return stored

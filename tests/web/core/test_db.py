"""insert_all_or_each on the real PostgreSQL of the test run."""

from __future__ import annotations

import logging

import pytest
from django.db import DataError, IntegrityError
from django.utils import timezone

from web.activity.models import ActivityLog
from web.core.db import insert_all_or_each


@pytest.mark.django_db(transaction=True)  # foreign keys are checked at a real commit
def test_a_row_whose_user_is_gone_is_dropped_alone(student) -> None:
    def event(user_id: int, query: str) -> ActivityLog:
        return ActivityLog(
            user_id=user_id, action="marketplace.search", metadata={"q": query}, timestamp=timezone.now()
        )

    rows = [event(student.pk, "first"), event(student.pk + 10_000, "orphan"), event(student.pk, "last")]
    stored = insert_all_or_each(
        rows, refused=(DataError, IntegrityError), log=logging.getLogger("test"), what="events"
    )
    assert stored == 2
    assert sorted(e.metadata["q"] for e in ActivityLog.objects.all()) == ["first", "last"]

"""The retention job and the beat schedule of the activity jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from web.activity.models import ActivityLog
from web.activity.retention import activity_purge_old
from web.activity.tasks import activity_purge_old_task

pytestmark = pytest.mark.django_db


def _events(user, count: int, age: timedelta) -> list[int]:
    at = timezone.now() - age
    return [ActivityLog.objects.create(user=user, action="ui.click", timestamp=at).pk for _ in range(count)]


def test_purge_deletes_old_events_and_keeps_recent_ones(student, settings) -> None:
    settings.ACTIVITY_RETENTION_DAYS = 90
    old = _events(student, 4, timedelta(days=91)) + _events(None, 2, timedelta(days=400))
    kept = _events(student, 3, timedelta(days=89)) + _events(student, 1, timedelta(seconds=1))

    assert activity_purge_old_task() == len(old)

    assert sorted(ActivityLog.objects.values_list("pk", flat=True)) == sorted(kept)
    assert activity_purge_old_task() == 0


def test_retention_period_comes_from_settings(student, settings) -> None:
    settings.ACTIVITY_RETENTION_DAYS = 7
    _events(student, 2, timedelta(days=8))
    kept = _events(student, 1, timedelta(days=6))
    assert activity_purge_old_task() == 2
    assert list(ActivityLog.objects.values_list("pk", flat=True)) == kept


def test_purge_deletes_in_batches(student) -> None:
    _events(student, 7, timedelta(days=200))
    kept = _events(student, 2, timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        assert activity_purge_old(retention_days=90, batch_size=3) == 7
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("DELETE")]
    assert len(deletes) == 3  # 3 + 3 + 1
    assert all('"activity_activitylog"."id" IN' in sql for sql in deletes)
    assert sorted(ActivityLog.objects.values_list("pk", flat=True)) == sorted(kept)


def test_periodic_jobs_are_scheduled_routed_and_expire_at_their_interval() -> None:
    schedule = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    drain = schedule["web.activity.tasks.activity_drain_buffer_task"]
    purge = schedule["web.activity.tasks.activity_purge_old_task"]
    assert drain["schedule"] == 2.0
    for entry in (drain, purge):
        assert entry["options"]["expires"] == entry["schedule"]
    for task in schedule:
        if task.startswith("web.activity."):
            assert settings.CELERY_TASK_ROUTES[task] == {"queue": "activity"}
    from config.celery import app

    app.loader.import_default_modules()
    assert "web.activity.tasks.activity_drain_buffer_task" in app.tasks
    assert "web.activity.tasks.activity_purge_old_task" in app.tasks

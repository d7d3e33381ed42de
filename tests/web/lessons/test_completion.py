"""The completion job: ended scheduled lessons become completed, with history and event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from web.activity.models import ActivityLog
from web.lessons.models import Lesson, LessonChange, LessonChangeKind, LessonStatus
from web.lessons.services import lessons_complete_ended
from web.lessons.tasks import lessons_complete_task

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def test_ended_scheduled_lessons_are_completed_once(pair) -> None:
    tutor, student = pair
    now = timezone.now()

    def lesson(start, **extra):
        return Lesson.objects.create(tutor=tutor, student=student, start=start, end=start + HOUR, **extra)

    ended = [lesson(now - timedelta(days=d, hours=2)) for d in range(3)]
    running = lesson(now - HOUR / 2)
    future = lesson(now + HOUR)
    cancelled = lesson(now - timedelta(days=5), status=LessonStatus.CANCELLED)
    assert lessons_complete_task() == 3
    assert lessons_complete_ended() == 0
    statuses = dict(Lesson.objects.values_list("id", "status"))
    assert {statuses[x.pk] for x in ended} == {LessonStatus.COMPLETED}
    assert [statuses[x.pk] for x in (running, future, cancelled)] == ["scheduled", "scheduled", "cancelled"]
    changes = LessonChange.objects.filter(kind=LessonChangeKind.COMPLETED)
    assert sorted(changes.values_list("lesson_id", flat=True)) == sorted(x.pk for x in ended)
    assert all(c.actor_id is None and c.old_status == "scheduled" for c in changes)
    events = ActivityLog.objects.filter(action="lesson.completed")
    assert sorted(events.values_list("entity_id", flat=True)) == sorted(str(x.pk) for x in ended)


def test_the_job_works_in_batches(pair) -> None:
    tutor, student = pair
    start = timezone.now() - timedelta(days=30)
    Lesson.objects.bulk_create(
        Lesson(tutor=tutor, student=student, start=start + n * HOUR, end=start + n * HOUR + HOUR / 2)
        for n in range(25)
    )
    assert lessons_complete_ended(batch=10) == 25
    assert not Lesson.objects.filter(status=LessonStatus.SCHEDULED).exists()


def test_the_beat_entries_expire_at_their_interval() -> None:
    for name in ("lessons-complete", "lessons-idempotency-purge"):
        entry = settings.CELERY_BEAT_SCHEDULE[name]
        assert entry["options"]["expires"] == entry["schedule"]

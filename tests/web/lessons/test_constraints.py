"""The database itself refuses double booking and keeps relations consistent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction

from tests.factories import StudentFactory, TutorFactory
from web.lessons.models import Lesson, LessonStatus

T0 = datetime(2030, 3, 4, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _lesson(tutor, student, start, end, **extra) -> Lesson:
    with transaction.atomic():
        return Lesson.objects.create(tutor=tutor, student=student, start=start, end=end, **extra)


@pytest.mark.django_db
def test_a_tutor_cannot_have_two_overlapping_scheduled_lessons() -> None:
    tutor, ann, bob = TutorFactory(), StudentFactory(), StudentFactory()
    _lesson(tutor, ann, T0, T0 + HOUR)
    with pytest.raises(IntegrityError, match="lesson_tutor_no_overlap"):
        _lesson(tutor, bob, T0 + HOUR / 2, T0 + 2 * HOUR)


@pytest.mark.django_db
def test_a_student_cannot_have_two_overlapping_scheduled_lessons() -> None:
    ann, tutor_a, tutor_b = StudentFactory(), TutorFactory(), TutorFactory()
    _lesson(tutor_a, ann, T0, T0 + HOUR)
    with pytest.raises(IntegrityError, match="lesson_student_no_overlap"):
        _lesson(tutor_b, ann, T0 - HOUR / 2, T0 + HOUR / 2)


@pytest.mark.django_db
def test_ranges_are_half_open_and_only_scheduled_lessons_block() -> None:
    tutor, ann, bob = TutorFactory(), StudentFactory(), StudentFactory()
    first = _lesson(tutor, ann, T0, T0 + HOUR)
    _lesson(tutor, bob, T0 + HOUR, T0 + 2 * HOUR)  # back to back
    Lesson.objects.filter(pk=first.pk).update(status=LessonStatus.CANCELLED)
    _lesson(tutor, bob, T0, T0 + HOUR - timedelta(minutes=1))  # the cancelled slot is free again
    _lesson(TutorFactory(), StudentFactory(), T0, T0 + HOUR)  # other people never conflict


@pytest.mark.django_db
def test_a_lesson_ends_after_it_starts() -> None:
    with pytest.raises(IntegrityError, match="lesson_starts_before_it_ends"):
        _lesson(TutorFactory(), StudentFactory(), T0, T0)

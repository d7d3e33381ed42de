"""Demo lessons: inside active relations, past ones completed, repeatable without duplicates."""

from __future__ import annotations

import pytest
from django.utils import timezone

from web.demo.seed import DEMO_STUDENT_EMAIL, DEMO_TUTOR_EMAIL, seed_demo, student_email, tutor_email
from web.lessons.models import Lesson, LessonStatus
from web.relations.models import Initiator, Relation, RelationStatus

pytestmark = pytest.mark.django_db


def test_demo_lessons_are_inside_active_relations_and_seeded_once() -> None:
    first = seed_demo(tutors=12, students=12, index=False)
    assert first.lessons_created == 8 * 4  # the demo pair and students 1, 6, 11
    demo = Lesson.objects.filter(tutor__email=DEMO_TUTOR_EMAIL, student__email=DEMO_STUDENT_EMAIL)
    now = timezone.now()
    # Four past lessons of the lessons seed (the reviews seed may add the one it reviews).
    assert demo.filter(status=LessonStatus.COMPLETED, end__lt=now).count() >= 4
    assert demo.filter(status=LessonStatus.SCHEDULED, start__gt=now).count() == 4
    # A lesson to come is inside an active relation; every lesson is inside some relation
    # (past ones of ended relations stay, as they would for real).
    for lesson in Lesson.objects.all():
        pair = Relation.objects.filter(tutor=lesson.tutor, student=lesson.student)
        assert pair.exists()
        if lesson.status == LessonStatus.SCHEDULED:
            assert pair.filter(status=RelationStatus.ACTIVE).exists()
    counts = (Relation.objects.count(), Lesson.objects.count())
    again = seed_demo(tutors=12, students=12, index=False)
    assert again.lessons_created == 0
    assert (Relation.objects.count(), Lesson.objects.count()) == counts


def test_a_pending_relation_is_left_alone() -> None:
    seed_demo(tutors=2, students=2, index=False)  # the accounts
    Lesson.objects.all().delete()
    Relation.objects.all().delete()
    from web.accounts.models import User

    tutor, student = User.objects.get(email=tutor_email(1)), User.objects.get(email=student_email(1))
    Relation.objects.create(tutor=tutor, student=student, status=RelationStatus.PENDING,
                            initiated_by=Initiator.STUDENT)
    seed_demo(tutors=2, students=2, index=False)
    assert not Lesson.objects.filter(student=student).exists()
    assert Relation.objects.filter(tutor=tutor, student=student).count() == 1

"""Demo lessons: past completed and future scheduled lessons for the demo accounts and a
share of the generated students, each inside an active relation.

Repeatable: a pair that has lessons already gets none, and a relation is created only
for a student without an active tutor and a pair without an open relation (the
relations demo may have made them first).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from web.accounts.models import User
from web.lessons.models import Lesson, LessonChange, LessonChangeKind, LessonStatus
from web.relations.models import OPEN_STATUSES, Initiator, Relation, RelationStatus

PAST_LESSONS = 4
FUTURE_LESSONS = 4
# One in this many generated students has lessons with the tutor of the same number.
STUDENT_SHARE = 5


def _tutor_of(student: User, tutor: User) -> User | None:
    """The student's active tutor, or `tutor` after making their relation active; None
    when the pair has an open (pending) relation the demo should not override."""
    active = Relation.objects.filter(student=student, status=RelationStatus.ACTIVE).select_related("tutor").first()
    if active is not None:
        return active.tutor
    if Relation.objects.filter(tutor=tutor, student=student, status__in=OPEN_STATUSES).exists():
        return None
    Relation.objects.create(tutor=tutor, student=student, status=RelationStatus.ACTIVE,
                            initiated_by=Initiator.STUDENT, message="Demo relation")
    return tutor


def _lessons_for(tutor: User, student: User, hour: int) -> int:
    """Weekly lessons at `hour`:00 UTC, the past ones completed; returns how many."""
    if Lesson.objects.filter(tutor=tutor, student=student).exists():
        return 0
    today = timezone.now().date()
    lessons = []
    for week in range(-PAST_LESSONS, FUTURE_LESSONS + 1):
        if week == 0:
            continue
        start = datetime.combine(today + timedelta(weeks=week), time(hour), tzinfo=UTC)
        status = LessonStatus.COMPLETED if week < 0 else LessonStatus.SCHEDULED
        lessons.append(Lesson(tutor=tutor, student=student, start=start, end=start + timedelta(hours=1),
                              status=status))
    try:
        with transaction.atomic():
            Lesson.objects.bulk_create(lessons)
    except IntegrityError:  # the tutor or student is busy then (other demo data): skip the pair
        return 0
    changes = [LessonChange(lesson=lesson, kind=LessonChangeKind.CREATED, actor=student, new_start=lesson.start,
                            new_end=lesson.end, new_status=LessonStatus.SCHEDULED) for lesson in lessons]
    changes += [LessonChange(lesson=lesson, kind=LessonChangeKind.COMPLETED, old_status=LessonStatus.SCHEDULED,
                             new_status=LessonStatus.COMPLETED)
                for lesson in lessons if lesson.status == LessonStatus.COMPLETED]
    LessonChange.objects.bulk_create(changes)
    return len(lessons)


def seed_lessons(*, demo_tutor: User, demo_student: User, tutor_emails: list[str], student_emails: list[str]) -> int:
    """Lessons for the demo pair and for every STUDENT_SHARE-th generated student (with
    the generated tutor of the same number); returns how many lessons were created."""
    created = 0
    with transaction.atomic():
        tutor = _tutor_of(demo_student, demo_tutor)
        if tutor is not None:
            created += _lessons_for(tutor, demo_student, hour=15)
        tutors = {u.email: u for u in User.objects.filter(email__in=tutor_emails)}
        students = {u.email: u for u in User.objects.filter(email__in=student_emails)}
        for n, (tutor_email, student_email) in enumerate(zip(tutor_emails, student_emails, strict=True)):
            if n % STUDENT_SHARE or tutor_email not in tutors or student_email not in students:
                continue
            tutor = _tutor_of(students[student_email], tutors[tutor_email])
            if tutor is not None:
                created += _lessons_for(tutor, students[student_email], hour=8 + n % 10)
    return created

"""Lessons: when, with whom, in which state. All times are stored in UTC.

The database refuses double booking: two scheduled lessons of one tutor, or of one
student, never overlap (exclusion constraints over half-open [start, end) ranges), so
a race of concurrent bookings has exactly one winner whatever the application checks.
The person is matched as a one-point integer range, which GiST indexes without the
btree_gist extension, so the constraint needs nothing beyond core PostgreSQL.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils.translation import gettext_lazy as _

REASON_MAX = 500


class LessonStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class _Range(Func):
    """`<function>(lower, upper, bounds)`: an integer or timestamp range."""

    def __init__(self, function: str, lower: object, upper: object, bounds: str) -> None:
        super().__init__(lower, upper, Value(bounds), function=function)


def _person(field: str) -> _Range:
    return _Range("int8range", F(field), F(field), "[]")


def _period() -> _Range:
    return _Range("tstzrange", F("start"), F("end"), "[)")


class Lesson(models.Model):
    tutor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lessons_as_tutor")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lessons_as_student")
    status = models.CharField(max_length=16, choices=LessonStatus.choices, default=LessonStatus.SCHEDULED)
    start = models.DateTimeField()
    end = models.DateTimeField()
    # Reserved for recurring series; stored and returned, not used yet.
    series_id = models.UUIDField(null=True, blank=True)
    # Grows with every change, for the calendar feed (iCalendar SEQUENCE).
    sequence = models.PositiveIntegerField(default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    cancellation_reason = models.CharField(max_length=REASON_MAX, blank=True)
    late_cancellation = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="lesson_starts_before_it_ends"),
            ExclusionConstraint(
                name="lesson_tutor_no_overlap",
                expressions=[(_person("tutor_id"), RangeOperators.OVERLAPS), (_period(), RangeOperators.OVERLAPS)],
                condition=Q(status=LessonStatus.SCHEDULED),
                violation_error_message=_("The tutor already has a lesson at that time."),
            ),
            ExclusionConstraint(
                name="lesson_student_no_overlap",
                expressions=[(_person("student_id"), RangeOperators.OVERLAPS), (_period(), RangeOperators.OVERLAPS)],
                condition=Q(status=LessonStatus.SCHEDULED),
                violation_error_message=_("The student already has a lesson at that time."),
            ),
        ]
        indexes = [
            # A calendar month of one person: a range scan each.
            models.Index(fields=["tutor", "start", "id"], name="lesson_tutor_calendar_idx"),
            models.Index(fields=["student", "start", "id"], name="lesson_student_calendar_idx"),
            # The completion job reads only scheduled lessons that have ended.
            models.Index(fields=["end"], name="lesson_scheduled_end_idx", condition=Q(status=LessonStatus.SCHEDULED)),
        ]

    def __str__(self) -> str:
        return f"Lesson({self.pk}: {self.start:%Y-%m-%d %H:%M} tutor {self.tutor_id} student {self.student_id})"


class LessonChangeKind(models.TextChoices):
    CREATED = "created", "Created"
    RESCHEDULED = "rescheduled", "Rescheduled"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"


class LessonChange(models.Model):
    """The history of a lesson: who changed what, from what to what, and why."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=16, choices=LessonChangeKind.choices)
    # Null for the system (the completion job) or an actor whose account is gone.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    old_start = models.DateTimeField(null=True, blank=True)
    old_end = models.DateTimeField(null=True, blank=True)
    new_start = models.DateTimeField(null=True, blank=True)
    new_end = models.DateTimeField(null=True, blank=True)
    old_status = models.CharField(max_length=16, choices=LessonStatus.choices, blank=True)
    new_status = models.CharField(max_length=16, choices=LessonStatus.choices)
    reason = models.CharField(max_length=REASON_MAX, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.lesson_id}: {self.kind}"


class CalendarToken(models.Model):
    """The secret of a person's calendar feed URL. Only its SHA-256 is stored, so a
    database dump cannot subscribe to anyone's calendar; rotating replaces the hash,
    which revokes the old URL at once."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
                                related_name="calendar_token")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"CalendarToken({self.user_id})"


IDEMPOTENCY_KEY_MAX = 255


class IdempotencyRecord(models.Model):
    """A request made with an `Idempotency-Key` and the response it got (Stripe's design).

    One row per (user, key): the unique constraint makes concurrent first requests wait
    for the one that inserted the row, which then finds the stored response. Kept 24 h.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=IDEMPOTENCY_KEY_MAX)
    # SHA-256 of the method, path and canonical JSON body.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_one_per_user_key")]
        indexes = [models.Index(fields=["created_at"], name="idempotency_created_idx")]

    def __str__(self) -> str:
        return f"IdempotencyRecord({self.user_id}, {self.key})"

"""Lesson writes: booking, rescheduling, cancelling, completing; the calendar token.

Each write is one transaction: the lesson row, its history row (LessonChange), the
activity event and the mail to the other party commit or roll back together.

Double booking is refused by the database (the exclusion constraints of Lesson), not by
a check before the insert: a check cannot see a concurrent booking that has not
committed yet. The insert or update runs in a savepoint, so a violation becomes a
Conflict naming the clash (and the clashing lesson when the caller may see it) while
the transaction stays usable.

The relation row is locked (SELECT ... FOR UPDATE) while a lesson is booked or moved:
ending a relation updates that row, so it waits for the booking to commit, and a booking
that waited for an ending sees the relation no longer active. No lesson is booked inside
a relation that ended before the booking committed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from web.accounts.models import DELETED_STUDENT, DELETED_TUTOR, Role, User
from web.activity.events import activity_log, event_fields
from web.activity.models import ActivityLog
from web.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from web.lessons.ical import lesson_ics
from web.lessons.models import CalendarToken, Lesson, LessonChange, LessonChangeKind, LessonStatus
from web.lessons.timezones import LocalTimeError, fits_availability, is_zone, read_time, zone_of
from web.mail.services import mail_to_user
from web.profiles.models import AvailabilitySlot, TutorProfile
from web.relations.models import Relation, RelationStatus

MIN_DURATION = timedelta(minutes=15)
MAX_DURATION = timedelta(hours=4)
MAX_AHEAD = timedelta(days=365)
# A cancellation this close to the start is flagged as late.
LATE_CANCELLATION = timedelta(hours=24)
COMPLETION_BATCH = 500

OVERLAP_MESSAGES = {
    "lesson_tutor_no_overlap": gettext_lazy("The tutor already has a lesson at that time."),
    "lesson_student_no_overlap": gettext_lazy("The student already has a lesson at that time."),
}
# The same, naming the caller's own lesson it clashes with.
OVERLAP_CLASH_MESSAGES = {
    "lesson_tutor_no_overlap": gettext_lazy(
        "The tutor already has a lesson at that time: lesson %(id)s, %(start)s to %(end)s."
    ),
    "lesson_student_no_overlap": gettext_lazy(
        "The student already has a lesson at that time: lesson %(id)s, %(start)s to %(end)s."
    ),
}


# --- times -----------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    start: datetime  # UTC
    end: datetime


def check_span(start: datetime, end: datetime, zone_name: str | None, actor: User, now: datetime) -> Span:
    """The UTC span of the client's times; InvalidInput naming the field on a time that
    does not exist locally or a span outside the booking rules."""
    if zone_name is not None and not is_zone(zone_name):
        raise InvalidInput(fields={"timezone": [_("Unknown time zone: %(zone)s.") % {"zone": zone_name[:64]}]})
    zone = zone_of(zone_name or actor.timezone)
    times: dict[str, datetime] = {}
    errors: dict[str, list[str]] = {}
    for name, value in (("start", start), ("end", end)):
        try:
            times[name] = read_time(value, zone)
        except LocalTimeError as exc:
            errors[name] = [str(exc)]
    if errors:
        raise InvalidInput(fields=errors)
    span = Span(times["start"], times["end"])
    if span.end <= span.start:
        raise InvalidInput(fields={"end": [_("Must be after start.")]})
    length = span.end - span.start
    if not MIN_DURATION <= length <= MAX_DURATION:
        raise InvalidInput(fields={"end": [_("A lesson lasts from 15 minutes to 4 hours.")]})
    if span.start <= now:
        raise InvalidInput(fields={"start": [_("Must be in the future.")]})
    if span.start > now + MAX_AHEAD:
        raise InvalidInput(fields={"start": [_("Must be at most a year ahead.")]})
    return span


def tutor_zone(tutor: User) -> ZoneInfo:
    """The zone of the tutor's availability: the profile's, else the account's."""
    profile_zone = TutorProfile.objects.filter(user_id=tutor.pk).values_list("timezone", flat=True).first()
    return zone_of(profile_zone or tutor.timezone)


def check_availability(tutor: User, span: Span) -> None:
    """Conflict unless the span lies inside the tutor's weekly availability."""
    zone = tutor_zone(tutor)
    slots = AvailabilitySlot.objects.filter(profile__user_id=tutor.pk).values_list("weekday", "start", "end")
    if not fits_availability(span.start, span.end, zone, slots):
        local = span.start.astimezone(zone)
        raise Conflict(
            _("The tutor is not available then (%(time)s in %(zone)s); see the tutor's availability.")
            % {"time": f"{local:%a %Y-%m-%d %H:%M}", "zone": zone.key},
            {"start": [_("Outside the tutor's availability.")]},
        )


# --- the database's refusals ----------------------------------------------------------


def _constraint(exc: IntegrityError) -> str | None:
    diag = getattr(exc.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)


def _overlap_conflict(name: str, *, actor: User, tutor_id: int, student_id: int, span: Span,
                      exclude: int | None) -> Conflict:
    """The Conflict for a violated overlap constraint; names the clashing lesson when it
    is one of the caller's own (someone else's lesson is not the caller's to see)."""
    message = str(OVERLAP_MESSAGES[name])
    person = Q(tutor_id=tutor_id) if name == "lesson_tutor_no_overlap" else Q(student_id=student_id)
    candidates = Lesson.objects.filter(person, status=LessonStatus.SCHEDULED, start__lt=span.end, end__gt=span.start)
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude)
    clash = candidates.filter(Q(tutor_id=actor.pk) | Q(student_id=actor.pk)).order_by("start").first()
    fields = {"start": [message]}
    if clash is not None:
        message = OVERLAP_CLASH_MESSAGES[name] % {
            "id": clash.pk, "start": clash.start.isoformat(), "end": clash.end.isoformat(),
        }
        fields["conflicting_lesson"] = [str(clash.pk)]
    return Conflict(message, fields)


def _save_or_conflict(lesson: Lesson, *, actor: User, span: Span, **save: Any) -> None:
    try:
        with transaction.atomic():  # a savepoint: the refusal leaves the transaction usable
            lesson.save(**save)
    except IntegrityError as exc:
        name = _constraint(exc)
        if name not in OVERLAP_MESSAGES:
            raise
        raise _overlap_conflict(
            name, actor=actor, tutor_id=lesson.tutor_id, student_id=lesson.student_id, span=span,
            exclude=lesson.pk,
        ) from None


def lesson_insert(*, actor: User, tutor: User, student: User, span: Span) -> Lesson:
    """Insert a scheduled lesson; the database refuses an overlap (Conflict). Runs in the
    caller's transaction."""
    lesson = Lesson(tutor=tutor, student=student, start=span.start, end=span.end)
    _save_or_conflict(lesson, actor=actor, span=span)
    return lesson


# --- booking ----------------------------------------------------------------------


def _active_relation(tutor_id: int, student_id: int) -> Relation | None:
    return (
        Relation.objects.select_for_update(of=("self",))
        .select_related("tutor", "student")
        .filter(tutor_id=tutor_id, student_id=student_id, status=RelationStatus.ACTIVE)
        .first()
    )


def lesson_create(
    *,
    actor: User,
    start: datetime,
    end: datetime,
    tutor_id: int | None = None,
    student_id: int | None = None,
    zone_name: str | None = None,
) -> Lesson:
    """Book a lesson inside an active relation.

    A student names the tutor (`tutor_id`) and books only inside the tutor's weekly
    availability; a tutor names the student (`student_id`) and may schedule at any
    time. Naive times are read in `zone_name` (else the actor's zone). Raises
    InvalidInput (times, fields), NotFound (no active relation with that person),
    Conflict (outside availability, or an overlap).
    """
    now = timezone.now()
    if actor.role == Role.STUDENT:
        if tutor_id is None or student_id is not None:
            raise InvalidInput(fields={"tutor_id": [_("A student books with `tutor_id` (and no `student_id`).")]})
        pair = (tutor_id, actor.pk)
    elif actor.role == Role.TUTOR:
        if student_id is None or tutor_id is not None:
            raise InvalidInput(fields={"student_id": [_("A tutor schedules with `student_id` (and no `tutor_id`).")]})
        pair = (actor.pk, student_id)
    else:
        raise PermissionDenied(_("Only tutors and students book lessons."))
    span = check_span(start, end, zone_name, actor, now)
    with transaction.atomic():
        relation = _active_relation(*pair)
        if relation is None or relation.student is None:
            raise NotFound(_("No active relation with this person."))
        tutor, student = relation.tutor, relation.student
        if actor.pk == student.pk:
            check_availability(tutor, span)
        lesson = lesson_insert(actor=actor, tutor=tutor, student=student, span=span)
        LessonChange.objects.create(
            lesson=lesson, kind=LessonChangeKind.CREATED, actor=actor, new_start=span.start, new_end=span.end,
            new_status=LessonStatus.SCHEDULED,
        )
        activity_log(actor, "lesson.created", entity_type="lesson", entity_id=lesson.pk,
                     metadata={"tutor_id": tutor.pk, "student_id": student.pk, "start": span.start.isoformat(),
                               "end": span.end.isoformat()})
        _tell_other_party(lesson, actor=actor, template="lesson_booked", key=f"lesson.booked:{lesson.pk}")
    return lesson


def _locked_lesson(actor: User, lesson_id: int) -> Lesson:
    lesson = (
        Lesson.objects.select_for_update(of=("self",))
        .select_related("tutor", "student")
        .filter(Q(tutor_id=actor.pk) | Q(student_id=actor.pk), pk=lesson_id)
        .first()
    )
    if lesson is None:
        raise NotFound(_("No such lesson."))
    return lesson


def _check_changeable(lesson: Lesson, now: datetime, action: str) -> None:
    if lesson.status != LessonStatus.SCHEDULED:
        refusals = {
            "rescheduled": _("The lesson is %(status)s; only a scheduled lesson can be rescheduled."),
            "cancelled": _("The lesson is %(status)s; only a scheduled lesson can be cancelled."),
        }
        raise Conflict(refusals[action] % {"status": lesson.status},
                       {"status": [_("Lesson is %(status)s.") % {"status": lesson.status}]})
    if lesson.start <= now:
        started = {
            "rescheduled": _("The lesson has already started; it can no longer be rescheduled."),
            "cancelled": _("The lesson has already started; it can no longer be cancelled."),
        }
        raise Conflict(started[action], {"start": [_("The lesson has already started.")]})


def lesson_reschedule(
    *,
    actor: User,
    lesson_id: int,
    start: datetime,
    end: datetime,
    zone_name: str | None = None,
    reason: str = "",
) -> Lesson:
    """Move a scheduled lesson that has not started (tutor or student of it). The same
    rules as booking apply to the new times; the constraint checks the update again.
    Raises NotFound (not the caller's lesson), Conflict (cancelled, completed, started,
    overlap, outside availability, relation ended), InvalidInput."""
    now = timezone.now()
    span = check_span(start, end, zone_name, actor, now)
    with transaction.atomic():
        lesson = _locked_lesson(actor, lesson_id)
        _check_changeable(lesson, now, "rescheduled")
        if (lesson.start, lesson.end) == (span.start, span.end):
            return lesson
        if _active_relation(lesson.tutor_id, lesson.student_id) is None:
            raise Conflict(_("The relation between tutor and student is no longer active."))
        if actor.pk == lesson.student_id:
            check_availability(lesson.tutor, span)
        old_start, old_end = lesson.start, lesson.end
        lesson.start, lesson.end = span.start, span.end
        lesson.sequence += 1
        _save_or_conflict(lesson, actor=actor, span=span,
                          update_fields=["start", "end", "sequence", "updated_at"])
        LessonChange.objects.create(
            lesson=lesson, kind=LessonChangeKind.RESCHEDULED, actor=actor, old_start=old_start, old_end=old_end,
            new_start=span.start, new_end=span.end, old_status=LessonStatus.SCHEDULED,
            new_status=LessonStatus.SCHEDULED, reason=reason,
        )
        activity_log(actor, "lesson.rescheduled", entity_type="lesson", entity_id=lesson.pk,
                     metadata={"old_start": old_start.isoformat(), "old_end": old_end.isoformat(),
                               "start": span.start.isoformat(), "end": span.end.isoformat()})
        _tell_other_party(lesson, actor=actor, template="lesson_rescheduled",
                          key=f"lesson.rescheduled:{lesson.pk}:{lesson.sequence}",
                          extra={"old_start": old_start, "reason": reason})
    return lesson


def lesson_cancel(*, actor: User, lesson_id: int, reason: str = "") -> Lesson:
    """Cancel a scheduled lesson that has not started (tutor or student of it); less
    than 24 h before the start it is flagged as late. Raises NotFound, Conflict."""
    now = timezone.now()
    with transaction.atomic():
        lesson = _locked_lesson(actor, lesson_id)
        _check_changeable(lesson, now, "cancelled")
        lesson.status = LessonStatus.CANCELLED
        lesson.cancelled_at = now
        lesson.cancelled_by = actor
        lesson.cancellation_reason = reason
        lesson.late_cancellation = lesson.start - now < LATE_CANCELLATION
        lesson.sequence += 1
        lesson.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancellation_reason",
                                   "late_cancellation", "sequence", "updated_at"])
        LessonChange.objects.create(
            lesson=lesson, kind=LessonChangeKind.CANCELLED, actor=actor, old_status=LessonStatus.SCHEDULED,
            new_status=LessonStatus.CANCELLED, reason=reason,
        )
        activity_log(actor, "lesson.cancelled", entity_type="lesson", entity_id=lesson.pk,
                     metadata={"late": lesson.late_cancellation, "reason": reason})
        _tell_other_party(lesson, actor=actor, template="lesson_cancelled", key=f"lesson.cancelled:{lesson.pk}",
                          extra={"reason": reason})
    return lesson


def lessons_cancel_for_account_deletion(user: User, *, reason: str) -> int:
    """Cancel `user`'s scheduled lessons that have not started, inside the account
    deletion's transaction; returns how many. Each gets its history row, a
    `lesson.cancelled` event without an actor and a mail to the other person, which says the account was
    deleted and names the deleted person as everyone sees them from now on ("deleted
    tutor"), so no mail or calendar file keeps the name the deletion erases."""
    now = timezone.now()
    future = list(
        Lesson.objects.filter(Q(tutor=user) | Q(student=user), status=LessonStatus.SCHEDULED, start__gt=now)
        .select_related("tutor", "student")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    for lesson in future:
        lesson.status = LessonStatus.CANCELLED
        lesson.cancelled_at = now
        lesson.cancelled_by = user
        lesson.cancellation_reason = reason
        lesson.sequence += 1
        lesson.save(update_fields=["status", "cancelled_at", "cancelled_by", "cancellation_reason", "sequence",
                                   "updated_at"])
        LessonChange.objects.create(
            lesson=lesson, kind=LessonChangeKind.CANCELLED, actor=user, old_status=LessonStatus.SCHEDULED,
            new_status=LessonStatus.CANCELLED, reason=reason,
        )
        # The platform cancels it, not the person (whose events the deletion empties).
        activity_log(None, "lesson.cancelled", entity_type="lesson", entity_id=lesson.pk,
                     metadata={"late": False, "reason": reason})
        by_tutor = user.pk == lesson.tutor_id
        recipient = lesson.student if by_tutor else lesson.tutor
        with override(recipient.language or settings.LANGUAGE_CODE):
            deleted_name = str(DELETED_TUTOR if by_tutor else DELETED_STUDENT)
        _tell_other_party(lesson, actor=user, template="lesson_cancelled_account_deleted",
                          key=f"lesson.cancelled:{lesson.pk}", extra={"by_tutor": by_tutor}, actor_name=deleted_name)
    return len(future)


def lessons_complete_ended(*, now: datetime | None = None, batch: int = COMPLETION_BATCH) -> int:
    """Mark scheduled lessons whose end has passed as completed (history row and
    `lesson.completed` event each); returns how many. Rows another run holds are
    skipped, so overlapping runs never complete a lesson twice."""
    now = now or timezone.now()
    done = 0
    while True:
        with transaction.atomic():
            ids = list(
                Lesson.objects.select_for_update(skip_locked=True)
                .filter(status=LessonStatus.SCHEDULED, end__lte=now)
                .order_by("end")
                .values_list("id", flat=True)[:batch]
            )
            if not ids:
                return done
            rows = list(Lesson.objects.filter(pk__in=ids).values_list("id", "tutor_id", "student_id"))
            Lesson.objects.filter(pk__in=ids).update(status=LessonStatus.COMPLETED, updated_at=now)
            LessonChange.objects.bulk_create(
                LessonChange(lesson_id=pk, kind=LessonChangeKind.COMPLETED, old_status=LessonStatus.SCHEDULED,
                             new_status=LessonStatus.COMPLETED)
                for pk in ids
            )
            ActivityLog.objects.bulk_create(
                ActivityLog(**event_fields(None, "lesson.completed", entity_type="lesson", entity_id=pk,
                                           metadata={"tutor_id": tutor_id, "student_id": student_id},
                                           status_code=None, duration_ms=None))
                for pk, tutor_id, student_id in rows
            )
            done += len(ids)
        if len(ids) < batch:
            return done


# --- mail -------------------------------------------------------------------------


def _when(instant: datetime, user: User) -> str:
    zone = zone_of(user.timezone)
    return f"{instant.astimezone(zone):%A %Y-%m-%d %H:%M} ({zone.key})"


def _tell_other_party(lesson: Lesson, *, actor: User, template: str, key: str,
                      extra: dict[str, Any] | None = None, actor_name: str | None = None) -> None:
    """Mail the party who did not make the change, times in their own zone, with the
    lesson attached as an .ics event; `actor_name` names the actor instead of their name."""
    recipient = lesson.student if actor.pk == lesson.tutor_id else lesson.tutor
    other_name = actor_name or actor.full_name
    context: dict[str, Any] = {
        "full_name": recipient.full_name,
        "other_name": other_name,
        "start": _when(lesson.start, recipient),
        "end": _when(lesson.end, recipient),
        "minutes": int((lesson.end - lesson.start).total_seconds() // 60),
        "link": f"{settings.SITE_URL}/api/lessons/{lesson.pk}/",
    }
    for name, value in (extra or {}).items():
        context[name] = _when(value, recipient) if isinstance(value, datetime) else value
    attachment = {
        "filename": f"lesson-{lesson.pk}.ics",
        "content": lesson_ics(lesson, viewer_id=recipient.pk, stamp=timezone.now(), other_name=other_name),
        "mimetype": "text/calendar",
    }
    mail_to_user(recipient, template, key=key, context=context, attachments=[attachment])


# --- the calendar token -------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    created_at: datetime


def calendar_token_rotate(*, user: User) -> IssuedToken:
    """A new secret for the user's calendar feed; the previous URL stops working at once.
    Only the hash is stored: the token is shown this once."""
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        CalendarToken.objects.update_or_create(user=user, defaults={"token_hash": token_hash(token), "created_at": now})
        activity_log(user, "lesson.calendar_token_rotated", entity_type="user", entity_id=user.pk)
    return IssuedToken(token=token, created_at=now)

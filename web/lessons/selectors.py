"""Lesson reads: one lesson, a person's calendar range, the calendar feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from web.accounts.models import User
from web.core.errors import InvalidInput, NotFound
from web.core.pagination import Page, keyset_page
from web.lessons.models import CalendarToken, Lesson, LessonStatus
from web.lessons.services import MAX_DURATION, token_hash
from web.lessons.timezones import zone_of

# At most this many lessons in one response of the calendar range.
MAX_EVENTS = 500
MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 31
# The feed's window: what a subscribed calendar shows.
FEED_PAST = timedelta(days=90)
FEED_AHEAD = timedelta(days=365)
FEED_CANCELLED_FOR = timedelta(days=30)


_LESSON_FIELDS = [field.name for field in Lesson._meta.concrete_fields]


def lesson_of(user: User, lesson_id: int) -> Lesson:
    """The caller's lesson (as tutor or student); anyone else's is NotFound."""
    lesson = (
        Lesson.objects.select_related("tutor", "student")
        .filter(Q(tutor_id=user.pk) | Q(student_id=user.pk), pk=lesson_id)
        .first()
    )
    if lesson is None:
        raise NotFound(_("No such lesson."))
    return lesson


@dataclass(frozen=True)
class LessonRange:
    page: Page[Lesson]
    zone: ZoneInfo
    date_from: date
    date_to: date


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def lessons_in_range(
    user: User,
    *,
    date_from: date | None,
    date_to: date | None,
    status: str | None,
    role: str | None,
    cursor: str | None,
    page_size: int = MAX_EVENTS,
) -> LessonRange:
    """The caller's lessons that overlap the local dates [date_from, date_to] (both
    included, in the caller's zone), by start time; at most `page_size` per page.

    Without dates: 31 days from today. A range longer than 366 days is InvalidInput.
    """
    zone = zone_of(user.timezone)
    if date_from is None:
        date_from = (date_to - timedelta(days=DEFAULT_RANGE_DAYS - 1)) if date_to else timezone.now().astimezone(
            zone).date()
    if date_to is None:
        date_to = date_from + timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if date_to < date_from:
        raise InvalidInput(fields={"to": [_("Must not be before `from`.")]})
    if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        raise InvalidInput(fields={"to": [_("The range may span at most %(days)d days.") % {"days": MAX_RANGE_DAYS}]})
    lower = _midnight(date_from, zone)
    upper = _midnight(date_to + timedelta(days=1), zone)
    who = {"tutor": Q(tutor_id=user.pk), "student": Q(student_id=user.pk)}.get(
        role or "", Q(tutor_id=user.pk) | Q(student_id=user.pk)
    )
    # `start` bounds make it an index range scan; a lesson lasts at most MAX_DURATION,
    # so one that overlaps `lower` starts after `lower - MAX_DURATION`.
    queryset: QuerySet[Lesson] = (
        Lesson.objects.select_related("tutor", "student")
        # Of the people only what a calendar shows: a month may hold 500 lessons.
        .only(*_LESSON_FIELDS, "tutor__full_name", "student__full_name")
        .filter(who, start__gte=lower - MAX_DURATION, start__lt=upper, end__gt=lower)
    )
    if status:
        queryset = queryset.filter(status=status)
    page = keyset_page(
        queryset, order=("start", "id"), cursor=cursor, page_size=page_size, max_page_size=MAX_EVENTS,
        bound_to={"user": user.pk, "from": date_from.isoformat(), "to": date_to.isoformat(), "status": status,
                  "role": role},
        salt="lessons.my",
    )
    return LessonRange(page=page, zone=zone, date_from=date_from, date_to=date_to)


def calendar_owner(token: str) -> User:
    """The user whose calendar feed `token` opens; NotFound for an unknown or revoked one."""
    record = CalendarToken.objects.select_related("user").filter(token_hash=token_hash(token)).first()
    if record is None or not record.user.is_active:
        raise NotFound(_("No calendar at this address."))
    return record.user


def calendar_lessons(user: User, *, now: datetime | None = None) -> list[Lesson]:
    """The feed's lessons: from 90 days back to a year ahead; cancelled ones for 30 days
    after their cancellation, so subscribed calendars see them go."""
    now = now or timezone.now()
    return list(
        Lesson.objects.select_related("tutor", "student")
        .filter(Q(tutor_id=user.pk) | Q(student_id=user.pk), start__gte=now - FEED_PAST, start__lte=now + FEED_AHEAD)
        .exclude(status=LessonStatus.CANCELLED, cancelled_at__lt=now - FEED_CANCELLED_FOR)
        .order_by("start", "id")
    )

"""Lessons as iCalendar (RFC 5545), built with the `icalendar` library.

Every lesson keeps one UID for life, so a calendar that subscribed to the feed updates
the event in place when it moves; SEQUENCE is the lesson's `sequence`, which every change
raises, and a cancelled lesson stays in the feed as STATUS:CANCELLED (for 30 days) so
subscribers remove it instead of keeping a stale event. Times are UTC (`...Z`), which
every client shows in its own zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event

from web.lessons.models import Lesson, LessonStatus

PRODID = "-//MASH Marketplace//Lessons//EN"
UID_DOMAIN = "lessons.mash-marketplace"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def lesson_uid(lesson_id: int) -> str:
    return f"lesson-{lesson_id}@{UID_DOMAIN}"


def _summary(lesson: Lesson, viewer_id: int | None, other_name: str | None = None) -> str:
    """The event's title: the other person's name as the viewer sees it ("deleted tutor"
    once that account is deleted); `other_name` names them instead."""
    if viewer_id == lesson.tutor_id:
        return f"Lesson with {other_name or lesson.student.public_name}"
    if viewer_id == lesson.student_id:
        return f"Lesson with {other_name or lesson.tutor.public_name}"
    return f"Lesson: {lesson.tutor.public_name} and {lesson.student.public_name}"


def lesson_event(lesson: Lesson, *, viewer_id: int | None, stamp: datetime, other_name: str | None = None) -> Event:
    event = Event()
    event.add("uid", lesson_uid(lesson.pk))
    event.add("dtstamp", stamp.astimezone(UTC))
    event.add("dtstart", lesson.start.astimezone(UTC))
    event.add("dtend", lesson.end.astimezone(UTC))
    event.add("sequence", lesson.sequence)
    event.add("summary", _summary(lesson, viewer_id, other_name))
    event.add("status", "CANCELLED" if lesson.status == LessonStatus.CANCELLED else "CONFIRMED")
    event.add("created", lesson.created_at.astimezone(UTC))
    event.add("last-modified", lesson.updated_at.astimezone(UTC))
    if lesson.status == LessonStatus.CANCELLED and lesson.cancellation_reason:
        event.add("description", f"Cancelled: {lesson.cancellation_reason}")
    return event


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    # How often subscribed clients should poll (Apple, Outlook; Google polls on its own).
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", "PT1H")
    return calendar


def calendar_feed(lessons: Iterable[Lesson], *, viewer_id: int, name: str, stamp: datetime) -> bytes:
    """The subscription feed of one person's lessons."""
    calendar = _calendar(name)
    for lesson in lessons:
        calendar.add_component(lesson_event(lesson, viewer_id=viewer_id, stamp=stamp))
    return calendar.to_ical()


def lesson_ics(lesson: Lesson, *, viewer_id: int, stamp: datetime, other_name: str | None = None) -> str:
    """One lesson as a calendar file, for a mail attachment."""
    calendar = _calendar("MASH Marketplace lesson")
    calendar.add_component(lesson_event(lesson, viewer_id=viewer_id, stamp=stamp, other_name=other_name))
    return calendar.to_ical().decode()

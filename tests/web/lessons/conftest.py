"""Lesson fixtures: a tutor in Kyiv, a student in New York, an active relation between
them, and the dates of the coming daylight-saving changes of both zones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.factories import StudentFactory, TutorFactory, TutorProfileFactory
from web.profiles.models import END_OF_DAY, AvailabilitySlot, TutorProfile
from web.relations.models import Initiator, Relation, RelationStatus

KYIV = ZoneInfo("Europe/Kyiv")
NEW_YORK = ZoneInfo("America/New_York")


def relate(tutor, student, status: str = RelationStatus.ACTIVE) -> Relation:
    return Relation.objects.create(tutor=tutor, student=student, status=status, initiated_by=Initiator.STUDENT)


ALL_WEEK = tuple((day, time(0, 0), END_OF_DAY) for day in range(7))


def make_tutor(zone: str = "Europe/Kyiv", slots=ALL_WEEK, **extra):
    """A tutor whose account and profile are in `zone`, with weekly `slots`
    ((weekday, start, end)); by default available all week."""
    user = TutorFactory(timezone=zone, **extra)
    profile = TutorProfileFactory(user=user, timezone=zone)
    AvailabilitySlot.objects.bulk_create(
        AvailabilitySlot(profile=profile, weekday=weekday, start=start, end=end) for weekday, start, end in slots
    )
    return user


def set_slots(tutor, slots) -> None:
    AvailabilitySlot.objects.filter(profile__user=tutor).delete()
    profile = TutorProfile.objects.get(user=tutor)
    AvailabilitySlot.objects.bulk_create(
        AvailabilitySlot(profile=profile, weekday=weekday, start=start, end=end) for weekday, start, end in slots
    )


def transitions(zone: ZoneInfo, after: date, days: int = 400) -> dict[str, date]:
    """The first spring-forward and fall-back days of `zone` after `after`."""
    found: dict[str, date] = {}
    day = after
    for _ in range(days):
        before = datetime.combine(day, time(12), tzinfo=zone).utcoffset()
        day += timedelta(days=1)
        now = datetime.combine(day, time(12), tzinfo=zone).utcoffset()
        if before != now and before is not None and now is not None:
            found.setdefault("spring" if now > before else "autumn", day)
    return found


@dataclass(frozen=True)
class DstDates:
    us_spring: date  # New York springs forward (2nd Sunday of March)
    eu_spring: date  # Kyiv springs forward (last Sunday of March), two or three weeks later
    eu_autumn: date  # Kyiv falls back (last Sunday of October)
    us_autumn: date  # New York falls back a week later (1st Sunday of November)


@pytest.fixture
def dst() -> DstDates:
    today = timezone.now().date()
    us = transitions(NEW_YORK, today)
    eu_spring = transitions(KYIV, us["spring"])["spring"]
    eu = transitions(KYIV, today)
    us_autumn = transitions(NEW_YORK, eu["autumn"])["autumn"]
    return DstDates(us_spring=us["spring"], eu_spring=eu_spring, eu_autumn=eu["autumn"], us_autumn=us_autumn)


@pytest.fixture
def kyiv_tutor(db):
    return make_tutor("Europe/Kyiv", full_name="Olena Kovalenko", language="uk")


@pytest.fixture
def ny_student(db):
    return StudentFactory(timezone="America/New_York", full_name="John Smith", language="en")


@pytest.fixture
def pair(kyiv_tutor, ny_student):
    relate(kyiv_tutor, ny_student)
    return kyiv_tutor, ny_student


def soon(days: int = 3, hour: int = 10) -> datetime:
    """A UTC time `days` ahead at `hour`:00."""
    day = timezone.now().date() + timedelta(days=days)
    return datetime.combine(day, time(hour), tzinfo=UTC)


def iso(value: datetime) -> str:
    return value.isoformat()

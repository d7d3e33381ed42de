"""Time zones of lessons: reading a client's times, and the tutor's weekly availability.

Lessons are stored in UTC. A client sends each time either as an instant (ISO 8601 with
an offset or `Z`) or as a wall-clock time without an offset, which is read in a named zone
(the request's `timezone`, else the caller's account zone). A wall-clock time that does
not exist there (the hour skipped in spring) or that exists twice (the hour repeated in
autumn) is refused, never silently shifted: the client must say which instant it means.

Availability slots are wall-clock times in the tutor's zone for a weekday. A lesson
fits when its span, seen on the tutor's wall clock, lies inside the tutor's slots of the
local date(s) it touches; slots that touch (10-12 and 12-14, or Monday to 24:00 and
Tuesday from 00:00) join. Seen on the wall clock, a lesson across a DST change is an hour
longer or shorter than it lasts; that is how the tutor's day looks, so that is what is checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.utils.translation import gettext as _

from web.profiles.models import slot_end_minutes

__all__ = ["LocalTimeError", "zone_of", "read_time", "fits_availability", "local_iso"]


class LocalTimeError(ValueError):
    """A wall-clock time that does not name exactly one instant in its zone."""


_ZONES = frozenset(available_timezones())


def zone_of(name: str | None) -> ZoneInfo:
    """The zone of an account or profile; an unknown or empty name is UTC."""
    if name and name in _ZONES:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def is_zone(name: str) -> bool:
    return name in _ZONES


def read_time(value: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of `value`: as given when it carries an offset, otherwise its
    wall-clock time in `zone`, which must exist there exactly once."""
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(UTC)
    earlier = value.replace(tzinfo=zone, fold=0)
    later = value.replace(tzinfo=zone, fold=1)
    if earlier.utcoffset() != later.utcoffset():
        # zoneinfo maps a skipped time to an instant whose wall clock differs from it
        # and a repeated one to two instants; round-tripping tells them apart.
        round_trip = earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if round_trip != value:
            raise LocalTimeError(
                _(
                    "%(time)s does not exist in %(zone)s (the clocks skip it when daylight saving time "
                    "starts); choose another time or give it with a UTC offset."
                ) % {"time": f"{value:%Y-%m-%d %H:%M}", "zone": zone.key}
            )
        raise LocalTimeError(
            _(
                "%(time)s happens twice in %(zone)s (the clocks repeat it when daylight saving time "
                "ends); give it with a UTC offset to say which one."
            ) % {"time": f"{value:%Y-%m-%d %H:%M}", "zone": zone.key}
        )
    return earlier.astimezone(UTC)


def local_iso(instant: datetime, zone: ZoneInfo) -> str:
    """`instant` on `zone`'s wall clock, ISO 8601 with its offset there."""
    return instant.astimezone(zone).isoformat()


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _day_intervals(day: date, slots: Iterable[tuple[int, time, time]]) -> list[tuple[datetime, datetime]]:
    midnight = datetime.combine(day, time(0, 0))
    return [
        (datetime.combine(day, start), midnight + timedelta(minutes=slot_end_minutes(end)))
        for weekday, start, end in slots
        if weekday == day.weekday()
    ]


def fits_availability(
    start: datetime, end: datetime, zone: ZoneInfo, slots: Iterable[tuple[int, time, time]]
) -> bool:
    """Whether [start, end) lies inside the weekly `slots` ((weekday, start, end) on the
    wall clock of `zone`, weekday 0 = Monday, end 00:00 = 24:00)."""
    slots = list(slots)
    wall_start, wall_end = _wall(start, zone), _wall(end, zone)
    if wall_end <= wall_start:
        # Only an autumn change can fold a short lesson back on the wall clock; read the
        # span as it runs on the clock, which still has to be available throughout.
        wall_end = wall_start + (end - start)
    intervals: list[tuple[datetime, datetime]] = []
    day = wall_start.date()
    while day <= wall_end.date():
        intervals.extend(_day_intervals(day, slots))
        day += timedelta(days=1)
    intervals.sort()
    reach: datetime | None = None  # the end of the run of joined slots that holds wall_start
    for lower, upper in intervals:
        if lower > wall_start and (reach is None or lower > reach):
            break  # a gap at or after the start
        reach = upper if reach is None or lower > reach else max(reach, upper)
    return reach is not None and reach >= wall_end

"""Weekly availability in a zone-independent form, and the filter that reads it.

A tutor's slots are wall-clock times in the tutor's own zone ("Tuesday 18:00-20:00,
Europe/Kyiv"); a student asks in theirs ("Tuesday 17:00-18:00, Europe/Warsaw"). Both are
turned into the same frame: minutes of the UTC week (Monday 00:00 UTC is 0, the week has
10,080), whatever the two zones.

"Is the tutor free then" asks for a slot [s, e) with s <= from and e >= to: two numbers at
once, which an `integer_range` field with relation `contains` answers, but which the
embedded engine evaluates by visiting every document's ranges (about 100 ms at 20,000
tutors however few match). The document instead holds plain numbers, each `t * 65,536 +
e`: "a slot covers minute t and ends at e (so it started at or before t)". Each slot gives
its start and every quarter-hour inside it. A window [lo, hi) is then a few numeric ranges:
the quarter-hour at or before lo, or a start in the minutes after it up to lo, each with an
end of at least hi (`contains_ranges`). Numeric ranges are answered from an index of the
values on any engine, a few milliseconds here, and exactly: every slot with s <= lo has a
value whose t is that quarter-hour or its own start.

Which UTC minute a wall-clock time is depends on the zone's offset, and the offset
changes at daylight-saving transitions. Both sides therefore convert the *upcoming
occurrence* of each weekday: the first date with that weekday on or after a reference
date (today, UTC). A tutor's slots are encoded with the offsets in force on the days
they next happen, and a search converts its window the same way, so the two agree for
the coming week, which is the week a student is booking for. When a transition enters
that week the encoding of the slots on that weekday changes; `zones_to_reindex` names
the zones for which this happens between two reference dates, and a daily job reindexes
their tutors (indexer.tasks.index_time_zones_task).

A slot that ends past Sunday 24:00 UTC (a Monday-morning slot in Kyiv starts on Sunday
evening UTC) keeps its unwrapped range, up to 10,080 + 1,440, and gets a copy shifted
back one week, so a window on either side of the week boundary is contained by one of
the two; a window is never split.

Pure functions with the reference date passed in: nothing here reads a clock, talks to
the cluster or to the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 24 * 60
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The document field holding the slots as numbers `t * END_SPAN + e` (see the module's docstring).
AVAILABILITY_FIELD = "availability_utc"
# Ends are minutes below END_SPAN (at most a week and a day: 11,520).
END_SPAN = 1 << 16
# Every slot gives a value at each multiple of GRID minutes inside it, besides its start:
# a window needs at most GRID numeric ranges (one when it starts on the grid).
GRID = 15

Range = dict[str, int]


def zone(name: str) -> ZoneInfo:
    """The zone named `name`; UTC for a name this machine does not know (a profile saved
    before its zone was validated must not break indexing)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def upcoming(weekday: int, reference: date) -> date:
    """The first date with `weekday` (0 is Monday) on or after `reference`."""
    return reference + timedelta(days=(weekday - reference.weekday()) % 7)


def hhmm_minutes(text: str) -> int:
    """"18:30" -> 1110; "24:00" -> 1440. Raises ValueError for anything else."""
    if len(text) != 5 or text[2] != ":" or not (text[:2] + text[3:]).isdigit():
        raise ValueError("Use HH:MM, e.g. 18:00.")
    hours, minutes = int(text[:2]), int(text[3:])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError("Use a time of day from 00:00 to 24:00.")
    return hours * 60 + minutes


def minutes_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _utc(day: date, minute_of_day: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time (a minute of `day` in `tz`; 1440 is the next
    midnight). A time skipped by a transition is read with the offset before it."""
    local = datetime.combine(day, time(0), tzinfo=tz) + timedelta(minutes=minute_of_day)
    # Adding a timedelta to an aware datetime is wall-clock arithmetic: re-attach the
    # zone so the offset is the one in force at that wall time.
    local = local.replace(tzinfo=tz)
    return local.astimezone(UTC)


def _week_minute(instant: datetime) -> int:
    return instant.weekday() * MINUTES_PER_DAY + instant.hour * 60 + instant.minute


def utc_interval(weekday: int, start: int, end: int, tz: ZoneInfo, reference: date) -> tuple[int, int]:
    """A wall-clock interval on the upcoming `weekday` in `tz` as [start, end) minutes of
    the UTC week; `end` <= `start` runs into the next day. The start is in 0..10,079,
    the end may pass the week's end (unwrapped)."""
    day = upcoming(weekday, reference)
    begins = _utc(day, start, tz)
    ends = _utc(day + timedelta(days=1) if end <= start else day, end, tz)
    low = _week_minute(begins)
    return low, low + int((ends - begins).total_seconds() // 60)


@lru_cache(maxsize=65_536)
def _slot_interval(weekday: int, start: int, end: int, tz_name: str, reference: date) -> tuple[int, int]:
    # Slots repeat (a few zones, round hours): a rebuild converts each distinct one once.
    return utc_interval(weekday, start, end, zone(tz_name), reference)


def slot_ranges(weekday: int, start: int, end: int, tz_name: str, reference: date) -> list[Range]:
    """A tutor's weekly slot (minutes of the day in their zone, end 1440 for 24:00) as the
    document's integer ranges: one, plus a copy one week back when it passes the week's end."""
    low, high = _slot_interval(weekday, start, end, tz_name, reference)
    ranges = [{"gte": low, "lt": high}]
    if high > MINUTES_PER_WEEK:
        ranges.append({"gte": low - MINUTES_PER_WEEK, "lt": high - MINUTES_PER_WEEK})
    return ranges


def slots_ranges(slots: Iterable[dict[str, Any]], tz_name: str, reference: date) -> list[Range]:
    """The document value for a tutor's slots as the public profile lists them
    (`{"weekday", "start": "HH:MM", "end": "HH:MM" | "24:00"}`)."""
    ranges: list[Range] = []
    for slot in slots:
        start, end = hhmm_minutes(slot["start"]), hhmm_minutes(slot["end"])
        ranges += slot_ranges(slot["weekday"], start, end, tz_name, reference)
    return ranges


def range_points(low: int, high: int) -> list[int]:
    """The document values of one slot [low, high): its start and every GRID minute inside it,
    each with the slot's end."""
    starts = {low, *range(-(-low // GRID) * GRID, high, GRID)}
    return [t * END_SPAN + high for t in sorted(starts)]


def slots_points(slots: Iterable[dict[str, Any]], tz_name: str, reference: date) -> list[int]:
    """The document value of a tutor's slots (public-profile form), sorted, each number once."""
    points: set[int] = set()
    for r in slots_ranges(slots, tz_name, reference):
        points.update(range_points(r["gte"], r["lt"]))
    return sorted(points)


def contains_ranges(low: int, high: int) -> list[Range]:
    """Numeric ranges of the document values that mean a slot holding all of [low, high):
    a value (t, e) with t at or before `low` (the grid minute below it, or a start after
    that) and e >= `high`."""
    grid = low - low % GRID
    return [{"gte": t * END_SPAN + high, "lt": (t + 1) * END_SPAN} for t in (grid, *range(grid + 1, low + 1))]


def window_ranges(low: int, high: int, relation: str) -> list[Range]:
    """Numeric ranges of the document values matching a window: `contains` (one slot holds
    all of it) or `intersects` (a slot covers some minute of it: a value whose minute is in
    the window, or a slot running through its first minute)."""
    if relation == "contains":
        return contains_ranges(low, high)
    return [{"gte": low * END_SPAN, "lt": high * END_SPAN}, *contains_ranges(low, low + 1)]


# --- the search side -----------------------------------------------------------------------


@dataclass(frozen=True)
class AvailabilityFilter:
    """A validated availability request: weekdays, an optional wall-clock window, the
    zone they are read in, and the UTC windows they became (`availability_filter`)."""

    weekdays: tuple[str, ...]
    # Both or neither; "HH:MM", `to` may be "24:00"; to <= from crosses midnight.
    time_from: str | None
    time_to: str | None
    tz: str
    # [gte, lt) minutes of the UTC week, one per weekday.
    windows: tuple[tuple[int, int], ...]
    # `contains` for a time window (one slot must hold all of it); `intersects` for
    # whole days (any slot that day).
    relation: str


def availability_filter(
    weekdays: Iterable[str] | None, time_from: str | None, time_to: str | None, tz_name: str, reference: date
) -> AvailabilityFilter | None:
    """The filter for validated parameters (None when no availability was asked for).

    No weekdays with a window means any day of the week; weekdays without a window mean
    any time on those days. Raises ValueError on an unknown weekday or zone, or a bad time.
    """
    days = tuple(dict.fromkeys(weekdays or ()))
    if not days and time_from is None and time_to is None:
        return None
    if (time_from is None) != (time_to is None):
        raise ValueError("available_from and available_to go together.")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone {tz_name!r}.") from None
    for day in days:
        if day not in WEEKDAYS:
            raise ValueError(f"Unknown weekday {day!r}.")
    chosen = days or WEEKDAYS
    if time_from is not None and time_to is not None:
        start, end = hhmm_minutes(time_from), hhmm_minutes(time_to)
        if start == end or start == MINUTES_PER_DAY:
            raise ValueError("An empty window.")
        relation = "contains"
    else:
        start, end, relation = 0, MINUTES_PER_DAY, "intersects"
    windows = tuple(utc_interval(WEEKDAYS.index(day), start, end, tz, reference) for day in chosen)
    return AvailabilityFilter(
        weekdays=days, time_from=time_from, time_to=time_to, tz=tz_name, windows=windows, relation=relation
    )


def availability_clause(available: AvailabilityFilter | None) -> dict[str, Any] | None:
    """The numeric ranges of every window (a tutor free on any of the chosen days). A
    window that passes the week's end is matched by the slots' unwrapped values or their
    one-week-back copies, so it is never split."""
    if available is None:
        return None
    clauses = [
        {"range": {AVAILABILITY_FIELD: bounds}}
        for low, high in available.windows
        for bounds in window_ranges(low, high, available.relation)
    ]
    if len(clauses) == 1:
        return clauses[0]
    return {"bool": {"should": clauses, "minimum_should_match": 1}}


# --- showing slots in another zone ---------------------------------------------------------


def slots_in_zone(
    slots: Iterable[dict[str, Any]], from_tz: str, to_tz: str, reference: date
) -> list[dict[str, Any]]:
    """A tutor's slots (public-profile form, wall clock in `from_tz`) as wall clock in
    `to_tz` for the coming week; a slot that crosses midnight there becomes two."""
    source, target = zone(from_tz), zone(to_tz)
    shown: list[dict[str, Any]] = []
    for slot in slots:
        start, end = hhmm_minutes(slot["start"]), hhmm_minutes(slot["end"])
        day = upcoming(slot["weekday"], reference)
        begins = _utc(day, start, source).astimezone(target)
        ends = _utc(day if end > start else day + timedelta(days=1), end, source).astimezone(target)
        cursor = begins
        while cursor < ends:
            midnight = datetime.combine(cursor.date() + timedelta(days=1), time(0), tzinfo=target)
            piece_end = min(ends, midnight)
            end_minute = MINUTES_PER_DAY if piece_end == midnight else piece_end.hour * 60 + piece_end.minute
            shown.append(
                {
                    "weekday": cursor.weekday(),
                    "start": minutes_text(cursor.hour * 60 + cursor.minute),
                    "end": minutes_text(end_minute),
                }
            )
            cursor = piece_end
    return sorted(shown, key=lambda s: (s["weekday"], s["start"]))


# --- keeping the encoding right across transitions -----------------------------------------


def _week_offsets(tz: ZoneInfo, reference: date) -> tuple[tuple[int, ...], ...]:
    """For each weekday, the UTC offsets (seconds) at every quarter hour of its upcoming
    occurrence: what the encoding of any slot on that weekday depends on."""
    week = []
    for weekday in range(7):
        day = upcoming(weekday, reference)
        offsets = []
        for quarter in range(0, MINUTES_PER_DAY + 1, 15):
            offset = _utc(day, quarter, tz) - datetime.combine(day, time(0), tzinfo=UTC) - timedelta(minutes=quarter)
            offsets.append(int(offset.total_seconds()))
        week.append(tuple(offsets))
    return tuple(week)


def encoding_changed(tz_name: str, before: date, after: date) -> bool:
    """Whether slots in `tz_name` encode differently with reference `after` than with
    `before`: a transition entered or left the coming week in between."""
    tz = zone(tz_name)
    return _week_offsets(tz, before) != _week_offsets(tz, after)


def zones_to_reindex(zones: Iterable[str], today: date, lookback_days: int = 2) -> list[str]:
    """The zones whose tutors' documents, built on any of the last `lookback_days` days,
    are encoded differently from today's (so one missed daily run loses nothing)."""
    return sorted(
        name
        for name in set(zones)
        if any(encoding_changed(name, today - timedelta(days=back), today) for back in range(1, lookback_days + 1))
    )

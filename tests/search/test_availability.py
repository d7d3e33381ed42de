"""Availability across time zones and daylight-saving changes, on fixed dates.

"Now" is frozen by passing the reference date into the pure functions (the document
builder and the filter), never by mocking the clock. The engine tests index real
documents and run the real request body against the embedded engine, so the numeric
encoding of the slots is exercised, not assumed (and checked against a plain reading of
the ranges on random slots and windows).

2026 transitions: the EU (Kyiv, Warsaw) moves clocks on 29 March and 25 October, the
US (New York) on 8 March and 1 November.
"""

from __future__ import annotations

import random
from datetime import date

import pytest
from opensearchpy import helpers

from indexer.documents import TutorIndexer
from indexer.sync import write_document
from search import availability as av
from search.client import write_client
from search.indexes import TUTORS
from search.query import TutorQuery, tutor_search_body
from tests.factories import TutorProfileFactory

KYIV, WARSAW, NEW_YORK = "Europe/Kyiv", "Europe/Warsaw", "America/New_York"
WINTER = date(2026, 1, 12)  # Kyiv +2, Warsaw +1, New York -5
US_SUMMER_EU_WINTER = date(2026, 3, 16)  # Kyiv +2, Warsaw +1, New York -4
SUMMER = date(2026, 7, 13)  # Kyiv +3, Warsaw +2, New York -4
EU_WINTER_US_SUMMER = date(2026, 10, 26)  # Kyiv +2, Warsaw +1, New York -4

TUE = 1


# --- the encoding ------------------------------------------------------------------------------


def test_a_slot_is_minutes_of_the_utc_week_with_the_offset_of_its_coming_day() -> None:
    # Tuesday 19:00-21:00 in Kyiv.
    assert av.slot_ranges(TUE, 19 * 60, 21 * 60, KYIV, WINTER) == [{"gte": 1440 + 17 * 60, "lt": 1440 + 19 * 60}]
    assert av.slot_ranges(TUE, 19 * 60, 21 * 60, KYIV, SUMMER) == [{"gte": 1440 + 16 * 60, "lt": 1440 + 18 * 60}]
    assert av.slot_ranges(TUE, 19 * 60, 21 * 60, "UTC", SUMMER) == [{"gte": 1440 + 19 * 60, "lt": 1440 + 21 * 60}]


def test_a_slot_across_the_end_of_the_utc_week_is_kept_whole_and_copied_a_week_back() -> None:
    # Monday 01:00-03:00 in Kyiv is Sunday 23:00 to Monday 01:00 UTC in winter.
    assert av.slot_ranges(0, 60, 180, KYIV, WINTER) == [{"gte": 10020, "lt": 10140}, {"gte": -60, "lt": 60}]


def test_a_slot_ending_at_24_00_ends_at_the_next_midnight() -> None:
    ranges = av.slots_ranges([{"weekday": 2, "start": "20:00", "end": "24:00"}], KYIV, WINTER)
    assert ranges == [{"gte": 2 * 1440 + 18 * 60, "lt": 2 * 1440 + 22 * 60}]


def test_the_coming_week_uses_each_days_own_offset_when_a_transition_falls_inside_it() -> None:
    # From Wednesday 25 March: Thursday is the 26th (Kyiv +2), Tuesday the 31st (+3).
    reference = date(2026, 3, 25)
    assert av.slot_ranges(3, 19 * 60, 20 * 60, KYIV, reference)[0]["gte"] == 3 * 1440 + 17 * 60
    assert av.slot_ranges(TUE, 19 * 60, 20 * 60, KYIV, reference)[0]["gte"] == 1440 + 16 * 60


@pytest.mark.parametrize("text", ["7:00", "25:00", "24:30", "12:60", "ab:cd", "1200", ""])
def test_bad_times_are_refused(text) -> None:
    with pytest.raises(ValueError):
        av.hhmm_minutes(text)


def test_the_filter_needs_a_known_zone_and_a_non_empty_window() -> None:
    with pytest.raises(ValueError):
        av.availability_filter(["tue"], "18:00", "20:00", "Mars/Olympus", WINTER)
    with pytest.raises(ValueError):
        av.availability_filter(["tue"], "18:00", "18:00", WARSAW, WINTER)
    with pytest.raises(ValueError):
        av.availability_filter(["tue"], "18:00", None, WARSAW, WINTER)
    assert av.availability_filter(None, None, None, WARSAW, WINTER) is None


def test_a_window_across_midnight_runs_into_the_next_day() -> None:
    found = av.availability_filter(["fri"], "23:00", "01:00", WARSAW, WINTER)
    assert found is not None and found.windows == ((4 * 1440 + 22 * 60, 5 * 1440),)
    # Sunday night past the end of the UTC week stays one unsplit window.
    late = av.availability_filter(["sun"], "23:30", "02:00", "UTC", WINTER)
    assert late is not None and late.windows == ((6 * 1440 + 23 * 60 + 30, 10080 + 120),)


def test_days_without_a_window_match_any_slot_that_day() -> None:
    found = av.availability_filter(["mon", "sat"], None, None, WARSAW, WINTER)
    assert found is not None and found.relation == "intersects"
    # Warsaw's Monday starts on Sunday 23:00 UTC: windows start inside the week.
    assert found.windows == ((6 * 1440 + 23 * 60, 10080 + 23 * 60), (5 * 1440 - 60, 6 * 1440 - 60))
    clause = av.availability_clause(found)
    # Per day: a slot minute inside the day, or a slot running through its first minute.
    assert clause is not None and len(clause["bool"]["should"]) == 4


def test_a_window_without_days_is_looked_for_on_every_day() -> None:
    found = av.availability_filter(None, "18:00", "20:00", WARSAW, WINTER)
    assert found is not None and len(found.windows) == 7 and found.relation == "contains"


@pytest.mark.django_db
def test_the_numbers_find_exactly_the_slots_that_hold_or_touch_a_window(opensearch) -> None:
    rng = random.Random(20261206)
    client, index = write_client(), "availability-exactness"
    client.indices.create(index=index, body={"mappings": {"properties": {av.AVAILABILITY_FIELD: {"type": "long"}}}})
    slots: dict[int, list[tuple[int, int]]] = {}
    actions = []
    for tutor in range(400):
        # Any minute, any length up to a day, week-back copies (negative starts) included.
        slots[tutor] = [
            (low, low + rng.randint(1, 1440)) for low in (rng.randint(-1440, 10079) for _ in range(rng.randint(0, 4)))
        ]
        points = sorted({p for low, high in slots[tutor] for p in av.range_points(low, high)})
        actions.append({"_index": index, "_id": str(tutor), "_source": {av.AVAILABILITY_FIELD: points}})
    helpers.bulk(client, actions, refresh=True)
    for _ in range(80):
        low = rng.randint(0, 10079)
        high = low + rng.choice([1, 15, 60, rng.randint(1, 1440)])
        relation = rng.choice(["contains", "intersects"])
        wanted = av.AvailabilityFilter((), None, None, "UTC", ((low, high),), relation)
        query = {"bool": {"filter": [av.availability_clause(wanted)]}}
        hits = client.search(index=index, body={"size": 400, "_source": False, "query": query})["hits"]["hits"]
        expected = {
            tutor for tutor, ranges in slots.items()
            if any((s <= low and e >= high) if relation == "contains" else (s < high and e > low) for s, e in ranges)
        }
        assert {int(hit["_id"]) for hit in hits} == expected, (low, high, relation)


# --- which zones to reindex when -----------------------------------------------------------------


ZONES = [KYIV, WARSAW, NEW_YORK, "UTC", "Asia/Tokyo"]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 1, 14), []),  # nothing changes anywhere
        (date(2026, 3, 3), [NEW_YORK]),  # the US change on 8 March enters the coming week
        (date(2026, 3, 24), [WARSAW, KYIV]),  # the EU change on 29 March
        (date(2026, 10, 20), [WARSAW, KYIV]),  # the EU change back on 25 October
        (date(2026, 10, 27), [WARSAW, KYIV, NEW_YORK]),  # EU's passes, the US's on 1 November enters
        (date(2026, 7, 15), []),
    ],
)
def test_zones_whose_coming_week_changes_offset_are_reindexed(today, expected) -> None:
    assert av.zones_to_reindex(ZONES, today) == sorted(expected)


def test_a_zone_is_reindexed_on_the_days_its_encoding_changes_and_only_then() -> None:
    days = [date(2026, 3, d) for d in range(15, 32)]
    changed = [day.day for day in days if av.encoding_changed(KYIV, date.fromordinal(day.toordinal() - 1), day)]
    # Each day from Monday the 23rd one more weekday's coming occurrence is on or after
    # Sunday the 29th; on the 30th the last one (that Sunday, half old, half new) leaves.
    assert changed == list(range(23, 31))


# --- showing slots on the viewer's clock -------------------------------------------------------


def test_slots_are_shown_on_the_viewers_clock_and_split_at_their_midnight() -> None:
    slots = [{"weekday": 0, "start": "00:30", "end": "02:00"}, {"weekday": 2, "start": "20:00", "end": "24:00"}]
    # Monday 00:30-02:00 in Kyiv is Sunday 23:30 to Monday 01:00 in Warsaw.
    assert av.slots_in_zone(slots, KYIV, WARSAW, WINTER) == [
        {"weekday": 0, "start": "00:00", "end": "01:00"},
        {"weekday": 2, "start": "19:00", "end": "23:00"},
        {"weekday": 6, "start": "23:30", "end": "24:00"},
    ]
    # New York in summer: Kyiv +3, New York -4.
    assert av.slots_in_zone([{"weekday": TUE, "start": "19:00", "end": "21:00"}], KYIV, NEW_YORK, SUMMER) == [
        {"weekday": TUE, "start": "12:00", "end": "14:00"}
    ]


# --- against the engine --------------------------------------------------------------------------


@pytest.fixture
def kyiv_tutor(opensearch, db):
    """A Kyiv tutor free on Tuesday 19:00-21:00, Wednesday 20:00-24:00, Saturday
    00:00-03:00 and Monday 01:00-03:00, Kyiv time."""
    profile = TutorProfileFactory(timezone=KYIV)
    for weekday, start, end in [(TUE, "19:00", "21:00"), (2, "20:00", "00:00"), (5, "00:00", "03:00"),
                                (0, "01:00", "03:00")]:
        profile.slots.create(weekday=weekday, start=start, end=end)
    return profile.pk


def _index_on(tutor_id: int, reference: date) -> None:
    indexer = TutorIndexer(reference=reference)
    profile = indexer.queryset().get(pk=tutor_id)
    client = write_client()
    write_document(client, TUTORS.write_alias, tutor_id, indexer.extract_document(profile), profile.version)
    client.indices.refresh(index=TUTORS.read_alias)


def _free(reference: date, days: str | None, start: str | None, end: str | None, tz: str) -> list[int]:
    available = av.availability_filter(days.split(",") if days else None, start, end, tz, reference)
    body = tutor_search_body(TutorQuery(available=available), size=10)
    hits = write_client().search(index=TUTORS.read_alias, body=body)["hits"]["hits"]
    return [int(hit["_id"]) for hit in hits]


@pytest.mark.parametrize(
    ("reference", "tz", "start", "end", "free"),
    [
        # Tuesday 19:00-21:00 in Kyiv is 18:00-20:00 in Warsaw all year round ...
        (WINTER, WARSAW, "18:00", "20:00", True),
        (WINTER, WARSAW, "19:00", "21:00", False),
        (SUMMER, WARSAW, "18:00", "20:00", True),
        (SUMMER, WARSAW, "18:30", "19:30", True),
        (SUMMER, WARSAW, "17:30", "19:00", False),
        # ... but 12:00-14:00 in New York in winter and in summer, and 13:00-15:00 in the
        # weeks when only the US has changed its clocks (March, late October).
        (WINTER, NEW_YORK, "12:00", "14:00", True),
        (SUMMER, NEW_YORK, "12:00", "14:00", True),
        (US_SUMMER_EU_WINTER, NEW_YORK, "13:00", "15:00", True),
        (US_SUMMER_EU_WINTER, NEW_YORK, "12:00", "14:00", False),
        (EU_WINTER_US_SUMMER, NEW_YORK, "13:00", "15:00", True),
        (EU_WINTER_US_SUMMER, NEW_YORK, "12:00", "14:00", False),
        # The tutor's own zone.
        (WINTER, KYIV, "19:00", "21:00", True),
        (SUMMER, KYIV, "20:00", "21:30", False),
    ],
)
def test_a_kyiv_tutor_seen_from_warsaw_and_new_york_across_dst(kyiv_tutor, reference, tz, start, end, free) -> None:
    _index_on(kyiv_tutor, reference)
    assert (_free(reference, "tue", start, end, tz) == [kyiv_tutor]) is free


def test_a_transition_inside_the_coming_week(kyiv_tutor) -> None:
    """Indexed on Wednesday 25 March: the coming Tuesday is after the EU change, so from
    Warsaw the tutor is still free 18:00-20:00 there, and New York (changed already) sees
    12:00-14:00 again."""
    reference = date(2026, 3, 25)
    _index_on(kyiv_tutor, reference)
    assert _free(reference, "tue", "18:00", "20:00", WARSAW) == [kyiv_tutor]
    assert _free(reference, "tue", "12:00", "14:00", NEW_YORK) == [kyiv_tutor]
    assert _free(reference, "tue", "13:00", "15:00", NEW_YORK) == []


def test_a_document_built_before_the_transition_is_wrong_after_it_until_reindexed(kyiv_tutor) -> None:
    """Why the daily job exists: the week after the EU change, a document encoded with
    the winter offsets answers an hour off, and a rebuild with today's reference fixes it."""
    _index_on(kyiv_tutor, date(2026, 3, 16))
    after = date(2026, 3, 31)
    assert _free(after, "tue", "18:00", "20:00", WARSAW) == []
    _index_on(kyiv_tutor, after)
    assert _free(after, "tue", "18:00", "20:00", WARSAW) == [kyiv_tutor]


def test_a_window_across_midnight(kyiv_tutor) -> None:
    # Saturday 00:00-03:00 Kyiv is Friday 23:00 to Saturday 02:00 in Warsaw (winter).
    _index_on(kyiv_tutor, WINTER)
    assert _free(WINTER, "fri", "23:00", "01:00", WARSAW) == [kyiv_tutor]
    assert _free(WINTER, "fri", "23:00", "02:00", WARSAW) == [kyiv_tutor]
    assert _free(WINTER, "fri", "22:00", "01:00", WARSAW) == []
    assert _free(WINTER, "fri", "23:00", "02:30", WARSAW) == []


def test_a_slot_ending_at_24_00(kyiv_tutor) -> None:
    # Wednesday 20:00-24:00 Kyiv.
    _index_on(kyiv_tutor, SUMMER)
    assert _free(SUMMER, "wed", "22:00", "24:00", KYIV) == [kyiv_tutor]
    assert _free(SUMMER, "wed", "21:00", "23:00", WARSAW) == [kyiv_tutor]
    assert _free(SUMMER, "wed", "22:00", "24:00", WARSAW) == []


def test_a_slot_across_the_end_of_the_utc_week(kyiv_tutor) -> None:
    # Monday 01:00-03:00 Kyiv is Sunday 23:00 to Monday 01:00 UTC in winter.
    _index_on(kyiv_tutor, WINTER)
    assert _free(WINTER, "sun", "23:30", "00:30", "UTC") == [kyiv_tutor]  # across the week's end
    assert _free(WINTER, "mon", "00:00", "01:00", "UTC") == [kyiv_tutor]  # after it
    assert _free(WINTER, "sun", "18:30", "19:30", NEW_YORK) == [kyiv_tutor]
    assert _free(WINTER, "sun", "22:00", "23:30", "UTC") == []


def test_weekdays_alone_and_several_weekdays(kyiv_tutor) -> None:
    _index_on(kyiv_tutor, WINTER)
    assert _free(WINTER, "tue", None, None, WARSAW) == [kyiv_tutor]
    assert _free(WINTER, "thu", None, None, WARSAW) == []
    # Any of the days: free on Tuesday, not on Thursday.
    assert _free(WINTER, "thu,tue", "18:00", "20:00", WARSAW) == [kyiv_tutor]
    assert _free(WINTER, "thu,fri", "18:00", "20:00", WARSAW) == []

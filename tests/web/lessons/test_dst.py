"""Daylight saving time: a tutor in Kyiv and a student in New York, on and around both
zones' spring and autumn changes, including the weeks when only one side has changed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from icalendar import Calendar

from tests.web.lessons.conftest import KYIV, NEW_YORK, set_slots
from web.lessons.timezones import LocalTimeError, fits_availability, read_time
from web.profiles.models import END_OF_DAY

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def _book(client, tutor_id, start: str, end: str, **extra):
    return client.post("/api/lessons/", {"tutor_id": tutor_id, "start": start, "end": end, **extra}, format="json")


def _wall(day, hour, minute=0) -> str:
    return datetime.combine(day, time(hour, minute)).isoformat()


def test_in_the_weeks_when_only_one_side_changed_the_gap_is_six_hours(pair, auth_client, dst) -> None:
    tutor, student = pair
    set_slots(tutor, [(day, time(10), time(12)) for day in range(7)])
    client = auth_client(student)
    # 10:00 in Kyiv on a day before New York changes, in the weeks between, after both.
    days = {"before": dst.us_spring - timedelta(days=2), "between": dst.us_spring + timedelta(days=2),
            "after": dst.eu_spring + timedelta(days=2), "autumn between": dst.eu_autumn + timedelta(days=2)}
    expected_ny_hour = {"before": 3, "between": 4, "after": 3, "autumn between": 4}
    for name, day in days.items():
        response = _book(client, tutor.pk, _wall(day, 10), _wall(day, 11), timezone="Europe/Kyiv")
        assert response.status_code == 201, (name, response.json())
        body = response.json()
        local = datetime.fromisoformat(body["user_local_start"])
        assert (local.hour, local.date()) == (expected_ny_hour[name], day), name
        assert local.utcoffset() == datetime.combine(day, time(12), tzinfo=NEW_YORK).utcoffset()
        kyiv = datetime.fromisoformat(body["utc_start"].replace("Z", "+00:00")).astimezone(KYIV)
        assert (kyiv.hour, kyiv.minute) == (10, 0), name


def test_a_student_books_in_their_own_wall_clock_and_availability_follows_the_tutors(pair, auth_client, dst) -> None:
    tutor, student = pair
    set_slots(tutor, [(day, time(10), time(12)) for day in range(7)])
    client = auth_client(student)
    between = dst.us_spring + timedelta(days=3)
    # New York is UTC-4, Kyiv UTC+2: 04:00 in New York is 10:00 in Kyiv that week...
    assert _book(client, tutor.pk, _wall(between, 4), _wall(between, 5)).status_code == 201
    # ...and 03:00 (which was 10:00 Kyiv the week before) is 09:00 there: unavailable.
    refused = _book(client, tutor.pk, _wall(between, 3), _wall(between, 4))
    assert refused.status_code == 409 and "Europe/Kyiv" in refused.json()["error"]["message"]
    before = dst.us_spring - timedelta(days=3)
    assert _book(client, tutor.pk, _wall(before, 3), _wall(before, 4)).status_code == 201


@pytest.mark.parametrize("side", ["kyiv", "new_york"])
def test_a_time_the_clocks_skip_is_a_clear_400(pair, auth_client, dst, side) -> None:
    tutor, student = pair
    if side == "kyiv":  # 03:00 -> 04:00 on the last Sunday of March
        client, day, hour = auth_client(tutor), dst.eu_spring, 3
        extra = {"student_id": student.pk}
    else:  # 02:00 -> 03:00 on the second Sunday of March
        client, day, hour = auth_client(student), dst.us_spring, 2
        extra = {"tutor_id": tutor.pk}
    response = client.post("/api/lessons/", {**extra, "start": _wall(day, hour, 30), "end": _wall(day, hour + 2)},
                           format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "does not exist" in error["fields"]["start"][0]
    assert (KYIV if side == "kyiv" else NEW_YORK).key in error["message"]


def test_a_time_the_clocks_repeat_needs_an_offset(pair, auth_client, dst) -> None:
    tutor, student = pair
    client = auth_client(tutor)
    day = dst.eu_autumn  # 04:00 -> 03:00 in Kyiv: 03:30 happens twice
    ambiguous = client.post("/api/lessons/", {"student_id": student.pk, "start": _wall(day, 3, 30),
                                              "end": _wall(day, 5)}, format="json")
    assert ambiguous.status_code == 400 and "happens twice" in ambiguous.json()["error"]["fields"]["start"][0]
    # The second 03:30 (+02:00) is 01:30 UTC; to 05:00 (+02:00) is 2.5 hours.
    exact = client.post("/api/lessons/", {"student_id": student.pk, "start": f"{_wall(day, 3, 30)}+02:00",
                                          "end": _wall(day, 5)}, format="json")
    assert exact.status_code == 201, exact.json()
    body = exact.json()
    assert body["utc_start"] == f"{day.isoformat()}T01:30:00Z" and body["utc_end"] == f"{day.isoformat()}T03:00:00Z"


def test_availability_is_read_on_the_tutors_wall_clock_on_the_change_day(pair, auth_client, dst) -> None:
    tutor, student = pair
    sunday = dst.eu_spring.weekday()
    set_slots(tutor, [(sunday, time(2), time(6)), (sunday, time(10), time(12))])
    client = auth_client(student)
    # 00:30Z is 02:30 EET, 01:30Z is 04:30 EEST: two hours on the wall clock, inside 02:00-06:00.
    start = datetime.combine(dst.eu_spring, time(0, 30), tzinfo=UTC)
    assert _book(client, tutor.pk, start.isoformat(), (start + HOUR).isoformat()).status_code == 201
    # 10:00 Kyiv that day is 07:00 UTC (summer time), 08:00 UTC the day before would be winter time.
    response = _book(client, tutor.pk, _wall(dst.eu_spring, 10), _wall(dst.eu_spring, 11), timezone="Europe/Kyiv")
    assert response.status_code == 201
    assert response.json()["utc_start"] == f"{dst.eu_spring.isoformat()}T07:00:00Z"
    # 09:30-10:30 Kyiv starts before the slot.
    assert _book(client, tutor.pk, _wall(dst.eu_spring, 9, 30), _wall(dst.eu_spring, 10, 30),
                 timezone="Europe/Kyiv").status_code == 409


def test_the_tutors_local_date_decides_the_weekday(pair, auth_client, dst) -> None:
    tutor, student = pair
    monday = dst.us_spring + timedelta(days=8)  # a Monday after New York changed
    assert monday.weekday() == 0
    set_slots(tutor, [(0, time(0), time(2))])  # Monday 00:00-02:00 in Kyiv only
    client = auth_client(student)
    # Sunday 18:00 in New York is Monday 00:00 or 01:00 in Kyiv, depending on the week.
    sunday = monday - timedelta(days=1)
    kyiv_midnight = datetime.combine(monday, time(0), tzinfo=KYIV).astimezone(NEW_YORK)
    assert kyiv_midnight.date() == sunday and kyiv_midnight.hour == 18  # six hours apart that week
    ny_hour = kyiv_midnight.hour
    assert _book(client, tutor.pk, _wall(sunday, ny_hour), _wall(sunday, ny_hour + 1)).status_code == 201
    assert _book(client, tutor.pk, _wall(sunday, ny_hour - 1), _wall(sunday, ny_hour)).status_code == 409


def test_the_calendar_feed_and_the_range_place_dst_lessons_right(pair, auth_client, dst) -> None:
    tutor, student = pair
    client = auth_client(student)
    days = [dst.us_spring + timedelta(days=1), dst.eu_spring + timedelta(days=1)]
    ids = [_book(client, tutor.pk, _wall(d, 10), _wall(d, 11), timezone="Europe/Kyiv").json()["id"] for d in days]
    token = auth_client(tutor).post("/api/me/calendar-token/").json()["token"]
    feed = Calendar.from_ical(client.get("/api/lessons/calendar.ics", {"token": token}).content)
    events = {str(e["uid"]): e for e in feed.walk("VEVENT")}
    starts = {uid: e.decoded("dtstart") for uid, e in events.items()}
    for lesson_id, day in zip(ids, days, strict=True):
        [start] = [v for uid, v in starts.items() if uid.startswith(f"lesson-{lesson_id}@")]
        assert start == datetime.combine(day, time(10), tzinfo=KYIV)
    # The range in New York dates holds the lesson on its New York date.
    body = client.get("/api/lessons/my/", {"from": days[0].isoformat(), "to": days[0].isoformat()}).json()
    assert [item["id"] for item in body["results"]] == [ids[0]]
    assert body["results"][0]["user_local_start"] == f"{days[0].isoformat()}T04:00:00-04:00"


def test_read_time_and_fits_availability_directly() -> None:
    # 2031-03-30 is Kyiv's spring change, 2031-10-26 its autumn change.
    with pytest.raises(LocalTimeError, match="does not exist"):
        read_time(datetime(2031, 3, 30, 3, 15), KYIV)
    with pytest.raises(LocalTimeError, match="happens twice"):
        read_time(datetime(2031, 10, 26, 3, 15), KYIV)
    assert read_time(datetime(2031, 3, 30, 4, 0), KYIV) == datetime(2031, 3, 30, 1, 0, tzinfo=UTC)
    assert read_time(datetime(2031, 3, 30, 2, 59), KYIV) == datetime(2031, 3, 30, 0, 59, tzinfo=UTC)
    # Touching slots join, also across midnight (Sunday to 24:00 and Monday from 00:00).
    slots = [(6, time(22), END_OF_DAY), (0, time(0), time(2)), (0, time(10), time(12)), (0, time(12), time(13))]
    sunday_2330 = datetime(2031, 4, 6, 23, 30, tzinfo=KYIV)
    assert fits_availability(sunday_2330, sunday_2330 + HOUR, KYIV, slots)
    monday_11 = datetime(2031, 4, 7, 11, 0, tzinfo=KYIV)
    assert fits_availability(monday_11, monday_11 + 2 * HOUR, KYIV, slots)
    assert not fits_availability(monday_11, monday_11 + 2 * HOUR + timedelta(minutes=1), KYIV, slots)
    assert not fits_availability(monday_11 - 2 * HOUR, monday_11 - HOUR, KYIV, slots)

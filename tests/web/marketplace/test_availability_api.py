"""Availability parameters of the marketplace API, and slots on the viewer's clock.

These run on today's date (the API reads the clock): they assert what holds on any
date. Kyiv and Warsaw change clocks at the same instant, so they are one hour apart all
year; New York's offset to Kyiv is taken from the zone database for the coming Tuesday.
The fixed-date cases across both zones' transitions are in tests/search/test_availability.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.factories import StudentFactory, TutorProfileFactory
from web.marketplace.selectors import viewer_zones

URL = "/api/marketplace/tutors/"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_viewer_zones():
    viewer_zones.clear()
    yield
    viewer_zones.clear()


@pytest.fixture
def tutors(index_tutors):
    """A Kyiv and a Warsaw tutor, both free on Tuesday 19:00-21:00 on their own clock."""
    kyiv = TutorProfileFactory(timezone="Europe/Kyiv")
    warsaw = TutorProfileFactory(timezone="Europe/Warsaw")
    for profile in (kyiv, warsaw):
        profile.slots.create(weekday=1, start="19:00", end="21:00")
    index_tutors(kyiv, warsaw)
    return {"kyiv": kyiv.pk, "warsaw": warsaw.pk}


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return sorted(item["id"] for item in response.json()["results"])


def _tuesday_window(params: dict) -> dict:
    return {"available_on": "tue", **params}


def test_a_warsaw_student_sees_the_kyiv_tutor_an_hour_earlier(api_client, auth_client, tutors) -> None:
    student = auth_client(StudentFactory(timezone="Europe/Warsaw"))
    # Signed in: the window is read in the student's own zone.
    assert _ids(student.get(URL, _tuesday_window({"available_from": "18:00", "available_to": "20:00"}))) == [
        tutors["kyiv"]
    ]
    assert _ids(student.get(URL, _tuesday_window({"available_from": "19:00", "available_to": "21:00"}))) == [
        tutors["warsaw"]
    ]
    assert _ids(student.get(URL, _tuesday_window({"available_from": "19:00", "available_to": "20:00"}))) == sorted(
        tutors.values()
    )
    # An explicit tz wins over the account's.
    assert _ids(
        student.get(URL, _tuesday_window({"available_from": "19:00", "available_to": "21:00", "tz": "Europe/Kyiv"}))
    ) == [tutors["kyiv"]]


def test_anonymous_windows_are_utc_unless_tz_is_given(api_client, tutors) -> None:
    # The tz parameter reads the window on that clock.
    params = _tuesday_window({"available_from": "19:00", "available_to": "21:00"})
    assert _ids(api_client.get(URL, {**params, "tz": "Europe/Warsaw"})) == [tutors["warsaw"]]
    # Without it, 19:00-21:00 UTC is after both tutors' evenings (they are east of UTC).
    assert _ids(api_client.get(URL, params)) == []


def test_a_new_york_student(auth_client, tutors) -> None:
    """New York is 7 hours behind Kyiv most of the year, 6 in the weeks only one side has
    changed its clock: the API must agree with the zone database for the coming Tuesday."""
    today = datetime.now(UTC).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7)
    kyiv_start = datetime(tuesday.year, tuesday.month, tuesday.day, 19, tzinfo=ZoneInfo("Europe/Kyiv"))
    ny_start = kyiv_start.astimezone(ZoneInfo("America/New_York"))
    start = f"{ny_start:%H:%M}"
    end = f"{ny_start + timedelta(hours=2):%H:%M}"
    student = auth_client(StudentFactory(timezone="America/New_York"))
    assert ny_start.hour in (12, 13)
    assert _ids(student.get(URL, _tuesday_window({"available_from": start, "available_to": end}))) == [tutors["kyiv"]]
    later = f"{ny_start + timedelta(minutes=30):%H:%M}"
    assert _ids(student.get(URL, _tuesday_window({"available_from": later, "available_to": end}))) == [tutors["kyiv"]]
    earlier = f"{ny_start - timedelta(minutes=30):%H:%M}"
    assert _ids(student.get(URL, _tuesday_window({"available_from": earlier, "available_to": end}))) == []


def test_availability_combines_with_filters_facets_and_paging(api_client, tutors) -> None:
    params = {"available_on": "tue,wed", "tz": "Europe/Kyiv", "available_from": "19:00", "available_to": "20:00"}
    body = api_client.get(URL, {**params, "facets": "true", "page_size": 1}).json()
    assert body["total"] == 1 and body["has_more"] is False
    assert body["facets"]["subjects"] == [{"value": "math", "count": 1}]
    assert _ids(api_client.get(URL, {**params, "subject": "physics"})) == []
    # Whole days: any slot that day.
    assert _ids(api_client.get(URL, {"available_on": "tue", "tz": "Europe/Kyiv"})) == sorted(tutors.values())
    assert _ids(api_client.get(URL, {"available_on": "sat", "tz": "Europe/Kyiv"})) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"available_from": "7pm", "available_to": "21:00"}, "available_from"),
        ({"available_from": "19:00", "available_to": "25:00"}, "available_to"),
        ({"available_from": "24:00", "available_to": "02:00"}, "available_from"),
        ({"available_from": "19:00"}, "available_to"),
        ({"available_to": "19:00"}, "available_from"),
        ({"available_from": "19:00", "available_to": "19:00"}, "available_to"),
        ({"available_on": "tue,funday"}, "available_on"),
        ({"available_on": "tue,tue"}, "available_on"),
        ({"available_on": "tue", "tz": "Mars/Olympus"}, "tz"),
        ({"available_on": "tue", "tz": "x" * 65}, "tz"),
    ],
)
def test_a_bad_window_or_zone_is_a_400_naming_the_parameter(api_client, tutors, params, field) -> None:
    response = api_client.get(URL, params)
    assert response.status_code == 400, response.content
    assert list(response.json()["error"]["fields"]) == [field]


def test_a_window_ending_at_midnight_and_one_across_it(api_client, index_tutors) -> None:
    late = TutorProfileFactory(timezone="Europe/Warsaw")
    late.slots.create(weekday=4, start="21:00", end="00:00")  # Friday 21:00-24:00
    late.slots.create(weekday=5, start="00:00", end="02:00")  # Saturday 00:00-02:00
    index_tutors(late)
    warsaw = {"tz": "Europe/Warsaw"}
    assert _ids(api_client.get(URL, {**warsaw, "available_on": "fri", "available_from": "22:00",
                                     "available_to": "24:00"})) == [late.pk]
    # Across midnight: the slot to 24:00 and the one from 00:00 are two slots, so a window
    # spanning both is not inside one of them.
    assert _ids(api_client.get(URL, {**warsaw, "available_on": "fri", "available_from": "23:00",
                                     "available_to": "01:00"})) == []
    assert _ids(api_client.get(URL, {**warsaw, "available_on": "sat", "available_from": "00:30",
                                     "available_to": "02:00"})) == [late.pk]
    # Seen from Kyiv (an hour later), Saturday 00:00-01:00 is inside Friday's slot.
    assert _ids(api_client.get(URL, {"tz": "Europe/Kyiv", "available_on": "sat", "available_from": "00:00",
                                     "available_to": "01:00"})) == [late.pk]


def test_the_public_profile_shows_slots_on_the_viewers_clock(api_client, auth_client, index_tutors) -> None:
    tutor = TutorProfileFactory(timezone="Europe/Kyiv")
    tutor.slots.create(weekday=1, start="19:00", end="21:00")
    tutor.slots.create(weekday=0, start="00:30", end="02:00")
    url = f"/api/marketplace/tutors/{tutor.pk}/"
    body = api_client.get(url, {"tz": "Europe/Warsaw"}).json()
    assert body["availability"] == [
        {"weekday": 0, "start": "00:30", "end": "02:00"}, {"weekday": 1, "start": "19:00", "end": "21:00"}
    ]
    assert body["availability_viewer"] == {
        "timezone": "Europe/Warsaw",
        "slots": [
            {"weekday": 0, "start": "00:00", "end": "01:00"},
            {"weekday": 1, "start": "18:00", "end": "20:00"},
            {"weekday": 6, "start": "23:30", "end": "24:00"},
        ],
    }
    # Signed in without tz: the visitor's own zone; anonymous: UTC.
    signed_in = auth_client(StudentFactory(timezone="Europe/Warsaw")).get(url).json()
    assert signed_in["availability_viewer"] == body["availability_viewer"]
    assert api_client.get(url).json()["availability_viewer"]["timezone"] == "UTC"
    response = api_client.get(url, {"tz": "Nowhere/Land"})
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["tz"]

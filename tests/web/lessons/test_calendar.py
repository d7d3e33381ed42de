"""The iCalendar feed: a secret per person, stable UIDs, growing SEQUENCE, cancelled
lessons marked, a bounded window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from icalendar import Calendar

from tests.web.lessons.conftest import iso, soon
from web.lessons.models import CalendarToken, Lesson, LessonStatus
from web.lessons.services import token_hash

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def _feed(client, token: str) -> dict:
    response = client.get("/api/lessons/calendar.ics", {"token": token})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    return {str(event["uid"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_keeps_uids_across_a_reschedule_and_raises_sequence(pair, auth_client, api_client) -> None:
    tutor, student = pair
    token = auth_client(student).post("/api/me/calendar-token/").json()["token"]
    lesson_id = auth_client(student).post(
        "/api/lessons/", {"tutor_id": tutor.pk, "start": iso(soon()), "end": iso(soon() + HOUR)}, format="json"
    ).json()["id"]
    [(uid, before)] = _feed(api_client, token).items()
    assert uid == f"lesson-{lesson_id}@lessons.mash-marketplace" and int(before["sequence"]) == 0
    assert before.decoded("dtstart") == soon() and str(before["status"]) == "CONFIRMED"
    assert str(before["summary"]) == f"Lesson with {tutor.full_name}"
    auth_client(tutor).patch(f"/api/lessons/{lesson_id}/reschedule/",
                             {"start": iso(soon(days=4)), "end": iso(soon(days=4) + HOUR)}, format="json")
    [(uid_after, after)] = _feed(api_client, token).items()
    assert uid_after == uid and int(after["sequence"]) == 1 and after.decoded("dtstart") == soon(days=4)
    auth_client(tutor).post(f"/api/lessons/{lesson_id}/cancel/", {"reason": "Travel"}, format="json")
    [(uid_cancelled, cancelled)] = _feed(api_client, token).items()
    assert uid_cancelled == uid and int(cancelled["sequence"]) == 2 and str(cancelled["status"]) == "CANCELLED"


def test_the_window_is_90_days_back_to_a_year_ahead_and_cancelled_for_30_days(pair, auth_client, api_client) -> None:
    tutor, student = pair
    now = timezone.now()

    def lesson(start, **extra):
        return Lesson.objects.create(tutor=tutor, student=student, start=start, end=start + HOUR, **extra).pk

    inside = [
        lesson(now - timedelta(days=89), status=LessonStatus.COMPLETED),
        lesson(now + timedelta(days=364)),
        lesson(now + timedelta(days=10), status=LessonStatus.CANCELLED, cancelled_at=now - timedelta(days=29)),
    ]
    outside = [
        lesson(now - timedelta(days=91), status=LessonStatus.COMPLETED),
        lesson(now + timedelta(days=366)),
        lesson(now + timedelta(days=11), status=LessonStatus.CANCELLED, cancelled_at=now - timedelta(days=31)),
    ]
    token = auth_client(tutor).post("/api/me/calendar-token/").json()["token"]
    uids = set(_feed(api_client, token))
    assert uids == {f"lesson-{pk}@lessons.mash-marketplace" for pk in inside}
    assert not uids & {f"lesson-{pk}@lessons.mash-marketplace" for pk in outside}


def test_rotating_revokes_the_old_url_and_only_a_hash_is_stored(student, auth_client, api_client) -> None:
    client = auth_client(student)
    first = client.post("/api/me/calendar-token/").json()
    assert first["url"].endswith(f"/api/lessons/calendar.ics?token={first['token']}")
    assert CalendarToken.objects.get(user=student).token_hash == token_hash(first["token"])
    assert not CalendarToken.objects.filter(token_hash=first["token"]).exists()
    assert api_client.get("/api/lessons/calendar.ics", {"token": first["token"]}).status_code == 200
    second = client.post("/api/me/calendar-token/").json()
    assert second["token"] != first["token"]
    revoked = api_client.get("/api/lessons/calendar.ics", {"token": first["token"]})
    assert revoked.status_code == 404 and revoked.json()["error"]["code"] == "not_found"
    assert api_client.get("/api/lessons/calendar.ics", {"token": second["token"]}).status_code == 200
    assert api_client.get("/api/lessons/calendar.ics", {"token": "made-up"}).status_code == 404
    assert api_client.get("/api/lessons/calendar.ics").status_code == 400
    # A calendar client asking only for text/calendar still gets the error in JSON.
    unknown = api_client.get("/api/lessons/calendar.ics", {"token": "x"}, HTTP_ACCEPT="text/calendar")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"


def test_a_deactivated_account_has_no_feed(student, auth_client, api_client) -> None:
    token = auth_client(student).post("/api/me/calendar-token/").json()["token"]
    student.is_active = False
    student.save()
    assert api_client.get("/api/lessons/calendar.ics", {"token": token}).status_code == 404

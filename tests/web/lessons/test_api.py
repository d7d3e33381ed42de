"""The lesson API: booking rules, ownership, conflicts, history, events and mail."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.factories import StudentFactory, TutorFactory
from tests.web.lessons.conftest import iso, make_tutor, relate, set_slots, soon
from web.activity.models import ActivityLog
from web.lessons.models import Lesson, LessonChange, LessonChangeKind, LessonStatus
from web.mail.models import OutgoingMail
from web.relations.models import RelationStatus

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def book(client, tutor_id, start, end, **extra):
    return client.post("/api/lessons/", {"tutor_id": tutor_id, "start": iso(start), "end": iso(end), **extra},
                       format="json")


def test_a_student_books_inside_an_active_relation(pair, auth_client) -> None:
    tutor, student = pair
    start = soon()
    response = book(auth_client(student), tutor.pk, start, start + HOUR)
    assert response.status_code == 201, response.json()
    body = response.json()
    lesson = Lesson.objects.get(pk=body["id"])
    assert (lesson.tutor_id, lesson.student_id, lesson.status) == (tutor.pk, student.pk, LessonStatus.SCHEDULED)
    assert body["utc_start"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["timezone"] == "America/New_York"
    assert datetime.fromisoformat(body["user_local_start"]) == start
    assert body["user_local_start"].endswith(("-05:00", "-04:00"))
    assert body["tutor"] == {"id": tutor.pk, "full_name": tutor.full_name}
    assert body["series_id"] is None and body["sequence"] == 0
    [change] = LessonChange.objects.filter(lesson=lesson)
    assert (change.kind, change.actor_id, change.new_start) == (LessonChangeKind.CREATED, student.pk, start)
    event = ActivityLog.objects.get(action="lesson.created")
    assert (event.user_id, event.entity_id) == (student.pk, str(lesson.pk))


def test_the_other_party_is_mailed_in_their_zone_with_the_event_attached(pair, auth_client) -> None:
    tutor, student = pair
    start = soon(hour=8)
    lesson_id = book(auth_client(student), tutor.pk, start, start + HOUR).json()["id"]
    mail = OutgoingMail.objects.get(key=f"lesson.booked:{lesson_id}")
    assert mail.to_email == tutor.email and mail.language == "uk" and mail.template == "lesson_booked"
    local = start.astimezone(ZoneInfo("Europe/Kyiv"))
    assert mail.context["start"].startswith(local.strftime("%A %Y-%m-%d %H:%M"))
    assert "(Europe/Kyiv)" in mail.context["start"]
    assert mail.context["other_name"] == student.full_name
    [attachment] = mail.attachments
    assert attachment["filename"].endswith(".ics") and attachment["mimetype"] == "text/calendar"
    assert f"lesson-{lesson_id}@" in attachment["content"]


def test_a_tutor_schedules_outside_availability_a_student_may_not(pair, auth_client) -> None:
    tutor, student = pair
    set_slots(tutor, [(day, time(9), time(12)) for day in range(7)])
    # 20:00 in Kyiv: outside every slot.
    start = datetime.combine(soon().date(), time(20), tzinfo=ZoneInfo("Europe/Kyiv"))
    refused = book(auth_client(student), tutor.pk, start, start + HOUR)
    assert refused.status_code == 409
    assert refused.json()["error"]["fields"]["start"] == ["Outside the tutor's availability."]
    by_tutor = auth_client(tutor).post(
        "/api/lessons/", {"student_id": student.pk, "start": iso(start), "end": iso(start + HOUR)}, format="json"
    )
    assert by_tutor.status_code == 201
    assert OutgoingMail.objects.get(key=f"lesson.booked:{by_tutor.json()['id']}").to_email == student.email


@pytest.mark.parametrize("status", [RelationStatus.PENDING, RelationStatus.ARCHIVED, None])
def test_booking_needs_an_active_relation(kyiv_tutor, ny_student, auth_client, status) -> None:
    if status:
        relate(kyiv_tutor, ny_student, status=status)
    response = book(auth_client(ny_student), kyiv_tutor.pk, soon(), soon() + HOUR)
    assert response.status_code == 404
    assert not Lesson.objects.exists()


@pytest.mark.parametrize(
    ("shift", "length", "field"),
    [
        (timedelta(hours=-1), HOUR, "start"),  # in the past
        (timedelta(days=370), HOUR, "start"),  # more than a year ahead
        (timedelta(0), timedelta(minutes=14), "end"),  # too short
        (timedelta(0), timedelta(hours=4, minutes=1), "end"),  # too long
        (timedelta(0), timedelta(0), "end"),  # ends when it starts
    ],
)
def test_booking_rules_are_400s_naming_the_field(pair, auth_client, shift, length, field) -> None:
    tutor, student = pair
    start = (soon(days=0, hour=0) + timedelta(days=1) if shift >= timedelta(0) else timezone.now()) + shift
    start = start.replace(microsecond=0)
    response = book(auth_client(student), tutor.pk, start, start + length)
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not Lesson.objects.exists()


def test_exactly_fifteen_minutes_and_four_hours_are_allowed(pair, auth_client) -> None:
    tutor, student = pair
    client = auth_client(student)
    assert book(client, tutor.pk, soon(hour=1), soon(hour=1) + timedelta(minutes=15)).status_code == 201
    assert book(client, tutor.pk, soon(hour=5), soon(hour=9)).status_code == 201


def test_bad_input_is_a_400_never_a_500(pair, auth_client) -> None:
    tutor, student = pair
    client = auth_client(student)
    cases = [
        {"tutor_id": tutor.pk, "start": "tomorrow", "end": iso(soon())},
        {"tutor_id": tutor.pk, "start": "9999-12-31T23:00:00-12:00", "end": "9999-12-31T23:59:00-12:00"},
        {"tutor_id": tutor.pk, "start": iso(soon()), "end": iso(soon() + HOUR), "timezone": "Mars/Base"},
        {"tutor_id": tutor.pk, "start": iso(soon()), "end": iso(soon() + HOUR), "tz": "UTC"},
        {"student_id": student.pk, "start": iso(soon()), "end": iso(soon() + HOUR)},
        {"tutor_id": 2**70, "start": iso(soon()), "end": iso(soon() + HOUR)},
    ]
    for body in cases:
        response = client.post("/api/lessons/", body, format="json")
        assert response.status_code == 400, (body, response.json())
    assert not Lesson.objects.exists()


def test_an_overlap_is_a_409_naming_the_callers_own_lesson(pair, auth_client) -> None:
    tutor, student = pair
    start = soon()
    first = book(auth_client(student), tutor.pk, start, start + HOUR).json()
    clash = book(auth_client(student), tutor.pk, start + HOUR / 2, start + 2 * HOUR)
    assert clash.status_code == 409
    error = clash.json()["error"]
    assert error["fields"]["conflicting_lesson"] == [str(first["id"])]
    assert str(first["id"]) in error["message"] and "already has a lesson" in error["message"]


def test_an_overlap_with_someone_elses_lesson_does_not_reveal_it(pair, auth_client) -> None:
    tutor, student = pair
    other = StudentFactory()
    relate(tutor, other)
    start = soon()
    theirs = book(auth_client(other), tutor.pk, start, start + HOUR).json()
    clash = book(auth_client(student), tutor.pk, start, start + HOUR)
    assert clash.status_code == 409
    error = clash.json()["error"]
    assert error["message"] == "The tutor already has a lesson at that time."
    assert "conflicting_lesson" not in error["fields"] and str(theirs["id"]) not in str(error)
    # Back to back is no overlap (half-open ranges).
    assert book(auth_client(student), tutor.pk, start + HOUR, start + 2 * HOUR).status_code == 201


def test_reschedule_moves_the_lesson_writes_history_and_mails(pair, auth_client) -> None:
    tutor, student = pair
    start = soon()
    lesson_id = book(auth_client(student), tutor.pk, start, start + HOUR).json()["id"]
    moved = auth_client(tutor).patch(
        f"/api/lessons/{lesson_id}/reschedule/",
        {"start": iso(start + 2 * HOUR), "end": iso(start + 3 * HOUR), "reason": "Clash at school"}, format="json",
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["sequence"] == 1 and moved.json()["timezone"] == "Europe/Kyiv"
    lesson = Lesson.objects.get(pk=lesson_id)
    assert (lesson.start, lesson.end) == (start + 2 * HOUR, start + 3 * HOUR)
    change = LessonChange.objects.get(lesson=lesson, kind=LessonChangeKind.RESCHEDULED)
    assert (change.old_start, change.new_start, change.actor_id, change.reason) == (
        start, start + 2 * HOUR, tutor.pk, "Clash at school"
    )
    assert ActivityLog.objects.filter(action="lesson.rescheduled", entity_id=str(lesson_id)).count() == 1
    mail = OutgoingMail.objects.get(key=f"lesson.rescheduled:{lesson_id}:1")
    assert mail.to_email == student.email and mail.context["reason"] == "Clash at school"
    assert "America/New_York" in mail.context["old_start"]


def test_a_reschedule_into_an_overlap_is_a_409_and_changes_nothing(pair, auth_client) -> None:
    tutor, student = pair
    start = soon()
    client = auth_client(student)
    first = book(client, tutor.pk, start, start + HOUR).json()["id"]
    second = book(client, tutor.pk, start + 2 * HOUR, start + 3 * HOUR).json()["id"]
    response = client.patch(f"/api/lessons/{second}/reschedule/",
                            {"start": iso(start + HOUR / 2), "end": iso(start + HOUR + HOUR / 2)}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["fields"]["conflicting_lesson"] == [str(first)]
    assert Lesson.objects.get(pk=second).start == start + 2 * HOUR
    assert Lesson.objects.get(pk=second).sequence == 0


def test_cancelled_and_past_lessons_cannot_be_rescheduled_or_cancelled(pair, auth_client) -> None:
    tutor, student = pair
    client = auth_client(student)
    start = soon()
    cancelled = book(client, tutor.pk, start, start + HOUR).json()["id"]
    assert client.post(f"/api/lessons/{cancelled}/cancel/", {"reason": "ill"}, format="json").status_code == 200
    past = Lesson.objects.create(tutor=tutor, student=student, start=timezone.now() - 2 * HOUR,
                                 end=timezone.now() - HOUR)
    started = Lesson.objects.create(tutor=tutor, student=student, start=timezone.now() - HOUR / 2,
                                    end=timezone.now() + HOUR / 2)
    completed = Lesson.objects.create(tutor=tutor, student=student, start=soon(days=5), end=soon(days=5) + HOUR,
                                      status=LessonStatus.COMPLETED)
    body = {"start": iso(soon(days=6)), "end": iso(soon(days=6) + HOUR)}
    for lesson_id in (cancelled, past.pk, started.pk, completed.pk):
        moved = client.patch(f"/api/lessons/{lesson_id}/reschedule/", body, format="json")
        assert moved.status_code == 409, moved.json()
        again = client.post(f"/api/lessons/{lesson_id}/cancel/", {}, format="json")
        assert again.status_code == 409, again.json()
    assert Lesson.objects.get(pk=cancelled).start == start


def test_a_cancellation_within_24_hours_is_late(pair, auth_client) -> None:
    tutor, student = pair
    client = auth_client(tutor)
    near = (timezone.now() + timedelta(hours=5)).replace(microsecond=0)
    far = near + timedelta(days=2)
    ids = [client.post("/api/lessons/", {"student_id": student.pk, "start": iso(s), "end": iso(s + HOUR)},
                       format="json").json()["id"] for s in (near, far)]
    late = client.post(f"/api/lessons/{ids[0]}/cancel/", {"reason": "Sick"}, format="json").json()
    early = client.post(f"/api/lessons/{ids[1]}/cancel/", {}, format="json").json()
    assert (late["late_cancellation"], early["late_cancellation"]) == (True, False)
    assert late["status"] == "cancelled" and late["cancelled_by"] == tutor.pk and late["cancellation_reason"] == "Sick"
    assert late["sequence"] == 1
    assert OutgoingMail.objects.get(key=f"lesson.cancelled:{ids[0]}").to_email == student.email
    change = LessonChange.objects.get(lesson_id=ids[0], kind=LessonChangeKind.CANCELLED)
    assert (change.old_status, change.new_status, change.reason) == ("scheduled", "cancelled", "Sick")
    # The slot is free again.
    again = client.post("/api/lessons/", {"student_id": student.pk, "start": iso(near), "end": iso(near + HOUR)},
                        format="json")
    assert again.status_code == 201


def test_another_users_lesson_is_a_404_on_every_endpoint(pair, auth_client) -> None:
    tutor, student = pair
    lesson_id = book(auth_client(student), tutor.pk, soon(), soon() + HOUR).json()["id"]
    stranger_tutor = make_tutor()
    stranger = StudentFactory()
    relate(stranger_tutor, stranger)
    body = {"start": iso(soon(days=4)), "end": iso(soon(days=4) + HOUR)}
    for intruder in (stranger, stranger_tutor):
        client = auth_client(intruder)
        for response in (
            client.get(f"/api/lessons/{lesson_id}/"),
            client.patch(f"/api/lessons/{lesson_id}/reschedule/", body, format="json"),
            client.post(f"/api/lessons/{lesson_id}/cancel/", {}, format="json"),
            client.get(f"/api/lessons/{lesson_id + 1000}/"),
        ):
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "not_found"
        # Booking with someone outside one's relations: 404 as for a missing id.
        assert book(client, tutor.pk, soon(days=8), soon(days=8) + HOUR).status_code in (400, 404)
    assert Lesson.objects.get(pk=lesson_id).status == LessonStatus.SCHEDULED
    assert auth_client(tutor).get(f"/api/lessons/{lesson_id}/").status_code == 200


def test_every_endpoint_needs_a_login(api_client) -> None:
    for method, path in [("post", "/api/lessons/"), ("get", "/api/lessons/1/"), ("get", "/api/lessons/my/"),
                         ("patch", "/api/lessons/1/reschedule/"), ("post", "/api/lessons/1/cancel/"),
                         ("post", "/api/me/calendar-token/")]:
        assert getattr(api_client, method)(path, {}, format="json").status_code == 401


def test_an_admin_account_cannot_book(auth_client) -> None:
    from web.accounts.models import Role

    admin = TutorFactory(role=Role.ADMIN)
    assert auth_client(admin).post("/api/lessons/", {"tutor_id": 1, "start": iso(soon()), "end": iso(soon() + HOUR)},
                                   format="json").status_code == 403


def test_my_lessons_filters_by_role_status_and_range(pair, auth_client) -> None:
    tutor, student = pair
    other_tutor = make_tutor()
    # The student's earlier tutor: lessons stay, the relation is archived.
    relate(other_tutor, student, status=RelationStatus.ARCHIVED)
    base = soon(days=2)
    mine = [Lesson.objects.create(tutor=tutor, student=student, start=base + timedelta(days=d),
                                  end=base + timedelta(days=d) + HOUR) for d in range(3)]
    cancelled = Lesson.objects.create(tutor=other_tutor, student=student, start=base + 3 * HOUR,
                                      end=base + 4 * HOUR, status=LessonStatus.CANCELLED)
    far = Lesson.objects.create(tutor=tutor, student=student, start=base + timedelta(days=60),
                                end=base + timedelta(days=60) + HOUR)
    client = auth_client(student)
    day = base.astimezone(ZoneInfo("America/New_York")).date()
    body = client.get("/api/lessons/my/", {"from": day.isoformat(), "to": (day + timedelta(days=5)).isoformat()}).json()
    assert [item["id"] for item in body["results"]] == [mine[0].pk, cancelled.pk, mine[1].pk, mine[2].pk]
    assert body["has_more_events"] is False and body["timezone"] == "America/New_York"
    assert far.pk not in [item["id"] for item in body["results"]]
    only_scheduled = client.get("/api/lessons/my/", {"from": day.isoformat(), "status": "scheduled"}).json()
    assert {item["id"] for item in only_scheduled["results"]} == {m.pk for m in mine}
    as_tutor = client.get("/api/lessons/my/", {"from": day.isoformat(), "role": "tutor"}).json()
    assert as_tutor["results"] == []
    tutor_view = auth_client(tutor).get("/api/lessons/my/", {"from": day.isoformat(), "role": "tutor"}).json()
    assert {item["id"] for item in tutor_view["results"]} == {m.pk for m in mine}


def test_my_lessons_refuses_a_range_over_366_days_and_bad_parameters(student, auth_client) -> None:
    client = auth_client(student)
    assert client.get("/api/lessons/my/", {"from": "2030-01-01", "to": "2031-01-01"}).status_code == 200  # 366 days
    too_long = client.get("/api/lessons/my/", {"from": "2030-01-01", "to": "2031-01-02"})
    assert too_long.status_code == 400 and "to" in too_long.json()["error"]["fields"]
    for params in ({"from": "2030-02-01", "to": "2030-01-01"}, {"role": "admin"}, {"status": "x"},
                   {"page_size": "501"}, {"cursor": "forged"}, {"sort": "start"}, {"from": "9999-12-31"}):
        assert client.get("/api/lessons/my/", params).status_code == 400, params


def test_my_lessons_serve_at_most_500_and_continue_with_the_cursor(pair, auth_client) -> None:
    tutor, student = pair
    base = soon(days=1, hour=0)
    Lesson.objects.bulk_create(
        Lesson(tutor=tutor, student=student, start=base + timedelta(minutes=30 * n),
               end=base + timedelta(minutes=30 * n + 20))
        for n in range(620)
    )
    client = auth_client(student)
    params = {"from": (base - timedelta(days=1)).date().isoformat(),
              "to": (base + timedelta(days=16)).date().isoformat()}
    first = client.get("/api/lessons/my/", params).json()
    assert len(first["results"]) == 500 and first["has_more_events"] is True and first["cursor"]
    second = client.get("/api/lessons/my/", {**params, "cursor": first["cursor"]}).json()
    assert len(second["results"]) == 120 and second["has_more_events"] is False and second["cursor"] is None
    starts = [item["utc_start"] for item in first["results"] + second["results"]]
    assert starts == sorted(starts) and len(set(starts)) == 620
    # A cursor of other filters is refused.
    other_filters = {**params, "status": "scheduled", "cursor": first["cursor"]}
    assert client.get("/api/lessons/my/", other_filters).status_code == 400


def test_a_lesson_across_the_range_edge_is_in_the_range_it_overlaps(pair, auth_client) -> None:
    tutor, student = pair
    ny = ZoneInfo("America/New_York")
    day = soon(days=4).astimezone(ny).date()
    # 23:30 to 00:30 New York time: on both local dates.
    start = datetime.combine(day, time(23, 30), tzinfo=ny).astimezone(UTC)
    lesson = Lesson.objects.create(tutor=tutor, student=student, start=start, end=start + HOUR)
    client = auth_client(student)
    for first_day in (day, day + timedelta(days=1)):
        body = client.get("/api/lessons/my/", {"from": first_day.isoformat(), "to": first_day.isoformat()}).json()
        assert [item["id"] for item in body["results"]] == [lesson.pk]
    body = client.get("/api/lessons/my/", {"from": (day + timedelta(days=2)).isoformat()}).json()
    assert body["results"] == []

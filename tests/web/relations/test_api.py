"""The relations API: the student's side, the tutor's dashboard, batch actions, ownership."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import StudentFactory, TutorFactory, TutorProfileFactory
from web.accounts.models import User
from web.profiles.models import TutorProfile
from web.relations import services
from web.relations.models import Initiator, Relation, RelationStatus, RelationStatusLog

pytestmark = pytest.mark.django_db

STUDENT_ACTIONS = ["accept", "decline", "cancel", "resend", "end"]
TUTOR_ACTIONS = ["accept", "decline", "archive", "cancel", "resend"]


def _error(response) -> dict:
    body = response.json()
    assert set(body) == {"error", "request_id"}
    return body["error"]


def test_student_requests_a_tutor_and_sees_it_in_list_and_my_tutor(auth_client) -> None:
    tutor = TutorProfileFactory(user__full_name="Olena Koval").user
    ann = StudentFactory()
    client = auth_client(ann)
    assert client.get("/api/student/my_tutor/").json() == {"state": "none"}
    created = client.post("/api/student/relations/", {"tutor_id": tutor.pk, "message": "Hi"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "pending" and body["tutor"] == {"id": tutor.pk, "full_name": "Olena Koval"}
    listing = client.get("/api/student/relations/").json()
    assert [r["id"] for r in listing["results"]] == [body["id"]] and listing["has_more"] is False
    mine = client.get("/api/student/my_tutor/").json()
    assert mine["state"] == "pending" and mine["pending"][0]["relation_id"] == body["id"]
    again = client.post("/api/student/relations/", {"tutor_id": tutor.pk}, format="json")
    assert again.status_code == 409 and _error(again)["fields"] == {"constraint": ["relation_one_open_per_pair"]}
    accepted = auth_client(tutor).post(f"/api/tutor/relations/{body['id']}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "active"
    mine = client.get("/api/student/my_tutor/").json()
    assert mine["state"] == "active" and mine["relation_id"] == body["id"]
    assert mine["tutor"]["full_name"] == "Olena Koval" and mine["tutor"]["active_students"] == 1
    assert "email" not in mine["tutor"]  # the public profile: privacy applied


def test_request_input_is_validated(auth_client) -> None:
    client = auth_client(StudentFactory())
    cases = [
        ({}, "tutor_id"),
        ({"tutor_id": "x"}, "tutor_id"),
        ({"tutor_id": 10**12}, "tutor_id"),
        ({"tutor_id": 1, "message": "x" * 1001}, "message"),
        ({"tutor_id": 1, "tutorId": 1}, "tutorId"),
    ]
    for payload, field in cases:
        response = client.post("/api/student/relations/", payload, format="json")
        assert response.status_code == 400, payload
        assert field in _error(response)["fields"]
    assert not Relation.objects.exists()


def test_roles_are_kept_apart(auth_client, api_client) -> None:
    tutor = TutorProfileFactory().user
    student = StudentFactory()
    student_gets = ["/api/student/relations/", "/api/student/my_tutor/"]
    tutor_gets = ["/api/tutor/relations/", "/api/tutor/relations/recent_actions/"]
    tutor_posts = ["/api/tutor/relations/invite/", "/api/tutor/relations/batch/accept/",
                   "/api/tutor/relations/batch/archive/"] + [f"/api/tutor/relations/1/{a}/" for a in TUTOR_ACTIONS]
    student_posts = ["/api/student/relations/"] + [f"/api/student/relations/1/{a}/" for a in STUDENT_ACTIONS]
    for url in student_gets:
        assert _error(auth_client(tutor).get(url))["code"] == "permission_denied"
        assert api_client.get(url).status_code == 401
    for url in tutor_gets:
        response = auth_client(student).get(url)
        assert response.status_code == 403 and _error(response)["code"] == "permission_denied"
    for url in tutor_posts:
        assert auth_client(student).post(url, {}, format="json").status_code == 403
    for url in student_posts:
        assert auth_client(tutor).post(url, {}, format="json").status_code == 403


def test_another_users_relation_is_a_404_on_every_endpoint(auth_client, make_request) -> None:
    relation = make_request()
    invitation = services.relation_invite(tutor=relation.tutor, email="ann2@example.com")
    stranger_tutor, stranger_student = TutorProfileFactory().user, StudentFactory()
    for rid in (relation.pk, invitation.pk):
        for action in STUDENT_ACTIONS:
            response = auth_client(stranger_student).post(f"/api/student/relations/{rid}/{action}/")
            assert response.status_code == 404 and _error(response) == {"code": "not_found",
                                                                         "message": "No such relation."}
        for action in TUTOR_ACTIONS:
            assert auth_client(stranger_tutor).post(f"/api/tutor/relations/{rid}/{action}/").status_code == 404
    # Nothing of theirs in the strangers' lists either.
    assert auth_client(stranger_tutor).get("/api/tutor/relations/").json()["results"] == []
    assert auth_client(stranger_tutor).get("/api/tutor/relations/recent_actions/").json()["results"] == []
    assert auth_client(stranger_student).get("/api/student/relations/").json()["results"] == []
    batch = auth_client(stranger_tutor).post("/api/tutor/relations/batch/accept/", {"ids": [relation.pk]},
                                             format="json")
    assert batch.json()["failed"] == [{"id": relation.pk, "error": "not found", "message": "No such relation."}]
    relation.refresh_from_db()
    assert relation.status == RelationStatus.PENDING


def test_conflict_and_rate_limit_answers(auth_client, make_request) -> None:
    relation = make_request()
    student = auth_client(relation.student)
    assert student.post(f"/api/student/relations/{relation.pk}/cancel/").status_code == 200
    again = student.post(f"/api/student/relations/{relation.pk}/cancel/")
    assert again.status_code == 409
    assert _error(again) == {"code": "conflict", "message": "The relation is already cancelled.",
                             "fields": {"status": ["Currently cancelled."]}}
    fresh = make_request(tutor=relation.tutor, student=relation.student)
    resend = student.post(f"/api/student/relations/{fresh.pk}/resend/")
    assert resend.status_code == 429 and 82800 < int(resend["Retry-After"]) <= 86400


def test_student_accepts_an_invitation_and_ends_it(auth_client) -> None:
    tutor = TutorProfileFactory().user
    ann = StudentFactory()
    invited = auth_client(tutor).post("/api/tutor/relations/invite/", {"email": ann.email}, format="json")
    assert invited.status_code == 201 and invited.json()["student"]["id"] == ann.pk
    rid = invited.json()["id"]
    client = auth_client(ann)
    assert client.post(f"/api/tutor/relations/{rid}/accept/").status_code == 403  # a student on a tutor URL
    assert client.post(f"/api/student/relations/{rid}/accept/").json()["status"] == "active"
    assert client.post(f"/api/student/relations/{rid}/end/").json()["status"] == "archived"
    assert client.get("/api/student/my_tutor/").json() == {"state": "none"}


def test_invite_input_and_limits(auth_client) -> None:
    tutor = TutorProfileFactory().user
    client = auth_client(tutor)
    assert "email" in _error(client.post("/api/tutor/relations/invite/", {"email": "nope"}, format="json"))["fields"]
    for number in range(20):
        assert client.post("/api/tutor/relations/invite/", {"email": f"s{number}@example.com"},
                           format="json").status_code == 201
    limited = client.post("/api/tutor/relations/invite/", {"email": "s21@example.com"}, format="json")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0


def test_dashboard_filters_counters_and_two_queries(auth_client, make_relation) -> None:
    tutor = TutorProfileFactory().user
    spread = {RelationStatus.PENDING: 3, RelationStatus.ACTIVE: 2, RelationStatus.ARCHIVED: 4,
              RelationStatus.EXPIRED: 1, RelationStatus.CANCELLED: 2}
    for status, count in spread.items():
        for _ in range(count):
            make_relation(tutor, StudentFactory(), status=status)
    make_relation(tutor, None, initiated_by=Initiator.TUTOR, invited_email="waiting@example.com")
    make_relation(TutorProfileFactory().user, StudentFactory())  # another tutor's
    special = make_relation(tutor, StudentFactory(full_name="Zoryana Unique"), status=RelationStatus.ACTIVE)
    client = auth_client(tutor)
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/api/tutor/relations/", {"page_size": 5}).json()
    relation_queries = [q["sql"] for q in queries.captured_queries if "relations_relation" in q["sql"]]
    assert len(relation_queries) == 2, relation_queries  # the page and the counters
    assert body["counters"] == {"pending": 4, "active": 3, "archived": 4, "expired": 1, "cancelled": 2}
    assert len(body["results"]) == 5 and body["has_more"] is True
    assert body["results"][0]["id"] == special.pk  # the last changed first
    only_active = client.get("/api/tutor/relations/", {"status": "active"}).json()
    assert {r["status"] for r in only_active["results"]} == {"active"} and len(only_active["results"]) == 3
    assert only_active["counters"] == body["counters"]
    found = client.get("/api/tutor/relations/", {"search": "zoryana"}).json()["results"]
    assert [r["id"] for r in found] == [special.pk]
    waiting = client.get("/api/tutor/relations/", {"search": "waiting@", "initiated_by": "tutor"}).json()
    assert [r["invited_email"] for r in waiting["results"]] == ["waiting@example.com"]
    assert waiting["results"][0]["student"] is None
    for bad in ({"status": "done"}, {"initiated_by": "admin"}, {"page_size": 101}, {"search": "x" * 101},
                {"cursor": "forged"}, {"sort": "name"}):
        assert client.get("/api/tutor/relations/", bad).status_code == 400, bad
    cursor = body["cursor"]
    other_filter = client.get("/api/tutor/relations/", {"page_size": 5, "status": "active", "cursor": cursor})
    assert other_filter.status_code == 400 and "cursor" in _error(other_filter)["fields"]


def test_cursor_walk_over_1000_relations_edited_during_the_walk_serves_each_at_most_once(
    auth_client, make_relation
) -> None:
    tutor = TutorProfileFactory().user
    students = User.objects.bulk_create(
        User(email=f"walk{n}@example.com", full_name=f"Student {n}", role="student") for n in range(1000)
    )
    start = timezone.now() - timedelta(days=1)
    Relation.objects.bulk_create(
        Relation(tutor=tutor, student=s, status=RelationStatus.ARCHIVED, initiated_by=Initiator.STUDENT,
                 created_at=start, updated_at=start + timedelta(seconds=i % 300))  # many ties on updated_at
        for i, s in enumerate(students)
    )
    ids = list(Relation.objects.filter(tutor=tutor).values_list("pk", flat=True))
    client = auth_client(tutor)
    seen: list[int] = []
    params = {"page_size": 37}
    edited = 0
    while True:
        body = client.get("/api/tutor/relations/", params).json()
        seen.extend(r["id"] for r in body["results"])
        # Edit relations not yet served, and some already served, between pages.
        served = set(seen)
        unseen = [i for i in ids if i not in served][:5]
        for rid in unseen + seen[-3:]:
            Relation.objects.filter(pk=rid).update(updated_at=timezone.now())
            edited += 1
        if not body["has_more"]:
            break
        params = {"page_size": 37, "cursor": body["cursor"]}
    assert edited > 100
    assert len(seen) == len(set(seen))  # each at most once
    assert set(seen) <= set(ids)


def test_batch_accept_gives_the_exact_split_and_shares_a_batch_id(auth_client, make_request, make_relation) -> None:
    tutor = TutorProfileFactory().user
    valid = [make_request(tutor=tutor) for _ in range(2)]
    foreign = make_request()
    active = make_relation(tutor, StudentFactory(), status=RelationStatus.ACTIVE)
    cancelled = make_relation(tutor, StudentFactory(), status=RelationStatus.CANCELLED)
    invitation = services.relation_invite(tutor=tutor, email=StudentFactory().email)
    # A student with a request to this tutor and an active tutor elsewhere: accepted, the other archived.
    elsewhere = make_request(tutor=tutor)
    previous = make_relation(TutorProfileFactory().user, elsewhere.student, status=RelationStatus.ACTIVE)
    ids = [valid[0].pk, foreign.pk, active.pk, valid[1].pk, 10**9, cancelled.pk, invitation.pk, elsewhere.pk]
    response = auth_client(tutor).post("/api/tutor/relations/batch/accept/", {"ids": ids}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["processed"] == [valid[0].pk, valid[1].pk, elsewhere.pk]
    assert body["failed"] == [
        {"id": foreign.pk, "error": "not found", "message": "No such relation."},
        {"id": active.pk, "error": "already active", "message": "The relation is already active."},
        {"id": 10**9, "error": "not found", "message": "No such relation."},
        {"id": cancelled.pk, "error": "relation is cancelled",
         "message": "The relation is cancelled; only a pending relation can be accepted."},
        {"id": invitation.pk, "error": "not allowed",
         "message": "You sent this invitation; only the other side can accept it (you can cancel it)."},
    ]
    previous.refresh_from_db()
    assert previous.status == RelationStatus.ARCHIVED
    # Counted once per processed id (the fixture's rows started at 0); failed ids count nothing.
    assert TutorProfile.objects.get(pk=tutor.pk).active_students == 3
    batch_logs = RelationStatusLog.objects.filter(metadata__batch_id=body["batch_id"])
    assert sorted(batch_logs.values_list("relation_id", "new_status")) == sorted(
        [(valid[0].pk, "active"), (valid[1].pk, "active"), (elsewhere.pk, "active"), (previous.pk, "archived")])
    foreign.refresh_from_db()
    assert foreign.status == RelationStatus.PENDING


def test_a_second_request_of_the_same_student_cannot_exist_to_be_batch_accepted(auth_client, make_request) -> None:
    """The pair rule holds one open relation per student and tutor, so a batch can never
    hold two requests of one student: the second request is refused when made."""
    tutor = TutorProfileFactory().user
    first = make_request(tutor=tutor)
    second = auth_client(first.student).post("/api/student/relations/", {"tutor_id": tutor.pk}, format="json")
    assert second.status_code == 409
    invited = auth_client(tutor).post("/api/tutor/relations/invite/", {"email": first.student.email}, format="json")
    assert invited.status_code == 409
    body = auth_client(tutor).post("/api/tutor/relations/batch/accept/", {"ids": [first.pk]}, format="json").json()
    assert body["processed"] == [first.pk]


def test_batch_archive_and_input_bounds(auth_client, make_request, make_relation) -> None:
    tutor = TutorProfileFactory().user
    request = make_request(tutor=tutor)
    active = make_relation(tutor, StudentFactory(), status=RelationStatus.ACTIVE)
    archived = make_relation(tutor, StudentFactory(), status=RelationStatus.ARCHIVED)
    client = auth_client(tutor)
    body = client.post("/api/tutor/relations/batch/archive/", {"ids": [request.pk, active.pk, archived.pk]},
                       format="json").json()
    assert body["processed"] == [request.pk, active.pk]
    assert body["failed"] == [
        {"id": archived.pk, "error": "already archived", "message": "The relation is already archived."}
    ]
    # The code stays the same in every language; the message follows the request's.
    polish = auth_client(tutor).post("/api/tutor/relations/batch/archive/", {"ids": [archived.pk, 10**9]},
                                     format="json", HTTP_ACCEPT_LANGUAGE="pl").json()
    assert polish["failed"] == [
        {"id": archived.pk, "error": "already archived", "message": "Relacja ma już status archived."},
        {"id": 10**9, "error": "not found", "message": "Nie ma takiej relacji."},
    ]
    for payload in ({"ids": []}, {"ids": [1, 1]}, {"ids": list(range(1, 102))}, {"ids": ["a"]}, {},
                    {"ids": [0]}, {"ids": [1], "extra": 1}):
        response = client.post("/api/tutor/relations/batch/accept/", payload, format="json")
        assert response.status_code == 400, payload
    assert "repeated: 1" in _error(client.post("/api/tutor/relations/batch/accept/", {"ids": [1, 2, 1]},
                                                format="json"))["message"]


def test_recent_actions_feed(auth_client, make_request) -> None:
    tutor = TutorProfileFactory().user
    relations = [make_request(tutor=tutor) for _ in range(3)]
    client = auth_client(tutor)
    client.post(f"/api/tutor/relations/{relations[0].pk}/accept/")
    client.post(f"/api/tutor/relations/{relations[1].pk}/decline/")
    first = client.get("/api/tutor/relations/recent_actions/", {"page_size": 2}).json()
    assert [(a["relation_id"], a["new_status"]) for a in first["results"]] == [
        (relations[1].pk, "archived"), (relations[0].pk, "active")]
    assert first["results"][0]["actor_id"] == tutor.pk and first["results"][0]["metadata"]["reason"] == "declined"
    assert first["results"][0]["student"]["id"] == relations[1].student_id
    rest = client.get("/api/tutor/relations/recent_actions/", {"page_size": 2, "cursor": first["cursor"]}).json()
    assert len(rest["results"]) == 2 and rest["has_more"] is True


def test_active_students_reaches_the_public_profile(api_client, auth_client, make_request) -> None:
    from web.profiles.selectors import tutor_profile_get, tutor_public_profile

    tutor = TutorProfileFactory().user
    for _ in range(2):
        relation = make_request(tutor=tutor)
        auth_client(tutor).post(f"/api/tutor/relations/{relation.pk}/accept/")
    assert tutor_public_profile(tutor_profile_get(tutor.pk))["active_students"] == 2
    auth_client(relation.student).post(f"/api/student/relations/{relation.pk}/end/")
    assert tutor_public_profile(tutor_profile_get(tutor.pk))["active_students"] == 1


def test_an_admin_is_neither_side(auth_client) -> None:
    admin = TutorFactory(role="admin")
    assert auth_client(admin).get("/api/tutor/relations/").status_code == 403
    assert auth_client(admin).get("/api/student/my_tutor/").status_code == 403

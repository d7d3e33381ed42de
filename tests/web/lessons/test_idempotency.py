"""Idempotency-Key on lesson writes: a retry gets the first answer, a reused key with
another request a 422, and records go after 24 hours."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.web.lessons.conftest import iso, soon
from web.lessons.idempotency import idempotency_purge
from web.lessons.models import IdempotencyRecord, Lesson
from web.lessons.tasks import lessons_idempotency_purge_task

pytestmark = pytest.mark.django_db
HOUR = timedelta(hours=1)


def test_a_retry_gets_the_stored_response_and_books_nothing_new(pair, auth_client) -> None:
    tutor, student = pair
    client = auth_client(student)
    body = {"tutor_id": tutor.pk, "start": iso(soon()), "end": iso(soon() + HOUR)}
    first = client.post("/api/lessons/", body, format="json", headers={"Idempotency-Key": "k1"})
    again = client.post("/api/lessons/", body, format="json", headers={"Idempotency-Key": "k1"})
    assert first.status_code == again.status_code == 201
    assert first.content == again.content and again["Idempotent-Replayed"] == "true"
    assert Lesson.objects.count() == 1
    # Without a key a second booking is a new request: an overlap.
    assert client.post("/api/lessons/", body, format="json").status_code == 409


def test_the_same_key_with_another_body_is_a_422(pair, auth_client) -> None:
    tutor, student = pair
    client = auth_client(student)
    body = {"tutor_id": tutor.pk, "start": iso(soon()), "end": iso(soon() + HOUR)}
    client.post("/api/lessons/", body, format="json", headers={"Idempotency-Key": "k2"})
    other = client.post("/api/lessons/", {**body, "end": iso(soon() + 2 * HOUR)}, format="json",
                        headers={"Idempotency-Key": "k2"})
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert Lesson.objects.count() == 1


def test_keys_are_per_user_and_an_error_outcome_is_replayed_too(pair, auth_client) -> None:
    tutor, student = pair
    body = {"start": iso(soon()), "end": iso(soon() + HOUR)}
    lesson_id = auth_client(student).post("/api/lessons/", {"tutor_id": tutor.pk, **body}, format="json").json()["id"]
    cancel = auth_client(student).post(f"/api/lessons/{lesson_id}/cancel/", {}, format="json",
                                       headers={"Idempotency-Key": "c"})
    replay = auth_client(student).post(f"/api/lessons/{lesson_id}/cancel/", {}, format="json",
                                       headers={"Idempotency-Key": "c"})
    assert cancel.status_code == replay.status_code == 200 and cancel.content == replay.content
    # The tutor's key "c" is another key: the lesson is cancelled already, a 409, stored and replayed.
    tutor_cancel = auth_client(tutor).post(f"/api/lessons/{lesson_id}/cancel/", {}, format="json",
                                           headers={"Idempotency-Key": "c"})
    assert tutor_cancel.status_code == 409
    assert IdempotencyRecord.objects.get(user=tutor, key="c").status_code == 409
    reschedule_key = {"Idempotency-Key": "r"}
    moved = auth_client(student).patch(f"/api/lessons/{lesson_id}/reschedule/", body, format="json",
                                       headers=reschedule_key)
    assert moved.status_code == 409


def test_a_bad_key_is_a_400(pair, auth_client) -> None:
    tutor, student = pair
    body = {"tutor_id": tutor.pk, "start": iso(soon()), "end": iso(soon() + HOUR)}
    response = auth_client(student).post("/api/lessons/", body, format="json", headers={"Idempotency-Key": "k" * 256})
    assert response.status_code == 400 and "Idempotency-Key" in response.json()["error"]["fields"]
    assert not Lesson.objects.exists()


def test_records_expire_after_24_hours(pair, auth_client) -> None:
    tutor, student = pair
    client = auth_client(student)
    body = {"tutor_id": tutor.pk, "start": iso(soon()), "end": iso(soon() + HOUR)}
    client.post("/api/lessons/", body, format="json", headers={"Idempotency-Key": "old"})
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    # An expired key starts afresh: this is a new request (and overlaps the first lesson).
    assert client.post("/api/lessons/", body, format="json", headers={"Idempotency-Key": "old"}).status_code == 409
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    client.post("/api/lessons/", {**body, "start": iso(soon(days=5)), "end": iso(soon(days=5) + HOUR)}, format="json",
                headers={"Idempotency-Key": "fresh"})
    assert lessons_idempotency_purge_task() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
    assert idempotency_purge(now=timezone.now() + timedelta(hours=25)) == 1

"""Concurrency on real connections: the database refuses every double booking, whatever
the timing, and answers the losers with a 409, never a 500."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from tests.factories import StudentFactory
from tests.web.lessons.conftest import iso, make_tutor, relate, soon
from web.core.errors import Conflict
from web.lessons.models import IdempotencyRecord, Lesson, LessonStatus
from web.lessons.services import Span, lesson_insert

pytestmark = pytest.mark.django_db(transaction=True)
HOUR = timedelta(hours=1)


def _together(calls) -> list:
    """Run the calls on their own threads (own connections), released at once."""
    results: list = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = calls[index]()
        except Exception as exc:  # the test inspects it
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the messages below are asserted in English
    return client


def _post(client: APIClient, body: dict, **headers):
    def call():
        response = client.post("/api/lessons/", body, format="json", headers=headers)
        return response.status_code, response.json(), response.content
    return call


def test_fifty_overlapping_bookings_of_one_tutor_make_one_lesson() -> None:
    tutor = make_tutor()
    students = [StudentFactory() for _ in range(50)]
    for student in students:
        relate(tutor, student)
    start = soon()
    calls = [
        _post(_client(s), {"tutor_id": tutor.pk, "start": iso(start + timedelta(minutes=n)),
                           "end": iso(start + HOUR + timedelta(minutes=n))})
        for n, s in enumerate(students)
    ]
    results = _together(calls)
    statuses = sorted(status for status, _, _ in results)
    assert statuses == [201] + [409] * 49, results
    assert Lesson.objects.filter(tutor=tutor).count() == 1
    for status, body, _ in results:
        if status == 409:
            assert body["error"]["message"].startswith("The tutor already has a lesson at that time")


def test_fifty_overlapping_lessons_of_one_student_with_fifty_tutors_make_one() -> None:
    # A student has one active tutor at a time (a relation rule), so this race is run at
    # the insert every booking path uses: each tutor's own booking against the student.
    student = StudentFactory()
    tutors = [make_tutor() for _ in range(50)]
    start = soon()

    def insert(tutor, minutes):
        def call():
            with transaction.atomic():
                span = Span(start + timedelta(minutes=minutes), start + HOUR + timedelta(minutes=minutes))
                return lesson_insert(actor=tutor, tutor=tutor, student=student, span=span).pk
        return call

    results = _together([insert(t, n) for n, t in enumerate(tutors)])
    created = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(created) == 1 and len(refused) == 49, results
    assert all(r.message.startswith("The student already has a lesson at that time") for r in refused)
    assert Lesson.objects.filter(student=student, status=LessonStatus.SCHEDULED).count() == 1


def test_twenty_concurrent_bookings_that_do_not_overlap_all_succeed() -> None:
    tutor = make_tutor()
    students = [StudentFactory() for _ in range(20)]
    for student in students:
        relate(tutor, student)
    start = soon()
    calls = [
        _post(_client(s), {"tutor_id": tutor.pk, "start": iso(start + n * HOUR), "end": iso(start + (n + 1) * HOUR)})
        for n, s in enumerate(students)
    ]
    results = _together(calls)
    assert [status for status, _, _ in results] == [201] * 20, results
    assert Lesson.objects.filter(tutor=tutor).count() == 20


def test_ten_concurrent_retries_with_one_key_make_one_lesson_and_one_answer() -> None:
    tutor = make_tutor()
    student = StudentFactory()
    relate(tutor, student)
    client_body = {"tutor_id": tutor.pk, "start": iso(soon()), "end": iso(soon() + HOUR)}
    calls = [_post(_client(student), client_body, **{"Idempotency-Key": "book-once-7f3a"}) for _ in range(10)]
    results = _together(calls)
    assert [status for status, _, _ in results] == [201] * 10, results
    assert len({content for _, _, content in results}) == 1
    assert Lesson.objects.filter(tutor=tutor).count() == 1
    assert IdempotencyRecord.objects.get(user=student, key="book-once-7f3a").response == results[0][1]


def test_a_relation_ended_during_a_booking_leaves_no_lesson_after_it_ended() -> None:
    from web.relations.models import Relation, RelationStatus

    tutor = make_tutor()
    student = StudentFactory()
    relation = relate(tutor, student)
    ended = threading.Event()
    # Hold the relation as an ending would, then end it; the booking waits and then sees it ended.
    with transaction.atomic():
        Relation.objects.select_for_update().get(pk=relation.pk)
        results: list = []
        thread = threading.Thread(target=lambda: (results.append(_post(_client(student), {
            "tutor_id": tutor.pk, "start": iso(soon()), "end": iso(soon() + HOUR)})()), connection.close(),
            ended.set()))
        thread.start()
        ended.wait(timeout=1)  # the booking is blocked on the row lock
        assert not ended.is_set()
        Relation.objects.filter(pk=relation.pk).update(status=RelationStatus.ARCHIVED)
    thread.join(timeout=30)
    assert results and results[0][0] == 404
    assert not Lesson.objects.exists()

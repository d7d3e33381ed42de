"""Concurrent reviews of one tutor, on real threads with their own connections: the
profile's row lock serialises the aggregate updates, so none is lost."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from tests.factories import StudentFactory, TutorProfileFactory
from tests.web.reviews.conftest import complete_lesson
from web.profiles.models import TutorProfile
from web.reviews import services
from web.reviews.aggregates import reviews_reconcile
from web.reviews.models import Review

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 20


def _race(work: list) -> list[BaseException]:
    barrier = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(job) -> None:
        try:
            barrier.wait(timeout=30)
            job()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def test_twenty_concurrent_reviews_give_the_exact_sum_and_count(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tutor = TutorProfileFactory()
    students = [StudentFactory() for _ in range(THREADS)]
    for student in students:
        complete_lesson(tutor.user, student)
    stars = [(n % 5) + 1 for n in range(THREADS)]
    version = tutor.version

    jobs = [
        (lambda s=student, r=rating: services.review_create(student=s, tutor_id=tutor.pk, rating=r))
        for student, rating in zip(students, stars, strict=True)
    ]
    assert _race(jobs) == []

    profile = TutorProfile.objects.get(pk=tutor.pk)
    assert Review.objects.filter(tutor=tutor.user).count() == THREADS
    assert profile.reviews_count == THREADS
    assert profile.rating_sum == sum(stars) == 60
    assert list(profile.rating_histogram) == [4, 4, 4, 4, 4]
    assert profile.rating == Decimal("3.00")
    assert profile.version == version + THREADS  # one bump per review, none lost
    assert reviews_reconcile().drifted == []


def test_the_same_student_racing_twice_gets_one_review(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    tutor = TutorProfileFactory()
    student = StudentFactory()
    complete_lesson(tutor.user, student)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            services.review_create(student=student, tutor_id=tutor.pk, rating=5)
            outcomes.append("created")
        except services.Conflict:
            outcomes.append("conflict")

    assert _race([attempt] * 5) == []
    assert sorted(outcomes) == ["conflict"] * 4 + ["created"]
    profile = TutorProfile.objects.get(pk=tutor.pk)
    assert (profile.reviews_count, profile.rating_sum) == (1, 5)

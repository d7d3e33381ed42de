"""Fixtures of the reviews tests: completed lessons, and clean review rate limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.indexer.conftest import broker, worker_factory  # noqa: F401  (the pipeline test's real worker)
from web.lessons.models import Lesson, LessonStatus


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clean_review_limits(settings):
    """Every test client comes from one address: the per-address counter must not carry over."""
    import redis

    url = settings.REDIS_URL  # before a test's own broker replaces it

    def clean() -> None:
        client = redis.Redis.from_url(url)
        keys = list(client.scan_iter(match="ratelimit:{reviews.*", count=500))
        if keys:
            client.delete(*keys)
        client.close()

    clean()
    yield
    clean()


def complete_lesson(tutor_user, student, *, days_ago: int = 1) -> Lesson:
    """A lesson between them that took place and was completed."""
    start = timezone.now() - timedelta(days=days_ago, hours=2)
    return Lesson.objects.create(
        tutor=tutor_user, student=student, status=LessonStatus.COMPLETED, start=start, end=start + timedelta(hours=1)
    )


@pytest.fixture
def taught():
    """A function giving a student a completed lesson with a tutor."""
    return complete_lesson


@pytest.fixture
def moderator(db):
    from tests.factories import UserFactory
    from web.accounts.models import Role

    return UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)

"""Fixtures of the relations tests: listed tutors, students, relations in any state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import StudentFactory, TutorProfileFactory
from web.relations import services
from web.relations.models import Initiator, Relation, RelationStatus


@pytest.fixture(autouse=True)
def _clean_invite_limits():
    """Invitation limits never leak between tests or runs (ids repeat, the run's Redis persists)."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)

    def clean() -> None:
        keys = list(client.scan_iter(match=f"ratelimit:{{{services.INVITE_SCOPE}:*", count=500))
        if keys:
            client.delete(*keys)

    clean()
    yield
    clean()
    client.close()


@pytest.fixture
def make_request():
    """A student's pending request to a listed tutor, through the service."""

    def make(tutor=None, student=None, message: str = "") -> Relation:
        tutor = tutor or TutorProfileFactory().user
        student = student or StudentFactory()
        return services.relation_request(student=student, tutor_id=tutor.pk, message=message)

    return make


@pytest.fixture
def make_relation():
    """A relation row in a given state, written directly (setup only)."""

    def make(tutor, student=None, status=RelationStatus.PENDING, initiated_by=Initiator.STUDENT, **fields):
        now = timezone.now()
        fields.setdefault("expires_at", now + timedelta(days=14) if status == RelationStatus.PENDING else None)
        return Relation.objects.create(
            tutor=tutor, student=student, status=status, initiated_by=initiated_by, **fields
        )

    return make

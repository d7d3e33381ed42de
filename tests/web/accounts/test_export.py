"""GET /api/me/export/: everything about the caller, and nothing about anybody else."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import StudentFactory, TutorProfileFactory
from tests.web.reviews.conftest import complete_lesson
from web.accounts import export
from web.activity.events import activity_log
from web.lessons.models import Lesson
from web.profiles.models import AvailabilitySlot, ProfileDraft
from web.relations.models import Initiator, Relation, RelationStatus
from web.reviews.services import review_create

pytestmark = pytest.mark.django_db


def test_the_export_holds_the_callers_rows_and_nobody_elses(auth_client) -> None:
    mine = TutorProfileFactory(bio="my own bio")
    other = TutorProfileFactory(bio="somebody else's bio")
    me, them = mine.user, other.user
    student, stranger = StudentFactory(), StudentFactory()
    AvailabilitySlot.objects.create(profile=mine, weekday=2, start="10:00", end="12:00")
    AvailabilitySlot.objects.create(profile=other, weekday=5, start="08:00", end="09:00")
    ProfileDraft.objects.create(user=me, data={"headline": "my draft"})
    ProfileDraft.objects.create(user=them, data={"headline": "their draft"})
    activity_log(me, "profile.updated", entity_type="tutor_profile", entity_id=me.pk, metadata={"fields": ["bio"]})
    activity_log(them, "profile.updated", entity_type="tutor_profile", entity_id=them.pk, metadata={"secret": 1})
    mine_relation = Relation.objects.create(tutor=me, student=student, status=RelationStatus.ACTIVE,
                                            initiated_by=Initiator.STUDENT)
    Relation.objects.create(tutor=them, student=stranger, status=RelationStatus.ACTIVE, initiated_by=Initiator.STUDENT)
    start = timezone.now() + timedelta(days=1)
    my_lesson = Lesson.objects.create(tutor=me, student=student, start=start, end=start + timedelta(hours=1))
    Lesson.objects.create(tutor=them, student=stranger, start=start, end=start + timedelta(hours=1))

    response = auth_client(me).get("/api/me/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    document = response.json()
    assert document["account"]["id"] == me.pk and document["account"]["email"] == me.email
    assert document["profile"]["bio"] == "my own bio"
    assert document["availability"] == [{"weekday": 2, "start": "10:00", "end": "12:00"}]
    assert document["draft"]["data"] == {"headline": "my draft"}
    assert [e["action"] for e in document["activity"]] == ["profile.updated"]
    assert document["activity_truncated"] is False
    assert [r["id"] for r in document["relations"]] == [mine_relation.pk]
    assert document["relations"][0]["student"] == {"id": student.pk, "name": student.full_name}
    assert [lesson["id"] for lesson in document["lessons"]] == [my_lesson.pk]

    text = json.dumps(document, ensure_ascii=False)
    for foreign in (them.email, them.full_name, "somebody else's bio", "their draft", "secret", stranger.email,
                    student.email, str(other.headline)):
        assert foreign not in text


def test_a_student_export_has_no_profile_and_the_activity_is_capped(auth_client, monkeypatch) -> None:
    student = StudentFactory()
    for n in range(3):
        activity_log(student, "ui.click", metadata={"n": n})
    monkeypatch.setattr(export, "ACTIVITY_EXPORT_MAX", 2)
    document = auth_client(student).get("/api/me/export/").json()
    assert document["profile"] is None and document["draft"] is None and document["availability"] == []
    assert [e["metadata"]["n"] for e in document["activity"]] == [2, 1]
    assert document["activity_truncated"] is True


def test_the_export_needs_a_signed_in_caller(api_client) -> None:
    assert api_client.get("/api/me/export/").status_code == 401


@pytest.mark.django_db
def test_the_export_holds_the_reviews_the_caller_wrote_and_no_others() -> None:
    tutor = TutorProfileFactory()
    student, other = StudentFactory(), StudentFactory()
    for author in (student, other):
        complete_lesson(tutor.user, author)
        review_create(student=author, tutor_id=tutor.pk, rating=4, text=f"by {author.pk}")
    client = APIClient()
    client.force_authenticate(student)
    reviews = client.get("/api/me/export/").json()["reviews"]
    assert [r["text"] for r in reviews if r["kind"] == "review"] == [f"by {student.pk}"]

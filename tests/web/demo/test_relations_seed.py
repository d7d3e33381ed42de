"""Demo relations: every state for the demo accounts, a spread elsewhere, repeatable."""

from __future__ import annotations

import pytest
from django.db.models import Count, Q

from web.demo.seed import DEMO_STUDENT_EMAIL, DEMO_TUTOR_EMAIL, seed_demo
from web.profiles.models import TutorProfile
from web.relations.models import Initiator, Relation, RelationStatus, RelationStatusLog
from web.relations.selectors import student_my_tutor

pytestmark = pytest.mark.django_db


def test_demo_relations_cover_every_state_and_are_made_once() -> None:
    first = seed_demo(tutors=60, students=80, index=False)
    assert first.relations_created > 60
    tutor_relations = Relation.objects.filter(tutor__email=DEMO_TUTOR_EMAIL)
    assert set(tutor_relations.values_list("status", flat=True)) == set(RelationStatus.values)
    assert tutor_relations.filter(status=RelationStatus.PENDING, initiated_by=Initiator.TUTOR,
                                  student__isnull=True).exists()  # waits for sign-up
    student_relations = Relation.objects.filter(student__email=DEMO_STUDENT_EMAIL)
    assert student_relations.filter(status=RelationStatus.ACTIVE, tutor__email=DEMO_TUTOR_EMAIL).count() == 1
    assert student_relations.filter(status=RelationStatus.PENDING).exists()
    student = student_relations.first().student
    assert student_my_tutor(student)["state"] == "active"
    # A spread: many tutors have students; every relation has its log from the start.
    assert Relation.objects.values("tutor").distinct().count() > 20
    assert RelationStatusLog.objects.count() > Relation.objects.count()
    assert not Relation.objects.exclude(log__prev_status="").exists()
    # active_students agrees with the relations.
    counted = TutorProfile.objects.annotate(n=Count("user__relations_as_tutor",
                                                    filter=Q(user__relations_as_tutor__status="active")))
    assert all(p.active_students == p.n for p in counted)
    assert counted.filter(active_students__gt=0).count() > 10

    total = Relation.objects.count()
    again = seed_demo(tutors=60, students=80, index=False)
    assert again.relations_created == 0 and Relation.objects.count() == total

"""The relation rules a race could break are held by the database."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from tests.factories import StudentFactory, TutorFactory
from web.relations.models import Initiator, Relation, RelationStatus


def _relation(**fields) -> Relation:
    fields.setdefault("initiated_by", Initiator.STUDENT)
    with transaction.atomic():
        return Relation.objects.create(**fields)


@pytest.mark.django_db
def test_one_open_relation_per_pair() -> None:
    tutor, ann = TutorFactory(), StudentFactory()
    _relation(tutor=tutor, student=ann)
    with pytest.raises(IntegrityError, match="relation_one_open_per_pair"):
        _relation(tutor=tutor, student=ann, initiated_by=Initiator.TUTOR)


@pytest.mark.django_db
@pytest.mark.parametrize("closed", [RelationStatus.ARCHIVED, RelationStatus.CANCELLED, RelationStatus.EXPIRED])
def test_a_closed_relation_never_blocks_a_new_one(closed) -> None:
    tutor, ann = TutorFactory(), StudentFactory()
    _relation(tutor=tutor, student=ann, status=closed)
    _relation(tutor=tutor, student=ann)
    assert Relation.objects.filter(tutor=tutor, student=ann).count() == 2


@pytest.mark.django_db
def test_one_active_tutor_per_student() -> None:
    ann = StudentFactory()
    _relation(tutor=TutorFactory(), student=ann, status=RelationStatus.ACTIVE)
    _relation(tutor=TutorFactory(), student=ann)  # a pending request elsewhere is fine
    with pytest.raises(IntegrityError, match="relation_one_active_tutor_per_student"):
        _relation(tutor=TutorFactory(), student=ann, status=RelationStatus.ACTIVE)


@pytest.mark.django_db
def test_an_invitation_waits_for_its_address_once() -> None:
    tutor = TutorFactory()
    _relation(tutor=tutor, invited_email="new@example.com", initiated_by=Initiator.TUTOR)
    with pytest.raises(IntegrityError, match="relation_one_invitation_per_address"):
        _relation(tutor=tutor, invited_email="new@example.com", initiated_by=Initiator.TUTOR)
    with pytest.raises(IntegrityError, match="relation_has_a_student_or_an_invited_address"):
        _relation(tutor=tutor)
    with pytest.raises(IntegrityError, match="relation_active_has_a_student"):
        _relation(tutor=tutor, invited_email="x@example.com", initiated_by=Initiator.TUTOR,
                  status=RelationStatus.ACTIVE)

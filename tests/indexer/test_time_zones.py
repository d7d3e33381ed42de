"""The daily job that re-encodes availability when a zone's offset changes."""

from __future__ import annotations

from datetime import date

import pytest

from indexer.models import TutorOutbox
from indexer.time_zones import reindex_shifted_zones
from tests.factories import TutorProfileFactory

pytestmark = pytest.mark.django_db


def test_only_tutors_of_zones_whose_coming_week_changes_offset_are_recorded() -> None:
    kyiv = TutorProfileFactory(timezone="Europe/Kyiv")
    warsaw = TutorProfileFactory(timezone="Europe/Warsaw")
    new_york = TutorProfileFactory(timezone="America/New_York")
    hidden = TutorProfileFactory(timezone="Europe/Kyiv", public_profile_enabled=False)
    TutorOutbox.objects.all().delete()

    # Quiet January: nothing to do.
    assert reindex_shifted_zones(date(2026, 1, 14)) == {}
    assert not TutorOutbox.objects.exists()

    # The week before the EU change on 29 March: Kyiv and Warsaw, not New York (changed
    # on 8 March), nor a tutor who is not listed.
    assert reindex_shifted_zones(date(2026, 3, 24)) == {"Europe/Kyiv": 1, "Europe/Warsaw": 1}
    assert set(TutorOutbox.objects.values_list("tutor_id", flat=True)) == {kyiv.pk, warsaw.pk}
    assert hidden.pk not in set(TutorOutbox.objects.values_list("tutor_id", flat=True))

    TutorOutbox.objects.all().delete()
    assert reindex_shifted_zones(date(2026, 3, 3)) == {"America/New_York": 1}
    assert list(TutorOutbox.objects.values_list("tutor_id", flat=True)) == [new_york.pk]

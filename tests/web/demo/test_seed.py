"""seed_demo: varied, realistic, idempotent, and the index agrees with the database afterwards."""

from __future__ import annotations

import pytest

from web.demo.seed import DEMO_TUTOR_EMAIL, seed_demo, tutor_attributes

pytestmark = pytest.mark.django_db


def test_attributes_depend_on_seed_and_number_only() -> None:
    subjects = ["math", "physics", "english"]
    assert tutor_attributes(1, 7, subjects) == tutor_attributes(1, 7, subjects)
    assert tutor_attributes(1, 7, subjects) != tutor_attributes(1, 8, subjects)


def test_seed_is_idempotent_and_indexed(opensearch) -> None:
    from search.client import write_client
    from search.indexes import TUTORS
    from web.activity.models import ActivityLog
    from web.profiles.models import AvailabilitySlot, TutorProfile
    from web.profiles.selectors import listed_profiles

    first = seed_demo(tutors=60, students=5)
    assert first.tutors_created == 60 and first.students_created == 5
    assert first.events_created == 50
    assert first.index["swapped"] is True
    profiles = TutorProfile.objects.all()
    assert profiles.filter(user__email=DEMO_TUTOR_EMAIL, hourly_rate__gt=0).exists()
    assert len({p.hourly_rate for p in profiles}) > 20
    assert len({s for p in profiles for s in p.subjects}) > 5
    assert profiles.filter(public_profile_enabled=False).count() < 60
    assert AvailabilitySlot.objects.exists()
    # The index holds exactly the listed tutors.
    write_client().indices.refresh(index=TUTORS.read_alias)
    assert write_client().count(index=TUTORS.read_alias)["count"] == listed_profiles().count()
    assert first.demo_search["top"]

    again = seed_demo(tutors=60, students=5)
    assert (again.users_created, again.events_created) == (0, 0)
    assert again.index == {}  # nothing new, no rebuild
    assert ActivityLog.objects.filter(metadata__demo=True).count() == 50

    more = seed_demo(tutors=70, students=5)
    assert more.tutors_created == 10


def test_seeding_succeeds_with_the_engine_down_and_says_so(settings) -> None:
    from search.client import reset_clients
    from web.profiles.models import TutorProfile

    settings.OPENSEARCH_URL = "http://127.0.0.1:9"  # nothing listens (discard port)
    reset_clients()
    try:
        report = seed_demo(tutors=5, students=1)
    finally:
        reset_clients()
    assert report.tutors_created == 5
    assert TutorProfile.objects.count() >= 5
    assert "Connection refused" in report.index["error"]


def test_if_empty_seeds_a_database_with_users_but_no_tutors() -> None:
    from io import StringIO

    from django.core.management import call_command

    from tests.factories import StudentFactory
    from web.profiles.models import TutorProfile

    StudentFactory()  # an account registered before the first demo load
    args = ("seed_demo", "--if-empty", "--students", "1", "--no-index")
    call_command(*args, "--tutors", "5", stdout=StringIO())
    seeded = TutorProfile.objects.count()
    assert seeded >= 5

    out = StringIO()
    call_command(*args, "--tutors", "9", stdout=out)
    assert "skipped" in out.getvalue()
    assert TutorProfile.objects.count() == seeded

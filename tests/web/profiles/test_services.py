"""Profile services: privacy, versions, snapshots, availability, drafts."""

from __future__ import annotations

from datetime import time

import pytest

from indexer.models import TutorOutbox
from tests.factories import TutorProfileFactory
from web.activity.models import ActivityLog
from web.core.errors import Conflict, InvalidInput, NotFound
from web.profiles import services
from web.profiles.models import ProfileDraft, TutorProfile
from web.profiles.selectors import listed_profiles, tutor_is_listed, tutor_public_profile

pytestmark = pytest.mark.django_db


def _reload(profile: TutorProfile) -> TutorProfile:
    return TutorProfile.objects.select_related("user").get(pk=profile.pk)


FLAG_FIELDS = [
    ("show_bio_publicly", "bio"),
    ("show_avatar_publicly", "avatar_url"),
    ("show_subjects_publicly", "subjects"),
    ("show_certifications_publicly", "certifications"),
    ("show_email_publicly", "email"),
]


@pytest.mark.parametrize(("flag", "field"), FLAG_FIELDS)
def test_each_privacy_flag_hides_exactly_its_field(flag, field) -> None:
    profile = TutorProfileFactory(
        avatar_url="https://cdn.example.com/a.png", certifications=["CELTA"], show_email_publicly=True
    )
    shown = tutor_public_profile(profile)
    assert field in shown
    setattr(profile, flag, False)
    hidden = tutor_public_profile(profile)
    assert field not in hidden
    assert set(shown) - set(hidden) == {field}


def test_email_is_hidden_by_default() -> None:
    profile = TutorProfileFactory()
    assert "email" not in tutor_public_profile(profile)


@pytest.mark.parametrize(
    "change",
    [{"public_profile_enabled": False}, {"headline": ""}, {"subjects": []}, {"hourly_rate": None}],
)
def test_unlisted_profiles_have_no_public_profile(change) -> None:
    profile = TutorProfileFactory(**change)
    assert tutor_public_profile(profile) is None
    assert not listed_profiles().filter(pk=profile.pk).exists()


def test_inactive_account_is_not_listed() -> None:
    profile = TutorProfileFactory(user__is_active=False)
    assert not tutor_is_listed(profile)
    assert not listed_profiles().filter(pk=profile.pk).exists()


def test_listed_queryset_agrees_with_the_predicate() -> None:
    profiles = [
        TutorProfileFactory(),
        TutorProfileFactory(public_profile_enabled=False),
        TutorProfileFactory(headline=""),
        TutorProfileFactory(subjects=[]),
        TutorProfileFactory(hourly_rate=None),
    ]
    assert set(listed_profiles().values_list("pk", flat=True)) == {p.pk for p in profiles if tutor_is_listed(p)}


@pytest.mark.parametrize(
    "data",
    [
        {"headline": "New headline"},
        {"bio": "A new bio"},
        {"subjects": ["physics"]},
        {"hourly_rate": 999},
        {"languages": ["pl"]},
        {"privacy": {"show_bio_publicly": False}},
        {"public_profile_enabled": False},
    ],
)
def test_version_grows_on_every_public_change_and_the_indexer_is_told(tutor, data) -> None:
    before = tutor.version
    services.profile_update(user=tutor.user, data=data)
    assert _reload(tutor).version == before + 1
    assert TutorOutbox.objects.filter(tutor_id=tutor.pk).exists()


def test_private_only_change_does_not_bump_the_version(tutor) -> None:
    services.profile_update(user=tutor.user, data={"privacy": {"show_bio_publicly": False}})
    version = _reload(tutor).version
    TutorOutbox.objects.all().delete()
    # The bio is hidden now: changing it changes nothing public.
    services.profile_update(user=tutor.user, data={"bio": "secret words"})
    assert _reload(tutor).version == version
    assert _reload(tutor).bio == "secret words"
    assert not TutorOutbox.objects.exists()


def test_repeated_changes_coalesce_into_one_outbox_row(tutor) -> None:
    for rate in (100, 200, 300):
        services.profile_update(user=tutor.user, data={"hourly_rate": rate})
    assert TutorOutbox.objects.filter(tutor_id=tutor.pk).count() == 1


def test_snapshot_and_restore_round_trip(tutor) -> None:
    original = {"headline": tutor.headline, "hourly_rate": tutor.hourly_rate}
    services.profile_update(user=tutor.user, data={"headline": "Changed", "hourly_rate": 1})
    snapshot = ActivityLog.objects.filter(user=tutor.user, action="profile.snapshot").latest("id")
    assert snapshot.metadata["before"]["headline"] == original["headline"]

    services.profile_restore_snapshot(user=tutor.user, snapshot_id=snapshot.pk)
    restored = _reload(tutor)
    assert (restored.headline, restored.hourly_rate) == (original["headline"], original["hourly_rate"])
    # The restore is itself undoable: it recorded a snapshot of the changed state.
    latest = ActivityLog.objects.filter(user=tutor.user, action="profile.snapshot").latest("id")
    assert latest.metadata["before"]["headline"] == "Changed"


def test_someone_elses_snapshot_cannot_be_restored(tutor) -> None:
    other = TutorProfileFactory()
    services.profile_update(user=other.user, data={"headline": "Other's change"})
    snapshot = ActivityLog.objects.filter(user=other.user, action="profile.snapshot").latest("id")
    with pytest.raises(NotFound) as error:
        services.profile_restore_snapshot(user=tutor.user, snapshot_id=snapshot.pk)
    assert (error.value.status, error.value.message) == (404, "No such snapshot.")


def _slot(weekday, start, end):
    return {"weekday": weekday, "start": time.fromisoformat(start), "end": time.fromisoformat(end)}


def test_availability_replace_bumps_the_version(tutor) -> None:
    before = tutor.version
    services.availability_replace(user=tutor.user, slots=[_slot(0, "09:00", "12:00"), _slot(0, "12:00", "13:00")])
    profile = _reload(tutor)
    assert profile.version == before + 1
    assert tutor_public_profile(profile)["availability"] == [
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "12:00", "end": "13:00"},
    ]


@pytest.mark.parametrize(
    ("slots", "field"),
    [
        ([_slot(0, "10:00", "09:00")], "slots.0.end"),
        ([_slot(0, "10:00", "10:00")], "slots.0.end"),
        ([_slot(7, "09:00", "10:00")], "slots.0.weekday"),
        ([_slot(2, "09:00", "11:00"), _slot(2, "10:30", "12:00")], "slots.1.start"),
    ],
)
def test_availability_validation(tutor, slots, field) -> None:
    services.availability_replace(user=tutor.user, slots=[_slot(4, "17:00", "18:00")])
    before = _reload(tutor)
    TutorOutbox.objects.all().delete()
    with pytest.raises(InvalidInput) as error:
        services.availability_replace(user=tutor.user, slots=slots)
    assert list(error.value.fields) == [field]
    # Nothing of the refused replacement was written: the old slots, version and no outbox row.
    assert [(s.weekday, s.start, s.end) for s in tutor.slots.all()] == [(4, time(17), time(18))]
    assert _reload(tutor).version == before.version
    assert not TutorOutbox.objects.exists()


def test_autosave_merges_without_touching_the_profile(tutor) -> None:
    services.draft_autosave(user=tutor.user, patch={"headline": "Draft", "privacy": {"show_bio_publicly": False}})
    draft = ProfileDraft.objects.get(user=tutor.user)
    assert draft.data == {"headline": "Draft", "privacy": {"show_bio_publicly": False}}
    assert _reload(tutor).headline == tutor.headline


def test_autosave_checks_types_but_not_required_fields(tutor) -> None:
    with pytest.raises(InvalidInput) as error:
        services.draft_autosave(user=tutor.user, patch={"hourly_rate": "lots", "privacy": {"show_bio_publicly": 3}})
    assert set(error.value.fields) == {"hourly_rate", "privacy.show_bio_publicly"}
    assert not ProfileDraft.objects.exists()


def test_publish_of_an_invalid_merged_draft_publishes_nothing(tutor) -> None:
    # A draft that was valid when saved but names a subject since removed from the catalogue.
    ProfileDraft.objects.create(user=tutor.user, data={"headline": "New", "subjects": ["astrology"]})
    version = tutor.version
    with pytest.raises(InvalidInput) as error:
        services.draft_publish(user=tutor.user)
    assert "subjects" in error.value.fields
    profile = _reload(tutor)
    assert (profile.headline, profile.version) == (tutor.headline, version)
    assert ProfileDraft.objects.filter(user=tutor.user).exists()


def test_publish_applies_the_draft_and_clears_it(tutor) -> None:
    draft = {"headline": "Published", "privacy": {"show_bio_publicly": False}}
    ProfileDraft.objects.create(user=tutor.user, data=draft)
    services.draft_publish(user=tutor.user)
    profile = _reload(tutor)
    assert profile.headline == "Published"
    assert profile.show_bio_publicly is False
    assert profile.version == tutor.version + 1
    assert not ProfileDraft.objects.filter(user=tutor.user).exists()
    assert ActivityLog.objects.filter(user=tutor.user, action="profile.snapshot").exists()


def test_deactivating_a_tutor_account_versions_and_reindexes_the_profile(tutor) -> None:
    user = tutor.user
    user.is_active = False
    services.tutor_account_update(user=user, save=user.save)
    profile = _reload(tutor)
    assert profile.version == tutor.version + 1
    assert tutor_public_profile(profile) is None
    assert TutorOutbox.objects.filter(tutor_id=tutor.pk).exists()


def test_a_tutor_account_turned_student_leaves_the_marketplace(tutor) -> None:
    user = tutor.user
    user.role = "student"
    services.tutor_account_update(user=user, save=user.save)
    profile = _reload(tutor)
    assert profile.version == tutor.version + 1
    assert tutor_public_profile(profile) is None
    assert not listed_profiles().filter(pk=tutor.pk).exists()
    assert TutorOutbox.objects.filter(tutor_id=tutor.pk).exists()


def test_an_account_change_outside_the_public_profile_changes_nothing(tutor) -> None:
    user = tutor.user
    user.language = "pl"
    services.tutor_account_update(user=user, save=user.save)
    assert _reload(tutor).version == tutor.version
    assert not TutorOutbox.objects.exists()


def test_the_profile_admin_views_but_never_writes_a_profile(tutor, admin_client) -> None:
    url = f"/admin/profiles/tutorprofile/{tutor.pk}/change/"
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {}).status_code == 403
    assert _reload(tutor).version == tutor.version


def test_an_admin_rename_of_a_tutor_goes_through_the_profile_hook(tutor, admin_client) -> None:
    user = tutor.user
    data = {
        "email": user.email, "full_name": "Renamed Tutor", "role": "tutor", "timezone": user.timezone,
        "language": user.language, "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00",
    }
    response = admin_client.post(f"/admin/accounts/user/{user.pk}/change/", data)
    assert response.status_code == 302, response.content[:500]
    profile = _reload(tutor)
    assert profile.user.full_name == "Renamed Tutor"
    assert profile.version == tutor.version + 1
    assert TutorOutbox.objects.filter(tutor_id=tutor.pk).exists()


def test_a_tutor_made_in_the_admin_gets_a_profile(admin_client, student) -> None:
    from web.accounts.models import User

    response = admin_client.post("/admin/accounts/user/add/", {
        "email": "new-tutor@example.com", "full_name": "New Tutor", "role": "tutor",
        "password1": "a-long-passphrase-77", "password2": "a-long-passphrase-77",
    })
    assert response.status_code == 302, response.content[:500]
    created = User.objects.get(email="new-tutor@example.com")
    assert TutorProfile.objects.filter(user=created).exists()

    # A student turned into a tutor gets one as well.
    data = {
        "email": student.email, "full_name": student.full_name, "role": "tutor", "timezone": student.timezone,
        "language": student.language, "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00",
    }
    assert admin_client.post(f"/admin/accounts/user/{student.pk}/change/", data).status_code == 302
    profile = TutorProfile.objects.get(user=student)
    assert not tutor_is_listed(profile)  # empty until the tutor fills it in


def test_a_subject_slug_is_fixed_and_a_taught_subject_cannot_be_deleted(tutor, admin_client) -> None:
    from web.profiles.models import Subject

    taught = Subject.objects.get(slug=tutor.subjects[0])
    page = admin_client.get(f"/admin/profiles/subject/{taught.pk}/change/").content.decode()
    assert 'name="slug"' not in page  # shown, not editable
    assert admin_client.post(f"/admin/profiles/subject/{taught.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Subject.objects.filter(pk=taught.pk).exists()
    untaught = Subject.objects.create(slug="astronomy", name_en="Astronomy", name_uk="Астрономія", name_pl="Astronomia")
    assert admin_client.post(f"/admin/profiles/subject/{untaught.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Subject.objects.filter(slug="astronomy").exists()


def test_drafts_cannot_be_added_or_edited_in_the_admin(tutor, admin_client) -> None:
    assert admin_client.get("/admin/profiles/profiledraft/add/").status_code == 403
    draft = ProfileDraft.objects.create(user=tutor.user, data={"headline": "Mine"})
    assert admin_client.post(f"/admin/profiles/profiledraft/{draft.pk}/change/", {}).status_code == 403
    draft.refresh_from_db()
    assert draft.data == {"headline": "Mine"}


def test_a_snapshot_that_no_longer_validates_is_a_conflict(tutor) -> None:
    services.profile_update(user=tutor.user, data={"subjects": ["physics"]})
    snapshot = ActivityLog.objects.filter(user=tutor.user, action="profile.snapshot").latest("id")
    snapshot.metadata["before"]["subjects"] = ["astrology"]
    snapshot.save()
    with pytest.raises(Conflict) as error:
        services.profile_restore_snapshot(user=tutor.user, snapshot_id=snapshot.pk)
    assert error.value.status == 409 and "subjects" in error.value.fields
    assert _reload(tutor).subjects == ["physics"]


def test_a_conflicting_snapshot_names_the_field_in_the_error(tutor, auth_client) -> None:
    services.profile_update(user=tutor.user, data={"subjects": ["physics"]})
    snapshot = ActivityLog.objects.filter(user=tutor.user, action="profile.snapshot").latest("id")
    snapshot.metadata["before"]["subjects"] = ["astrology"]
    snapshot.save()
    response = auth_client(tutor.user).post(f"/api/me/profile/snapshots/{snapshot.pk}/restore/")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert list(error["fields"]) == ["subjects"]
    assert "ErrorDetail" not in error["message"] and error["message"].startswith("This snapshot")

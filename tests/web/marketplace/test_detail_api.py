"""GET /api/marketplace/tutors/<id>/: the public profile, privacy applied."""

from __future__ import annotations

import pytest

from tests.factories import TutorProfileFactory

pytestmark = pytest.mark.django_db


def url(tutor_id: int) -> str:
    return f"/api/marketplace/tutors/{tutor_id}/"


def test_public_profile(api_client) -> None:
    profile = TutorProfileFactory(
        headline="Математика", bio="Про мене", certifications=["CELTA"], avatar_url="https://cdn.example.com/a.jpg",
        rating=4.5, reviews_count=3,
    )
    profile.slots.create(weekday=1, start="16:00", end="18:00")
    body = api_client.get(url(profile.pk)).json()
    assert body["id"] == profile.pk
    assert body["full_name"] == profile.user.full_name
    assert body["bio"] == "Про мене"
    assert body["certifications"] == ["CELTA"]
    assert body["rating"] == 4.5 and body["reviews_count"] == 3
    assert body["availability"] == [{"weekday": 1, "start": "16:00", "end": "18:00"}]
    assert "email" not in body


def test_hidden_fields_are_omitted(api_client) -> None:
    profile = TutorProfileFactory(
        show_bio_publicly=False, show_certifications_publicly=False, show_avatar_publicly=False,
        show_subjects_publicly=False, show_email_publicly=True,
    )
    body = api_client.get(url(profile.pk)).json()
    for field in ("bio", "certifications", "avatar_url", "subjects"):
        assert field not in body
    assert body["email"] == profile.user.email


@pytest.mark.parametrize(
    "changes",
    [{"public_profile_enabled": False}, {"headline": ""}, {"subjects": []}, {"hourly_rate": None}],
)
def test_a_tutor_who_is_not_listed_is_a_404(api_client, changes) -> None:
    profile = TutorProfileFactory(**changes)
    response = api_client.get(url(profile.pk))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_inactive_account_and_unknown_id_are_404(api_client) -> None:
    profile = TutorProfileFactory(user__is_active=False)
    assert api_client.get(url(profile.pk)).status_code == 404
    assert api_client.get(url(999_999)).status_code == 404


@pytest.mark.parametrize(
    ("language", "names"), [("uk", ["Математика"]), ("pl", ["Matematyka"]), ("en", ["Mathematics"])]
)
def test_subject_names_beside_the_slugs_in_the_requested_language(api_client, language, names) -> None:
    tutor = TutorProfileFactory(subjects=["math"])
    body = api_client.get(f"/api/marketplace/tutors/{tutor.pk}/", HTTP_ACCEPT_LANGUAGE=language).json()
    assert body["subjects"] == ["math"]
    assert body["subject_names"] == names

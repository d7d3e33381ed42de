"""Self-service: edit yourself, change the password, sign out, confirm the address."""

from __future__ import annotations

import pytest
from django.core import signing
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import PASSWORD, StudentFactory
from tests.web.accounts.conftest import link_params
from web.accounts import tokens
from web.accounts.models import User
from web.activity.models import ActivityLog
from web.profiles.models import TutorProfile
from web.profiles.selectors import listed_profiles, tutor_is_listed

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-different-passphrase-42"


def _sign_in(email: str, password: str = PASSWORD) -> dict[str, str]:
    response = APIClient().post("/api/auth/token/", {"email": email, "password": password}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def _bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def _actions(user: User) -> list[str]:
    return list(ActivityLog.objects.filter(user=user).order_by("id").values_list("action", flat=True))


# --- PATCH /api/me/ -------------------------------------------------------------------


def test_a_person_changes_name_time_zone_and_language(auth_client, student) -> None:
    response = auth_client(student).patch(
        "/api/me/", {"full_name": "Ola Nowak", "timezone": "Europe/Warsaw", "language": "pl"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["full_name"] == "Ola Nowak"
    student.refresh_from_db()
    assert (student.full_name, student.timezone, student.language) == ("Ola Nowak", "Europe/Warsaw", "pl")
    event = ActivityLog.objects.get(user=student, action="account.updated")
    assert event.metadata == {"fields": ["full_name", "language", "timezone"]}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"language": "de"}, "language"),
        ({"full_name": ""}, "full_name"),
        ({"full_name": "x" * 151}, "full_name"),
        ({"role": "admin"}, "role"),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_bad_edits_are_400_naming_the_field_and_change_nothing(auth_client, student, body, field) -> None:
    before = User.objects.values().get(pk=student.pk)
    response = auth_client(student).patch("/api/me/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert User.objects.values().get(pk=student.pk) == before


def test_a_new_email_needs_the_password_and_must_be_free(auth_client, student) -> None:
    other = StudentFactory()
    client = auth_client(student)
    no_password = client.patch("/api/me/", {"email": "new@example.com"}, format="json")
    assert no_password.status_code == 400
    assert "current_password" in no_password.json()["error"]["fields"]
    taken = client.patch("/api/me/", {"email": other.email.upper(), "current_password": PASSWORD}, format="json")
    assert taken.status_code == 400
    assert "email" in taken.json()["error"]["fields"]
    student.refresh_from_db()
    assert student.email != "new@example.com"


def test_a_tutor_who_changes_email_leaves_the_marketplace_until_the_new_address_is_confirmed(
    auth_client, tutor, deliver
) -> None:
    user = tutor.user
    version = tutor.version
    response = auth_client(user).patch(
        "/api/me/", {"email": "Fresh@Example.com", "current_password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["email"] == "fresh@example.com"
    assert response.json()["email_verified"] is False
    tutor.refresh_from_db()
    assert not tutor_is_listed(tutor) and not listed_profiles().filter(pk=tutor.pk).exists()
    assert tutor.version == version + 1  # the document is deleted through the outbox

    [sent] = deliver()
    assert sent.to == ["fresh@example.com"]
    token = link_params(sent.body)["token"]
    verified = APIClient().post("/api/auth/verify-email/", {"token": token}, format="json")
    assert verified.status_code == 200, verified.json()
    assert verified.json()["email_verified"] is True
    tutor.refresh_from_db()
    assert tutor_is_listed(tutor)
    assert tutor.version == version + 2
    assert _actions(user)[-2:] == ["account.updated", "account.email_verified"]


# --- email verification ----------------------------------------------------------------


def test_registration_mails_a_link_and_an_unverified_tutor_is_not_listed(api_client, auth_client, deliver) -> None:
    response = api_client.post(
        "/api/auth/register/",
        {"email": "nova@example.com", "password": "a-long-passphrase-77", "full_name": "Nova Tutor",
         "role": "tutor", "language": "pl"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["email_verified"] is False
    user = User.objects.get(email="nova@example.com")
    TutorProfile.objects.filter(pk=user.pk).update(headline="Fizyka", subjects=["physics"], hourly_rate=300)
    profile = TutorProfile.objects.select_related("user").get(pk=user.pk)
    assert not tutor_is_listed(profile)
    me = auth_client(user).get("/api/me/").json()
    assert me["email_verified"] is False  # the account works, and says it is unconfirmed

    [sent] = deliver()
    assert sent.to == ["nova@example.com"]
    assert "Potwierd" in sent.subject  # the recipient's language
    token = link_params(sent.body)["token"]
    assert api_client.post("/api/auth/verify-email/", {"token": token}, format="json").status_code == 200
    profile.refresh_from_db()
    profile.user.refresh_from_db()
    assert tutor_is_listed(profile) and listed_profiles().filter(pk=user.pk).exists()
    # Opening the link again changes nothing.
    again = api_client.post("/api/auth/verify-email/", {"token": token}, format="json")
    assert again.status_code == 200
    assert ActivityLog.objects.filter(user=user, action="account.email_verified").count() == 1


def test_verification_tokens_that_are_tampered_expired_or_for_an_old_address_are_400(api_client, settings) -> None:
    user = StudentFactory(email_verified_at=None)
    good = tokens.email_verification_token(user.pk, user.email)
    old_address = tokens.email_verification_token(user.pk, "previous@example.com")
    for token in (good[:-2] + "xx", old_address, "garbage"):
        response = api_client.post("/api/auth/verify-email/", {"token": token}, format="json")
        assert response.status_code == 400
        assert "token" in response.json()["error"]["fields"]
    settings.EMAIL_VERIFICATION_MAX_AGE = -1  # every token is past its age
    assert api_client.post("/api/auth/verify-email/", {"token": good}, format="json").status_code == 400
    user.refresh_from_db()
    assert user.email_verified_at is None
    assert signing.loads(good, salt=tokens.VERIFY_SALT)["u"] == user.pk


def test_resending_the_link_sends_only_to_an_unconfirmed_address(auth_client, deliver) -> None:
    unconfirmed, confirmed = StudentFactory(email_verified_at=None), StudentFactory()
    assert auth_client(unconfirmed).post("/api/me/verify-email/resend/").json() == {"sent": True}
    assert auth_client(confirmed).post("/api/me/verify-email/resend/").json() == {"sent": False}
    assert [m.to for m in deliver()] == [[unconfirmed.email]]


# --- password change and sign-out --------------------------------------------------------


def test_a_password_change_ends_every_other_session_and_returns_a_new_one(student) -> None:
    phone, laptop = _sign_in(student.email), _sign_in(student.email)
    response = _bearer(laptop["access"]).post(
        "/api/me/password/", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.json()
    fresh = response.json()
    # The other session: its access token and its refresh token are refused.
    assert _bearer(phone["access"]).get("/api/me/").status_code == 401
    refreshed = APIClient().post("/api/auth/token/refresh/", {"refresh": phone["refresh"]}, format="json")
    assert refreshed.status_code == 401
    assert refreshed.json()["error"]["code"] == "password_changed"
    # The new pair works; the old password does not.
    assert _bearer(fresh["access"]).get("/api/me/").status_code == 200
    assert APIClient().post("/api/auth/token/refresh/", {"refresh": fresh["refresh"]}, format="json").status_code == 200
    assert APIClient().post(
        "/api/auth/token/", {"email": student.email, "password": PASSWORD}, format="json"
    ).status_code == 401
    event = ActivityLog.objects.get(user=student, action="account.password_changed")
    assert PASSWORD not in str(event.metadata) and NEW_PASSWORD not in str(event.metadata)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"current_password": "wrong-one", "new_password": NEW_PASSWORD}, "current_password"),
        ({"current_password": PASSWORD, "new_password": "123"}, "new_password"),
        ({"current_password": PASSWORD}, "new_password"),
    ],
)
def test_a_refused_password_change_keeps_the_old_password(auth_client, student, body, field) -> None:
    response = auth_client(student).post("/api/me/password/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    student.refresh_from_db()
    assert student.check_password(PASSWORD)


def test_logout_then_refresh_is_401(student) -> None:
    session, other = _sign_in(student.email), _sign_in(student.email)
    response = APIClient().post("/api/auth/logout/", {"refresh": session["refresh"]}, format="json")
    assert response.status_code == 204
    refreshed = APIClient().post("/api/auth/token/refresh/", {"refresh": session["refresh"]}, format="json")
    assert refreshed.status_code == 401
    assert refreshed.json()["error"]["code"] == "token_not_valid"
    # Another session of the same person is not signed out.
    assert APIClient().post("/api/auth/token/refresh/", {"refresh": other["refresh"]}, format="json").status_code == 200
    # A second sign-out with the revoked token, or with garbage, is a 400 naming it.
    for token in (session["refresh"], "garbage"):
        again = APIClient().post("/api/auth/logout/", {"refresh": token}, format="json")
        assert again.status_code == 400
        assert "refresh" in again.json()["error"]["fields"]
    assert _actions(student) == ["account.logged_out"]


def test_expired_refresh_tokens_are_flushed() -> None:
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from web.accounts.tasks import accounts_flush_expired_tokens_task

    user = StudentFactory()
    live, dead = _sign_in(user.email), _sign_in(user.email)
    OutstandingToken.objects.filter(token=dead["refresh"]).update(expires_at=timezone.now())
    assert accounts_flush_expired_tokens_task() == 1
    assert list(OutstandingToken.objects.values_list("token", flat=True)) == [live["refresh"]]


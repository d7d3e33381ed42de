from __future__ import annotations

import pytest

from tests.factories import PASSWORD
from web.accounts.models import User

pytestmark = pytest.mark.django_db


def _register(client, **overrides):
    body = {
        "email": "Olena@Example.com",
        "password": "a-long-passphrase-77",
        "full_name": "Olena Kovalenko",
        "role": "tutor",
        "timezone": "Europe/Kyiv",
        "language": "uk",
    }
    body.update(overrides)
    return client.post("/api/auth/register/", body, format="json")


def test_register_creates_the_user_with_a_normalised_email(api_client) -> None:
    response = _register(api_client)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "olena@example.com"
    assert body["role"] == "tutor"
    assert "password" not in body
    assert User.objects.get(email="olena@example.com").check_password("a-long-passphrase-77")


def test_taken_email_is_rejected_case_insensitively(api_client) -> None:
    assert _register(api_client).status_code == 201
    response = _register(api_client, email="OLENA@example.com")
    assert response.status_code == 400
    assert "email" in response.json()["error"]["fields"]
    assert User.objects.count() == 1


@pytest.mark.parametrize("password", ["123", "password", "olenakovalenko"])
def test_weak_password_is_rejected(api_client, password) -> None:
    response = _register(api_client, password=password)
    assert response.status_code == 400
    assert "password" in response.json()["error"]["fields"]
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"), [("role", "admin"), ("timezone", "Mars/Olympus"), ("language", "xx")]
)
def test_bad_role_timezone_or_language(api_client, field, value) -> None:
    response = _register(api_client, **{field: value})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]


def test_jwt_login_refresh_and_me(api_client, student) -> None:
    tokens = api_client.post("/api/auth/token/", {"email": student.email, "password": PASSWORD}, format="json")
    assert tokens.status_code == 200
    access, refresh = tokens.json()["access"], tokens.json()["refresh"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    me = api_client.get("/api/me/")
    assert me.status_code == 200
    assert me.json()["email"] == student.email
    assert me.json()["role"] == "student"

    renewed = api_client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert renewed.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {renewed.json()['access']}")
    assert api_client.get("/api/me/").json()["id"] == student.id


def test_login_matches_the_email_case_insensitively(api_client) -> None:
    # Stored lower-cased at registration; the address as the person typed it still signs in.
    assert _register(api_client).status_code == 201
    for email in ("Olena@Example.com", "OLENA@EXAMPLE.COM", "olena@example.com"):
        response = api_client.post("/api/auth/token/", {"email": email, "password": "a-long-passphrase-77"},
                                   format="json")
        assert response.status_code == 200, (email, response.json())


def test_sign_in_attempts_per_account_are_limited(api_client, student, tutor_user) -> None:
    def sign_in(email: str, password: str):
        return api_client.post("/api/auth/token/", {"email": email, "password": password}, format="json")

    for _ in range(5):
        assert sign_in(student.email, "a-wrong-guess").status_code == 401
    # After 5 failures from this address within a minute the next attempt is refused before
    # the password is checked, even the right one,
    # and a different spelling of the address is the same account.
    for attempt in (sign_in(student.email, PASSWORD), sign_in(student.email.upper(), PASSWORD)):
        assert attempt.status_code == 429
        assert attempt.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(attempt["Retry-After"]) <= 60
    assert sign_in(tutor_user.email, PASSWORD).status_code == 200  # other accounts are not affected


def test_wrong_password_is_401(api_client, student) -> None:
    response = api_client.post("/api/auth/token/", {"email": student.email, "password": "nope"}, format="json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "no_active_account"


def test_forged_token_is_401(api_client) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    response = api_client.get("/api/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_a_registered_tutor_gets_an_empty_unlisted_profile(api_client) -> None:
    from web.profiles.models import TutorProfile
    from web.profiles.selectors import tutor_public_profile

    user_id = _register(api_client).json()["id"]
    profile = TutorProfile.objects.select_related("user").get(user_id=user_id)
    assert profile.timezone == "Europe/Kyiv"
    assert tutor_public_profile(profile) is None


def test_a_registered_student_gets_no_tutor_profile(api_client) -> None:
    from web.profiles.models import TutorProfile

    user_id = _register(api_client, role="student").json()["id"]
    assert not TutorProfile.objects.filter(user_id=user_id).exists()


def _tokens(api_client, user) -> dict[str, str]:
    response = api_client.post("/api/auth/token/", {"email": user.email, "password": PASSWORD}, format="json")
    assert response.status_code == 200
    return response.json()


def _refresh(api_client, refresh: str):
    return api_client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json")


def test_refresh_for_a_deleted_account_is_401(api_client, student) -> None:
    refresh = _tokens(api_client, student)["refresh"]
    student.delete()
    response = _refresh(api_client, refresh)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "no_active_account"


def test_refresh_for_a_deactivated_account_is_401(api_client, student) -> None:
    refresh = _tokens(api_client, student)["refresh"]
    student.is_active = False
    student.save()
    assert _refresh(api_client, refresh).status_code == 401


def test_a_password_change_ends_existing_sessions(api_client, student) -> None:
    old = _tokens(api_client, student)
    student.set_password("another-long-passphrase-88")
    student.save()
    refreshed = _refresh(api_client, old["refresh"])
    assert refreshed.status_code == 401
    assert refreshed.json()["error"]["code"] == "password_changed"
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {old['access']}")
    assert api_client.get("/api/me/").status_code == 401
    api_client.credentials()
    fresh = api_client.post(
        "/api/auth/token/", {"email": student.email, "password": "another-long-passphrase-88"}, format="json"
    ).json()
    assert _refresh(api_client, fresh["refresh"]).status_code == 200


def test_sign_in_attempts_per_address_are_limited_across_accounts(api_client, student, monkeypatch) -> None:
    from web.accounts import signin_limits
    from web.core.ratelimit import Rate

    monkeypatch.setattr(signin_limits, "LOGIN_ADDRESS_RATES", (Rate(3, 60),))
    for n in range(3):  # one guess each at different accounts
        response = api_client.post("/api/auth/token/", {"email": f"x{n}@example.com", "password": "guess"},
                                   format="json")
        assert response.status_code == 401
    refused = api_client.post("/api/auth/token/", {"email": student.email, "password": PASSWORD}, format="json")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    # Another address is not affected.
    other = api_client.post("/api/auth/token/", {"email": student.email, "password": PASSWORD}, format="json",
                            REMOTE_ADDR="203.0.113.9")
    assert other.status_code == 200


def test_registrations_per_address_are_limited(api_client, monkeypatch) -> None:
    from web.accounts import services
    from web.core.ratelimit import Rate

    monkeypatch.setattr(services, "REGISTER_ADDRESS_RATES", (Rate(2, 3600),))
    assert _register(api_client, role="fun").status_code == 400  # invalid input is not counted
    for n in range(2):
        assert _register(api_client, email=f"n{n}@example.com").status_code == 201
    refused = _register(api_client, email="n3@example.com")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert not User.objects.filter(email="n3@example.com").exists()


@pytest.fixture
def sign_in_via_proxy(api_client, student, monkeypatch):
    """Sign-in as `student` with a given X-Forwarded-For, at most one per address a minute."""
    from web.accounts import signin_limits
    from web.core.ratelimit import Rate

    monkeypatch.setattr(signin_limits, "LOGIN_ADDRESS_RATES", (Rate(1, 60),))

    def sign_in(forwarded: str):
        return api_client.post("/api/auth/token/", {"email": student.email, "password": PASSWORD}, format="json",
                               HTTP_X_FORWARDED_FOR=forwarded)

    return sign_in


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(sign_in_via_proxy, settings) -> None:
    settings.TRUSTED_PROXY_HOPS = 1
    sign_in = sign_in_via_proxy
    assert sign_in("198.51.100.1").status_code == 200
    # A client-chosen address to the left does not make a new client.
    assert sign_in("1.2.3.4, 198.51.100.1").status_code == 429
    assert sign_in("198.51.100.2").status_code == 200


def test_without_a_trusted_proxy_a_forwarded_header_is_ignored(sign_in_via_proxy, settings) -> None:
    assert settings.TRUSTED_PROXY_HOPS == 0  # the default
    assert sign_in_via_proxy("198.51.100.1").status_code == 200
    # A fresh made-up address per request does not make a fresh budget.
    assert sign_in_via_proxy("198.51.100.2").status_code == 429


def test_a_forwarded_header_shorter_than_the_trusted_hops_is_not_trusted(sign_in_via_proxy, settings) -> None:
    settings.TRUSTED_PROXY_HOPS = 2
    # One entry where two proxies should have left two: the peer address counts.
    assert sign_in_via_proxy("198.51.100.1").status_code == 200
    assert sign_in_via_proxy("198.51.100.2").status_code == 429


def test_the_admin_login_is_limited_too(client, student, monkeypatch) -> None:
    from web.accounts import signin_limits
    from web.core.ratelimit import Rate

    monkeypatch.setattr(signin_limits, "LOGIN_ACCOUNT_RATES", (Rate(2, 60),))
    for _ in range(2):
        assert client.post("/admin/login/", {"username": student.email, "password": "guess"}).status_code == 200
    refused = client.post("/admin/login/", {"username": student.email, "password": "guess"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),  # one subscriber line: its whole /64
        ("::ffff:203.0.113.7", "203.0.113.7"),
    ],
)
def test_the_client_address_of_a_rate_limit(remote, expected) -> None:
    from django.test import RequestFactory

    from web.core.identity import client_address

    assert client_address(RequestFactory().get("/", REMOTE_ADDR=remote)) == expected


def test_registration_refuses_a_misspelt_field(api_client) -> None:
    response = _register(api_client, tz="Europe/Kyiv")
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["tz"]
    # Named together with the other problems of the same body.
    both = _register(api_client, tz="Europe/Kyiv", email="not-an-email")
    assert sorted(both.json()["error"]["fields"]) == ["email", "tz"]
    assert not User.objects.exists()


def test_a_url_without_its_trailing_slash_is_a_json_404_not_a_redirect(api_client, settings) -> None:
    for method in ("get", "post"):
        response = getattr(api_client, method)("/api/auth/token")
        assert response.status_code == 404, (method, response.status_code)
        assert response.json()["error"]["code"] == "not_found"
    settings.DEBUG = True  # where Django refused to redirect a POST: a 500
    assert api_client.post("/api/auth/token").status_code == 404


@pytest.mark.parametrize(
    ("path", "target"),
    [("/admin", "/admin/"), ("/admin/login", "/admin/login/"), ("/admin/profiles/subject", "/admin/profiles/subject/"),
     ("/admin/login?next=/admin/", "/admin/login/?next=/admin/")],
)
def test_an_admin_page_without_its_slash_still_leads_to_it(client, path, target) -> None:
    response = client.get(path)
    assert (response.status_code, response["Location"]) == (301, target)

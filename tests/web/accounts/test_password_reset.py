"""Password reset end to end, and no account enumeration through reset or sign-in."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from tests.factories import PASSWORD, StudentFactory
from tests.web.accounts.conftest import link_params
from web.accounts import tokens
from web.accounts.models import User
from web.accounts.services import password_reset_mail
from web.activity.models import ActivityLog
from web.mail.models import OutgoingMail

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-9"


def _request(client: APIClient, email: str):
    return client.post("/api/auth/password-reset/", {"email": email}, format="json")


def _confirm(client: APIClient, params: dict[str, str], password: str = NEW_PASSWORD):
    return client.post(
        "/api/auth/password-reset/confirm/",
        {"uid": params["uid"], "token": params["token"], "new_password": password}, format="json",
    )


def test_the_reset_flow_end_to_end_and_the_link_works_once(api_client, eager_tasks, deliver) -> None:
    user = StudentFactory(language="uk", email_verified_at=None)
    signed_in = api_client.post("/api/auth/token/", {"email": user.email, "password": PASSWORD}, format="json").json()

    assert _request(api_client, user.email.upper()).status_code == 202
    [sent] = deliver()
    assert sent.to == [user.email]
    assert "пароля" in sent.subject  # Ukrainian  # Ukrainian, the recipient's language
    params = link_params(sent.body)

    assert _confirm(api_client, params).status_code == 204
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert user.email_verified_at is not None  # the link reached the inbox: the address is confirmed
    # Every session signed in before the reset ends.
    refreshed = api_client.post("/api/auth/token/refresh/", {"refresh": signed_in["refresh"]}, format="json")
    assert refreshed.status_code == 401

    reused = _confirm(api_client, params, password="yet-another-passphrase-3")
    assert reused.status_code == 400
    assert "token" in reused.json()["error"]["fields"]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    actions = list(ActivityLog.objects.filter(user=user).values_list("action", flat=True))
    assert "account.password_reset_requested" in actions and "account.password_reset" in actions
    for event in ActivityLog.objects.filter(user=user):
        assert params["token"] not in str(event.metadata) and NEW_PASSWORD not in str(event.metadata)


def test_an_expired_reset_link_is_refused(api_client, settings, deliver) -> None:
    user = StudentFactory()
    assert password_reset_mail(user.email)
    params = link_params(deliver()[0].body)
    settings.PASSWORD_RESET_TIMEOUT = -1  # an hour later
    response = _confirm(api_client, params)
    assert response.status_code == 400
    assert "token" in response.json()["error"]["fields"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_token_for_another_account_or_a_forged_uid_is_refused(api_client, deliver) -> None:
    victim, attacker = StudentFactory(), StudentFactory()
    password_reset_mail(attacker.email)
    params = link_params(deliver()[0].body)
    for uid in (tokens.encode_uid(victim.pk), "!!", tokens.encode_uid(10**12)):
        response = _confirm(api_client, {**params, "uid": uid})
        assert response.status_code == 400
        assert "token" in response.json()["error"]["fields"]
    victim.refresh_from_db()
    assert victim.check_password(PASSWORD)


def test_a_known_and_an_unknown_email_get_the_same_answer(api_client, eager_tasks) -> None:
    user = StudentFactory()
    known = _request(api_client, user.email)
    unknown = _request(api_client, "nobody@example.com")
    assert (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert OutgoingMail.objects.filter(template="password_reset").count() == 1
    assert not OutgoingMail.objects.filter(to_email="nobody@example.com").exists()


def test_the_answer_never_waits_for_the_account_lookup(api_client) -> None:
    """The view hands the address to a worker: no query of the request reads the users
    table, so how long the answer takes cannot depend on whether the account exists."""
    user = StudentFactory()
    for email in (user.email, "nobody@example.com"):
        with CaptureQueriesContext(connection) as queries:
            assert _request(api_client, email).status_code == 202
        assert not [q for q in queries.captured_queries if User._meta.db_table in q["sql"]]
    assert not OutgoingMail.objects.exists()  # the worker (none here) would mail it


def test_reset_requests_are_limited_per_email_and_per_address(api_client, eager_tasks, monkeypatch) -> None:
    user = StudentFactory()
    statuses = [_request(api_client, user.email).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    refused = _request(api_client, user.email)
    assert int(refused["Retry-After"]) > 0
    assert OutgoingMail.objects.filter(template="password_reset").count() == 3
    # Per address: many different emails from one client.
    statuses = [_request(api_client, f"someone{n}@example.com").status_code for n in range(8)]
    assert statuses[:5] == [202] * 5 and statuses[5:] == [429] * 3  # 10 from the address in 10 minutes


class CountingHasher(MD5PasswordHasher):
    """A real hasher that counts how often a password is hashed (to set or to check it)."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):  # type: ignore[no-untyped-def]  # checking a password encodes it too
        type(self).calls += 1
        return super().encode(password, salt)


def test_sign_in_answers_the_same_and_hashes_for_a_known_and_an_unknown_email(api_client, settings) -> None:
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    user = StudentFactory()
    answers, hashes = [], []
    for email in (user.email, "nobody@example.com"):
        CountingHasher.calls = 0
        response = api_client.post("/api/auth/token/", {"email": email, "password": "wrong-password"}, format="json")
        answers.append((response.status_code, response.json()["error"]["code"], response.json()["error"]["message"]))
        hashes.append(CountingHasher.calls)
    assert answers[0] == answers[1] and answers[0][0] == 401
    assert hashes == [1, 1]  # the unknown email costs a password hash too


def test_registration_keeps_its_400_for_a_taken_email(api_client) -> None:
    user = StudentFactory()
    response = api_client.post(
        "/api/auth/register/",
        {"email": user.email, "password": "a-long-passphrase-77", "full_name": "Copy", "role": "student"},
        format="json",
    )
    assert response.status_code == 400
    assert "email" in response.json()["error"]["fields"]

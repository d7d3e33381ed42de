"""Tokens signed with the server's own key but carrying odd claims are a 401, never a 500."""

from __future__ import annotations

import time

import pytest
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import get_md5_hash_password

pytestmark = pytest.mark.django_db

ODD_USER_IDS = ["abc", ["1"], {"id": 1}, 2**70, -5, 0, True, None, 1.5, "", "1e3", "١٢"]


def _signed(payload: dict) -> str:
    """A token signed with the real key, as only the server could make it."""
    return RefreshToken().get_token_backend().encode(payload)


def _claims(user, token_type: str = "access", **overrides) -> dict:
    payload = {
        "token_type": token_type,
        "exp": int(time.time()) + 600,
        "iat": int(time.time()),
        "jti": "0123456789abcdef",
        "user_id": str(user.pk),
        "hash_password": get_md5_hash_password(user.password),
    }
    payload.update(overrides)
    return {key: value for key, value in payload.items() if value is not _MISSING}


_MISSING = object()

ODD_CLAIMS = (
    [{"user_id": value} for value in ODD_USER_IDS]
    + [{"exp": value} for value in (1e20, 10**30, -1, "soon", [1], float("nan"))]
    + [{"iat": 1e20}, {"nbf": 1e20}, {"user_id": _MISSING}, {"exp": _MISSING}, {"token_type": _MISSING}]
    + [{"token_type": ["access"]}, {"jti": 5}, {"hash_password": {"x": 1}}]
)


def _ids(claims: dict) -> str:
    return ",".join(f"{key}={'missing' if value is _MISSING else repr(value)[:20]}" for key, value in claims.items())


@pytest.mark.parametrize("claims", ODD_CLAIMS, ids=_ids)
def test_odd_claims_are_refused_on_account_and_public_endpoints(api_client, student, claims) -> None:
    token = _signed(_claims(student, **claims))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    for path in ("/api/me/", "/api/me/profile/", "/api/me/activity/", "/api/marketplace/tutors/"):
        response = api_client.get(path)
        assert response.status_code == 401, (path, response.content)
        assert response.json()["error"]["code"] in {"token_not_valid", "user_not_found", "authentication_failed"}


@pytest.mark.parametrize("claims", ODD_CLAIMS, ids=_ids)
def test_odd_claims_are_refused_by_the_refresh_endpoint(api_client, student, claims) -> None:
    token = _signed(_claims(student, **{"token_type": "refresh", **claims}))
    response = api_client.post("/api/auth/token/refresh/", {"refresh": token}, format="json")
    assert response.status_code == 401, response.content
    assert "error" in response.json()


def test_the_same_claims_done_right_are_accepted(api_client, student) -> None:
    """The checks refuse only the odd: the server's own tokens and an int user id pass."""
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {_signed(_claims(student, user_id=student.pk))}")
    assert api_client.get("/api/me/").json()["id"] == student.pk
    refresh = str(RefreshToken.for_user(student))
    assert api_client.post("/api/auth/token/refresh/", {"refresh": refresh}, format="json").status_code == 200

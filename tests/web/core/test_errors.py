"""Every error has the same JSON shape, with the bad field named."""

from __future__ import annotations

import re

import pytest


def _assert_error_shape(body: dict, code: str) -> None:
    assert set(body) == {"error", "request_id"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert body["request_id"]


@pytest.mark.django_db
def test_validation_error_names_each_field(api_client) -> None:
    response = api_client.post(
        "/api/auth/register/",
        {"email": "not-an-email", "password": "x", "full_name": "", "role": "wizard"},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    _assert_error_shape(body, "validation_error")
    assert set(body["error"]["fields"]) == {"email", "full_name", "role"}


@pytest.mark.django_db
def test_malformed_json_is_a_400_in_the_same_shape(api_client) -> None:
    response = api_client.post("/api/auth/register/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    _assert_error_shape(response.json(), "parse_error")


@pytest.mark.django_db
def test_unknown_url_is_a_json_404(api_client) -> None:
    response = api_client.get("/api/no-such-thing/")
    assert response.status_code == 404
    _assert_error_shape(response.json(), "not_found")


@pytest.mark.django_db
def test_missing_credentials_is_a_401_in_the_same_shape(api_client) -> None:
    response = api_client.get("/api/me/")
    assert response.status_code == 401
    _assert_error_shape(response.json(), "not_authenticated")


@pytest.mark.django_db
@pytest.mark.parametrize("incoming", ["a" * 65, "abc def", "x\ty", "abc\n", "abc\r\nSet-Cookie: a=b", "ключ", ""])
def test_a_malformed_request_id_is_replaced(api_client, incoming) -> None:
    response = api_client.get("/api/me/", HTTP_X_REQUEST_ID=incoming)
    assert response.status_code == 401
    replaced = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", replaced), replaced
    assert response.json()["request_id"] == replaced


@pytest.mark.django_db
def test_request_id_is_echoed_when_well_formed(api_client) -> None:
    response = api_client.get("/api/me/", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    assert response.json()["request_id"] == "abc-123"

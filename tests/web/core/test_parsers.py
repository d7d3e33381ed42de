"""Request bodies the database or Python's parser cannot take are 4xx, never 500."""

from __future__ import annotations

import json

import pytest

from tests.factories import PASSWORD
from web.activity.models import ActivityLog

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
TOKEN = "/api/auth/token/"
PROFILE = "/api/me/profile/"
TRIGGER = "/api/me/activity/trigger/"


def _post_raw(client, url: str, body: str | bytes, method: str = "post"):
    return getattr(client, method)(url, body, content_type="application/json")


def _error(response) -> dict:
    return response.json()["error"]


@pytest.mark.parametrize("body", ["[" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000])
def test_pathologically_deep_json_is_a_parse_error(api_client, body) -> None:
    response = _post_raw(api_client, REGISTER, body)
    assert response.status_code == 400
    assert _error(response)["code"] == "parse_error"


def test_json_nested_past_the_limit_is_a_parse_error(api_client) -> None:
    response = _post_raw(api_client, REGISTER, '{"email":' + "[" * 40 + "]" * 40 + "}")
    assert response.status_code == 400
    assert _error(response)["code"] == "parse_error"
    assert "nested more than 32 levels at email" in _error(response)["message"]


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity"])
def test_numbers_no_json_column_can_hold_are_a_parse_error(student, auth_client, number) -> None:
    body = '{"action": "ui.click", "metadata": {"x": ' + number + "}}"
    response = _post_raw(auth_client(student), TRIGGER, body)
    assert response.status_code == 400
    assert _error(response)["code"] == "parse_error"
    assert not ActivityLog.objects.filter(user=student, action="ui.click").exists()


def test_unpaired_surrogate_in_a_password_is_400_naming_it(api_client, student) -> None:
    # The password hasher would fail to encode it (a 500 before), even for a login.
    response = _post_raw(api_client, TOKEN, json.dumps({"email": student.email, "password": "\ud800"}))
    assert response.status_code == 400
    assert _error(response)["fields"] == {"password": ["Text may not contain an unpaired UTF-16 surrogate."]}


def test_unpaired_surrogate_in_a_profile_field_is_400_and_writes_nothing(tutor, auth_client) -> None:
    before = tutor.headline
    response = _post_raw(auth_client(tutor.user), PROFILE, '{"headline": "Maths \\udc00 tutor"}', method="patch")
    assert response.status_code == 400
    assert list(_error(response)["fields"]) == ["headline"]
    tutor.refresh_from_db()
    assert tutor.headline == before


def test_nested_text_is_named_by_its_path(student, auth_client) -> None:
    body = '{"action": "ui.click", "metadata": {"items": ["ok", "\\ud83d"]}}'
    response = _post_raw(auth_client(student), TRIGGER, body)
    assert response.status_code == 400
    assert list(_error(response)["fields"]) == ["metadata.items.1"]


def test_a_bad_key_is_named_by_its_parent(student, auth_client) -> None:
    response = _post_raw(auth_client(student), TRIGGER, '{"action": "ui.click", "metadata": {"\\ud800": 1}}')
    assert response.status_code == 400
    assert _error(response)["fields"] == {"metadata": ["A key: Text may not contain an unpaired UTF-16 surrogate."]}


def test_a_paired_surrogate_is_ordinary_text(student, auth_client) -> None:
    # "\ud83d\ude00" is one emoji written as a JSON escape pair.
    body = '{"action": "ui.click", "metadata": {"reaction": "\\ud83d\\ude00"}}'
    response = _post_raw(auth_client(student), TRIGGER, body)
    assert response.status_code == 201, response.json()
    assert ActivityLog.objects.get(user=student, action="ui.click").metadata == {"reaction": "\U0001f600"}


def test_a_body_over_the_limit_is_413_without_being_parsed(api_client, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = '{"email": "a@example.com", "password": "%s"}' % ("x" * 2_000)
    response = _post_raw(api_client, REGISTER, body)
    assert response.status_code == 413
    assert _error(response)["code"] == "request_too_large"
    assert "at most 1000 bytes" in _error(response)["message"]


def test_a_body_at_the_limit_is_parsed(api_client, settings, student) -> None:
    body = json.dumps({"email": student.email, "password": PASSWORD})
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body.encode())
    response = _post_raw(api_client, TOKEN, body)
    assert response.status_code == 200, response.json()

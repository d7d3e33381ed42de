"""POST /api/me/activity/trigger/: validation, the stored event, and the per-user rate limit."""

from __future__ import annotations

import time

import pytest

from web.activity.models import REFERRER_MAX_LENGTH, ActivityLog
from web.activity.triggers import RATE_LIMITED_ACTION, TRIGGER_RATES, TRIGGER_SCOPE
from web.core.ratelimit import rate_limit_hit
from web.core.redis_client import redis_client

pytestmark = pytest.mark.django_db

URL = "/api/me/activity/trigger/"
BODY = {"action": "ui.click", "entity_type": "profile", "entity_id": None, "metadata": {"button": "save"}}


def test_trigger_stores_and_returns_the_event(student, auth_client) -> None:
    response = auth_client(student).post(URL, BODY, format="json", HTTP_REFERER="https://app.example.com/profile")
    assert response.status_code == 201, response.json()
    body = response.json()
    event = ActivityLog.objects.get(pk=body["id"])
    assert event.user == student
    assert (event.action, event.entity_type, event.entity_id) == ("ui.click", "profile", None)
    assert event.metadata == {"button": "save"}
    assert event.status_code == 201
    assert event.referrer == "https://app.example.com/profile"
    assert event.duration_ms is not None and event.duration_ms >= 0
    assert body["action"] == "ui.click"
    assert body["metadata"] == {"button": "save"}
    assert body["referrer"] == "https://app.example.com/profile"
    # It shows up in the feed.
    feed = auth_client(student).get("/api/me/activity/").json()
    assert [item["id"] for item in feed["results"]] == [event.pk]


def test_the_referrer_is_stored_as_the_column_holds_it(student, auth_client) -> None:
    # Through the real middleware: the header reaches the event without the request being passed down.
    referer = "https://app.example.com/\x00" + "x" * 3000
    response = auth_client(student).post(URL, BODY, format="json", HTTP_REFERER=referer)
    assert response.status_code == 201, response.json()
    event = ActivityLog.objects.get(pk=response.json()["id"])
    assert event.referrer == ("https://app.example.com/" + "x" * 3000)[:REFERRER_MAX_LENGTH]


def test_minimal_body_and_numeric_entity_id(student, auth_client) -> None:
    client = auth_client(student)
    response = client.post(URL, {"action": "ui.calendar.opened"}, format="json")
    assert response.status_code == 201
    assert response.json()["entity_type"] == ""
    assert response.json()["metadata"] == {}
    response = client.post(URL, {"action": "ui.click", "entity_type": "lesson", "entity_id": 42}, format="json")
    assert response.status_code == 201
    assert response.json()["entity_id"] == "42"


def _nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"k": value}
    return value


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"action": "click"}, "action"),  # one segment
        ({"action": "UI.click"}, "action"),
        ({"action": "ui.click!"}, "action"),
        ({"action": "1ui.click"}, "action"),
        ({"action": "a.b.c.d.e"}, "action"),  # five segments
        ({"action": "ui." + "x" * 62}, "action"),  # 65 characters
        ({"action": ""}, "action"),
        ({"action": None}, "action"),
        ({"action": 123}, "action"),
        ({"action": ["ui.click"]}, "action"),
        # Names the server records are not the client's to write.
        ({"action": "profile.snapshot"}, "action"),
        ({"action": "marketplace.search"}, "action"),
        ({"action": "activity.trigger.rate_limited"}, "action"),
        ({"action": "uix.click"}, "action"),
        ({"entity_type": "Profile"}, "entity_type"),
        ({"entity_type": "x" * 65}, "entity_type"),
        ({"entity_type": 5}, "entity_type"),
        ({"entity_id": {"id": 1}}, "entity_id"),
        ({"entity_id": "x" * 65}, "entity_id"),
        ({"entity_id": "a\x00b"}, "entity_id"),
        ({"metadata": ["button", "save"]}, "metadata"),
        ({"metadata": "button=save"}, "metadata"),
        ({"metadata": None}, "metadata"),
        ({"metadata": {"blob": "x" * 2100}}, "metadata"),
        ({"metadata": {f"k{i}": "v" * 40 for i in range(60)}}, "metadata"),
        ({"metadata": _nested(5)}, "metadata"),
        ({"metadata": {"a": [[[["deep"]]]]}}, "metadata"),
        ({"metadata": {"text": "a\x00b"}}, "metadata.text"),
        ({"metadata": {"a\x00": "b"}}, "metadata"),
    ],
)
def test_invalid_body_is_400_naming_the_field(student, auth_client, overrides, field) -> None:
    response = auth_client(student).post(URL, {**BODY, **overrides}, format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert list(body["error"]["fields"]) == [field]
    assert not ActivityLog.objects.filter(user=student).exists()


def test_metadata_at_the_limits_is_accepted(student, auth_client) -> None:
    client = auth_client(student)
    assert client.post(URL, {**BODY, "metadata": _nested(4)}, format="json").status_code == 201
    # 2048 bytes exactly: {"b":"xxx..."} is 8 bytes of framing.
    assert client.post(URL, {**BODY, "metadata": {"b": "x" * 2040}}, format="json").status_code == 201
    response = client.post(URL, {**BODY, "metadata": {"b": "x" * 2041}}, format="json")
    assert response.status_code == 400
    assert "2048" in response.json()["error"]["fields"]["metadata"][0]


def test_malformed_json_is_400(student, auth_client) -> None:
    response = auth_client(student).post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_trigger_requires_authentication(api_client) -> None:
    response = api_client.post(URL, BODY, format="json")
    assert response.status_code == 401
    assert not ActivityLog.objects.exists()


def _fill_minute_window(user, hits: int, *, spread_from: float) -> None:
    """Hits already accepted earlier this minute, spaced so the per-second limit never refused them."""
    started = time.time() - spread_from
    for i in range(hits):
        assert rate_limit_hit(TRIGGER_SCOPE, str(user.pk), TRIGGER_RATES, now=started + i * 0.5) is None


def test_rate_limit_is_per_user_across_sessions(student, auth_client) -> None:
    # Two sessions of the same user: two different JWTs.
    first, second = auth_client(student), auth_client(student)
    assert first._credentials["HTTP_AUTHORIZATION"] != second._credentials["HTTP_AUTHORIZATION"]
    # 25 hits of the last minute leave room for exactly 5 more (30/min), whatever the speed of this test.
    _fill_minute_window(student, 25, spread_from=45)

    statuses = [(first if i % 2 else second).post(URL, BODY, format="json").status_code for i in range(5)]
    assert statuses == [201] * 5

    limited = first.post(URL, BODY, format="json")
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    retry_after = int(limited["Retry-After"])
    assert 1 <= retry_after <= 60
    also_limited = second.post(URL, BODY, format="json")
    assert also_limited.status_code == 429
    assert int(also_limited["Retry-After"]) >= 1

    assert ActivityLog.objects.filter(user=student, action="ui.click").count() == 5
    # Two refusals, one limiter event: it is itself limited to one per window.
    notices = ActivityLog.objects.filter(user=student, action=RATE_LIMITED_ACTION)
    assert notices.count() == 1
    notice = notices.get()
    assert notice.status_code == 429
    assert notice.metadata["attempted_action"] == "ui.click"
    assert notice.metadata["retry_after"] > 0


def test_burst_over_five_per_second_is_refused(student, auth_client) -> None:
    client = auth_client(student)
    # Five hits stamped "now" fill the one-second window for about a second. A request
    # that only arrives after the window moved on proves nothing, so such an attempt is
    # repeated (a few times at most: the check itself must always run).
    for _ in range(5):
        redis_client().delete(*redis_client().keys(f"*{TRIGGER_SCOPE}*") or ["none"])
        now = time.time()
        for _ in range(5):
            assert rate_limit_hit(TRIGGER_SCOPE, str(student.pk), TRIGGER_RATES, now=now) is None
        response = client.post(URL, BODY, format="json")
        if time.time() - now < 0.9:
            break
    else:
        pytest.fail("could not send a request within 0.9 s of filling the window")
    assert response.status_code == 429
    assert response["Retry-After"] == "1"


def test_rate_limited_event_is_not_a_flood(student, auth_client) -> None:
    client = auth_client(student)
    _fill_minute_window(student, 30, spread_from=50)
    for _ in range(10):
        assert client.post(URL, BODY, format="json").status_code == 429
    assert ActivityLog.objects.filter(user=student, action=RATE_LIMITED_ACTION).count() == 1
    assert not ActivityLog.objects.filter(user=student, action="ui.click").exists()


def test_rate_limit_does_not_leak_between_users(student, auth_client) -> None:
    from tests.factories import StudentFactory

    _fill_minute_window(student, 30, spread_from=50)
    assert auth_client(student).post(URL, BODY, format="json").status_code == 429
    assert auth_client(StudentFactory()).post(URL, BODY, format="json").status_code == 201


def test_a_misspelt_field_is_a_400_naming_it_not_a_silent_drop(student, auth_client) -> None:
    response = auth_client(student).post(
        URL, {"action": "ui.click", "entityType": "profile", "entityId": 5}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"entityType", "entityId"}
    assert not ActivityLog.objects.filter(user=student).exists()

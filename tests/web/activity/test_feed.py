"""GET /api/me/activity/: keyset pagination over (-timestamp, id), filters and the signed cursor."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import StudentFactory
from web.activity.events import activity_log
from web.activity.models import ActivityLog

pytestmark = pytest.mark.django_db

URL = "/api/me/activity/"


def _event(user, action="ui.click", *, at, entity_type="profile", **extra) -> ActivityLog:
    return ActivityLog.objects.create(user=user, action=action, entity_type=entity_type, timestamp=at, **extra)


def _expected_order(events) -> list[int]:
    return [e.pk for e in sorted(events, key=lambda e: (-e.timestamp.timestamp(), e.pk))]


def _walk(client, params: dict, between_pages=None) -> tuple[list[int], int]:
    """Follow cursors to the end; returns the ids served in order and the number of pages."""
    served: list[int] = []
    pages = 0
    query = dict(params)
    while True:
        response = client.get(URL, query)
        assert response.status_code == 200, response.json()
        body = response.json()
        pages += 1
        served.extend(item["id"] for item in body["results"])
        assert body["has_more"] is (body["cursor"] is not None)
        if not body["has_more"]:
            return served, pages
        if between_pages:
            between_pages(pages)
        query["cursor"] = body["cursor"]
        assert pages < 100, "cursor walk does not terminate"


def test_walk_returns_every_event_once_with_ties_and_concurrent_writes(student, auth_client) -> None:
    base = timezone.now() - timedelta(hours=1)
    events = []
    # Runs of identical timestamps that straddle page boundaries (page_size 4).
    for group, size in enumerate([1, 6, 3, 5, 1, 7]):
        at = base + timedelta(seconds=group)
        events.extend(_event(student, at=at, metadata={"n": len(events)}) for _ in range(size))
    expected = _expected_order(events)
    written = []

    def write_new_events(page: int) -> None:
        # Arrive during the walk: newer than everything, so before the cursor position.
        written.append(activity_log(student, "ui.click", entity_type="profile").pk)
        written.append(_event(student, at=timezone.now(), metadata={"late": page}).pk)

    served, pages = _walk(auth_client(student), {"page_size": 4}, between_pages=write_new_events)

    assert served == expected
    assert len(served) == len(set(served))
    assert pages == 6  # 23 events / 4 per page
    assert written and not set(written) & set(served)
    # A fresh walk sees everything, the late events first.
    fresh, _ = _walk(auth_client(student), {"page_size": 100})
    assert fresh[: len(written)] == _expected_order(ActivityLog.objects.filter(pk__in=written))
    assert fresh[len(written):] == expected


def test_all_events_sharing_one_timestamp_are_split_by_id(student, auth_client) -> None:
    at = timezone.now() - timedelta(minutes=5)
    events = [_event(student, at=at) for _ in range(9)]
    served, pages = _walk(auth_client(student), {"page_size": 2})
    assert served == sorted(e.pk for e in events)
    assert pages == 5


def test_only_own_events_and_page_shape(student, auth_client) -> None:
    other = StudentFactory()
    now = timezone.now()
    mine = _event(student, at=now, entity_id="12", metadata={"button": "save"}, status_code=201, duration_ms=1.5)
    _event(other, at=now)
    _event(None, at=now)  # anonymous

    response = auth_client(student).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "results": [
            {
                "id": mine.pk,
                "action": "ui.click",
                "entity_type": "profile",
                "entity_id": "12",
                "metadata": {"button": "save"},
                "timestamp": body["results"][0]["timestamp"],
                "duration_ms": 1.5,
                "status_code": 201,
                "referrer": None,
            }
        ],
        "cursor": None,
        "has_more": False,
    }
    assert body["results"][0]["timestamp"].endswith("Z")


def test_default_page_size_is_20(student, auth_client) -> None:
    now = timezone.now()
    for i in range(21):
        _event(student, at=now - timedelta(seconds=i))
    body = auth_client(student).get(URL).json()
    assert len(body["results"]) == 20
    assert body["has_more"] is True


def test_filters_by_action_and_entity_type(student, auth_client) -> None:
    now = timezone.now()
    clicks = [_event(student, "ui.click", at=now - timedelta(seconds=i)) for i in range(5)]
    views = [
        _event(student, "profile.viewed", at=now - timedelta(seconds=i), entity_type="tutor_profile") for i in range(3)
    ]
    _event(student, "ui.click", at=now, entity_type="lesson")
    client = auth_client(student)

    served, _ = _walk(client, {"action": "ui.click", "entity_type": "profile", "page_size": 2})
    assert served == _expected_order(clicks)
    served, _ = _walk(client, {"entity_type": "tutor_profile"})
    assert served == _expected_order(views)
    served, _ = _walk(client, {"action": "ui.click", "page_size": 100})
    assert len(served) == 6
    assert client.get(URL, {"action": "no.such_action"}).json()["results"] == []
    # Empty filters mean "no filter".
    assert len(client.get(URL, {"action": "", "entity_type": ""}).json()["results"]) == 9


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
        ({"page_size": -5}, "page_size"),
        ({"page_size": "ten"}, "page_size"),
        ({"action": "UI.Click"}, "action"),
        ({"action": "click"}, "action"),
        ({"action": "a." + "b" * 70}, "action"),
        ({"entity_type": "Profile"}, "entity_type"),
        ({"entity_type": "p" * 65}, "entity_type"),
        ({"cursor": "x" * 600}, "cursor"),
        ({"actions": "ui.click"}, "actions"),
    ],
)
def test_invalid_parameters_are_400_naming_the_field(student, auth_client, params, field) -> None:
    response = auth_client(student).get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    assert list(body["error"]["fields"]) == [field]


def test_page_size_bounds_are_inclusive(student, auth_client) -> None:
    now = timezone.now()
    for i in range(101):
        _event(student, at=now - timedelta(seconds=i))
    client = auth_client(student)
    assert len(client.get(URL, {"page_size": 1}).json()["results"]) == 1
    body = client.get(URL, {"page_size": 100}).json()
    assert len(body["results"]) == 100 and body["has_more"] is True


def _first_cursor(client, params: dict | None = None) -> str:
    body = client.get(URL, {"page_size": 1, **(params or {})}).json()
    assert body["cursor"]
    return body["cursor"]


def test_tampered_cursor_is_400_on_cursor(student, auth_client) -> None:
    now = timezone.now()
    for i in range(3):
        _event(student, at=now - timedelta(seconds=i))
    client = auth_client(student)
    cursor = _first_cursor(client)
    payload, signature = cursor.split(":", 1)
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    for bad in [flipped + ":" + signature, cursor[:-2], "garbage", cursor + "x", "::"]:
        response = client.get(URL, {"cursor": bad})
        assert response.status_code == 400, bad
        assert list(response.json()["error"]["fields"]) == ["cursor"]


def test_cursor_is_bound_to_its_filters_and_user(student, auth_client) -> None:
    other = StudentFactory()
    now = timezone.now()
    for i in range(3):
        _event(student, at=now - timedelta(seconds=i))
        _event(other, at=now - timedelta(seconds=i))
    client = auth_client(student)
    cursor = _first_cursor(client, {"action": "ui.click"})

    assert client.get(URL, {"cursor": cursor, "action": "ui.click", "page_size": 1}).status_code == 200
    for params in [{}, {"action": "ui.hover"}, {"action": "ui.click", "entity_type": "profile"}]:
        response = client.get(URL, {"cursor": cursor, **params})
        assert response.status_code == 400, params
        assert "other filters" in response.json()["error"]["fields"]["cursor"][0]
    # In the request's language.
    polish = auth_client(student, accept_language="pl").get(URL, {"cursor": cursor})
    assert polish.json()["error"]["fields"]["cursor"] == [
        "Ten kursor powstał dla innych filtrów; zacznij od pierwszej strony."
    ]
    ukrainian = auth_client(student, accept_language="uk").get(URL, {"cursor": "garbage"})
    assert ukrainian.json()["error"]["fields"]["cursor"] == ["Некоректний курсор."]
    # Someone else's cursor is refused too.
    response = auth_client(other).get(URL, {"cursor": cursor, "action": "ui.click"})
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["cursor"]
    # Changing page_size between pages is fine.
    assert client.get(URL, {"cursor": cursor, "action": "ui.click", "page_size": 50}).status_code == 200


def test_keyset_query_uses_no_offset(student, auth_client) -> None:
    now = timezone.now()
    for i in range(5):
        _event(student, at=now - timedelta(seconds=i))
    client = auth_client(student)
    cursor = _first_cursor(client)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, {"cursor": cursor, "page_size": 2}).status_code == 200
    feed_sql = [q["sql"] for q in queries.captured_queries if "activity_activitylog" in q["sql"]]
    assert len(feed_sql) == 1
    assert "OFFSET" not in feed_sql[0].upper()
    assert "LIMIT 3" in feed_sql[0]


def test_feed_requires_authentication(api_client) -> None:
    response = api_client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("params", "index"),
    [
        ({}, "activity_feed_idx"),
        ({"action": "ui.click"}, "activity_feed_action_idx"),
        ({"entity_type": "profile"}, "activity_feed_entity_idx"),
    ],
)
def test_feed_pages_are_read_in_index_order(student, auth_client, params, index) -> None:
    """Each page is an index range scan in the feed order: no sort, no scan of other users' rows."""
    now = timezone.now()
    kinds = [("ui.click", "profile")] + [(f"ui.event_{i}", f"entity_{i}") for i in range(30)]
    ActivityLog.objects.bulk_create(
        ActivityLog(user=student, action=action, entity_type=entity_type, timestamp=now - timedelta(seconds=i))
        for i in range(1200)
        for action, entity_type in [kinds[i % len(kinds)]]
    )
    with connection.cursor() as db:
        db.execute("ANALYZE activity_activitylog")
    client = auth_client(student)
    cursor = _first_cursor(client, params)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, {"cursor": cursor, "page_size": 2, **params}).status_code == 200
    (sql,) = [q["sql"] for q in queries.captured_queries if "activity_activitylog" in q["sql"]]
    with connection.cursor() as db:
        db.execute("SET LOCAL enable_seqscan = off")  # a test-sized table would be read whole
        db.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in db.fetchall())
    assert index in plan, plan
    assert "Sort" not in plan, plan

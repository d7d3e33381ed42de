"""Activity events and MarketplaceMetrics of the read path: buffered, then drained."""

from __future__ import annotations

import logging

import pytest

from tests.factories import TutorProfileFactory
from web.activity.buffer import activity_buffer_drain
from web.activity.models import ActivityLog
from web.marketplace.models import MarketplaceMetrics
from web.marketplace.services import marketplace_metrics_drain

URL = "/api/marketplace/tutors/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed(index_tutors, clean_buffers):
    profiles = [TutorProfileFactory(headline=f"Algebra tutor {n}", hourly_rate=300 + n) for n in range(3)]
    index_tutors(*profiles)
    return profiles


def test_search_filter_and_sort_events(api_client, indexed) -> None:
    response = api_client.get(URL, {"search": "algebra", "subject": "math", "ordering": "price", "page_size": 2})
    assert response.status_code == 200
    # Nothing in the table yet: events wait in Redis.
    assert not ActivityLog.objects.filter(action__startswith="marketplace.").exists()
    activity_buffer_drain()
    events = {e.action: e for e in ActivityLog.objects.filter(action__startswith="marketplace.")}
    assert set(events) == {"marketplace.search", "marketplace.filter.applied", "marketplace.sort.changed"}
    meta = events["marketplace.search"].metadata
    assert meta["query"] == "algebra"
    assert meta["filters"] == {"subject": "math"}
    # Every match, not the two on this page.
    assert meta["result_count"] == 3
    assert meta["status_code"] == 200
    assert meta["duration_ms"] >= 0
    assert events["marketplace.sort.changed"].metadata["ordering"] == "price"
    assert all(e.user_id is None and e.status_code == 200 for e in events.values())


def test_a_signed_in_visitor_is_the_actor_without_sql(
    auth_client, student, indexed, django_assert_num_queries
) -> None:
    from web.marketplace.selectors import subject_slugs

    subject_slugs()  # a warm process
    client = auth_client(student)
    with django_assert_num_queries(0):
        assert client.get(URL, {"search": "algebra"}).status_code == 200
    assert client.get(f"{URL}{indexed[0].pk}/").status_code == 200
    activity_buffer_drain()
    assert ActivityLog.objects.get(action="marketplace.search").user_id == student.pk
    assert ActivityLog.objects.get(action="profile.viewed").user_id == student.pk


def test_an_invalid_token_is_a_401_not_an_anonymous_search(api_client, indexed) -> None:
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not.a.jwt")
    response = api_client.get(URL, {"search": "algebra"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_not_valid"


def test_following_pages_record_no_events_and_metrics_say_which_page(api_client, indexed) -> None:
    params = {"search": "algebra", "ordering": "price", "page_size": 1}
    cursor = api_client.get(URL, params).json()["cursor"]
    assert api_client.get(URL, {**params, "cursor": cursor}).status_code == 200
    activity_buffer_drain()
    actions = sorted(ActivityLog.objects.filter(action__startswith="marketplace.").values_list("action", flat=True))
    assert actions == ["marketplace.search", "marketplace.sort.changed"]  # the first page's only
    assert marketplace_metrics_drain() == 2
    assert list(MarketplaceMetrics.objects.order_by("id").values_list("first_page", flat=True)) == [True, False]


def test_a_plain_listing_records_no_events(api_client, indexed) -> None:
    assert api_client.get(URL, {"page_size": 1}).status_code == 200
    activity_buffer_drain()
    assert not ActivityLog.objects.filter(action__startswith="marketplace.").exists()


def test_profile_viewed_event(api_client, indexed) -> None:
    tutor = indexed[0]
    assert api_client.get(f"{URL}{tutor.pk}/").status_code == 200
    assert api_client.get(f"{URL}999999/").status_code == 404
    activity_buffer_drain()
    event = ActivityLog.objects.get(action="profile.viewed")
    assert event.entity_id == str(tutor.pk)
    assert event.metadata["status_code"] == 200


def test_metrics_rows_are_buffered_then_drained(api_client, indexed) -> None:
    api_client.get(URL, {"search": "algebra"})
    api_client.get(URL, {"search": "nothingmatcheszz"})
    api_client.get(f"{URL}{indexed[0].pk}/")
    assert MarketplaceMetrics.objects.count() == 0
    assert marketplace_metrics_drain() == 3
    rows = list(MarketplaceMetrics.objects.order_by("timestamp", "id"))
    assert [(r.endpoint, r.search, r.result_count, r.status_code) for r in rows] == [
        ("list", "algebra", 3, 200), ("list", "nothingmatcheszz", 0, 200), ("detail", "", 1, 200)
    ]
    assert rows[0].ordering == "relevance"
    assert rows[0].engine_ms is not None and rows[0].duration_ms > 0
    assert marketplace_metrics_drain() == 0


def test_prometheus_metrics(api_client, indexed) -> None:
    from prometheus_client import REGISTRY

    def value(name: str, labels: dict | None = None) -> float:
        return REGISTRY.get_sample_value(name, labels or {}) or 0.0

    zero_before = value("marketplace_zero_result_searches_total")
    count_before = value("marketplace_query_duration_ms_count", {"endpoint": "list", "status": "200"})
    api_client.get(URL, {"search": "nothingmatcheszz"})
    api_client.get(URL)
    assert value("marketplace_zero_result_searches_total") == zero_before + 1
    assert value("marketplace_query_duration_ms_count", {"endpoint": "list", "status": "200"}) == count_before + 2
    exposition = api_client.get("/metrics").content.decode()
    assert "marketplace_query_duration_ms_bucket" in exposition


def test_slow_queries_are_logged(caplog, clean_buffers) -> None:
    from web.marketplace.services import SearchRecord, marketplace_search_record

    def record(ms: float) -> SearchRecord:
        return SearchRecord(search=None, filters={}, ordering=None, effective_ordering="rating", first_page=False,
                            result_count=1, duration_ms=ms, engine_ms=1, status_code=200)

    with caplog.at_level(logging.WARNING, logger="mash.marketplace"):
        marketplace_search_record(record(100))
        marketplace_search_record(record(200))
        marketplace_search_record(record(400))
    levels = [r.levelno for r in caplog.records if r.name == "mash.marketplace"]
    assert levels == [logging.WARNING, logging.ERROR]


def test_503_is_recorded(api_client, settings, clean_buffers) -> None:
    from search.client import reset_clients

    settings.OPENSEARCH_URL = "http://127.0.0.1:1"
    reset_clients()
    assert api_client.get(URL, {"search": "algebra"}).status_code == 503
    reset_clients()
    activity_buffer_drain()
    marketplace_metrics_drain()
    assert ActivityLog.objects.get(action="marketplace.search").metadata["status_code"] == 503
    assert MarketplaceMetrics.objects.get().status_code == 503


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_a_search_does_not_even_connect_to_the_database_and_its_events_are_kept(
    api_client, indexed, settings, tmp_path, monkeypatch
) -> None:
    from django.db import connection

    from config.embedded import EmbeddedRedis
    from web.activity.buffer import direct_writer
    from web.marketplace import services
    from web.marketplace.selectors import subject_slugs

    subject_slugs()  # a warm process
    monkeypatch.setattr(services, "_metrics_skip_until", 0.0)  # restored after the test
    redis, running = EmbeddedRedis(tmp_path / "redis").start(), settings.REDIS_URL
    settings.REDIS_URL = redis.url
    redis.stop()
    connection.close()  # a request thread that has not used the database yet
    try:
        response = api_client.get(URL, {"search": "algebra", "subject": "math"})
        # No connection opened at all (so no SQL, and no wait on a database that is down).
        assert connection.connection is None
    finally:
        settings.REDIS_URL = running  # the buffers' clean-up needs the test run's Redis
    assert response.status_code == 200
    assert direct_writer.flush(10)
    actions = set(ActivityLog.objects.values_list("action", flat=True))
    assert actions == {"marketplace.search", "marketplace.filter.applied"}

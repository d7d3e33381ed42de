"""The MarketplaceMetrics drain keeps good rows through bad rows and a database outage."""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from tests.support.db import inserts_fail_like_a_lost_connection, table_locked
from web.core.redis_client import redis_client
from web.marketplace.models import MarketplaceMetrics
from web.marketplace.services import METRICS_BUFFER_KEY, marketplace_metrics_drain


def _raw(search: str, status_code: int = 200) -> str:
    row = {
        "timestamp": timezone.now().isoformat(), "endpoint": "list", "search": search, "filters": {},
        "ordering": "rating", "first_page": True, "result_count": 1, "duration_ms": 5.0, "engine_ms": 3.0,
        "status_code": status_code,
    }
    return json.dumps(row)


@pytest.mark.django_db
def test_a_row_the_database_refuses_does_not_take_the_batch_with_it(clean_buffers) -> None:
    redis_client().rpush(METRICS_BUFFER_KEY, _raw("first"), _raw("refused", status_code=-1), _raw("last"))
    assert marketplace_metrics_drain() == 2
    assert sorted(MarketplaceMetrics.objects.values_list("search", flat=True)) == ["first", "last"]
    assert redis_client().llen(METRICS_BUFFER_KEY) == 0


@pytest.mark.django_db
def test_a_row_with_a_value_its_column_cannot_take_is_dropped_alone(clean_buffers) -> None:
    malformed = json.loads(_raw("malformed"))
    malformed["status_code"] = "two hundred"  # fails in the field's conversion, before the database
    redis_client().rpush(METRICS_BUFFER_KEY, _raw("first"), json.dumps(malformed), _raw("last"))
    assert marketplace_metrics_drain() == 2
    assert sorted(MarketplaceMetrics.objects.values_list("search", flat=True)) == ["first", "last"]
    assert redis_client().llen(METRICS_BUFFER_KEY) == 0


@pytest.mark.django_db(transaction=True)
def test_a_batch_the_database_cannot_take_goes_back_to_the_buffer(clean_buffers) -> None:
    redis_client().rpush(METRICS_BUFFER_KEY, _raw("a"), _raw("b"), _raw("c"))
    table = MarketplaceMetrics._meta.db_table
    # Another session holds the table, and this one gives up waiting for it: an
    # OperationalError, as when the database is unreachable.
    with table_locked(table):
        assert marketplace_metrics_drain() == 0
    buffered = [json.loads(raw)["search"] for raw in redis_client().lrange(METRICS_BUFFER_KEY, 0, -1)]
    assert buffered == ["a", "b", "c"]
    assert marketplace_metrics_drain() == 3
    assert sorted(MarketplaceMetrics.objects.values_list("search", flat=True)) == ["a", "b", "c"]


@pytest.mark.django_db(transaction=True)
def test_an_outage_during_the_row_by_row_inserts_stores_nothing_twice(clean_buffers) -> None:
    # A row the database refuses sends the batch down the row-by-row path; then the row
    # "boom" fails the way a lost connection does, half-way through.
    with inserts_fail_like_a_lost_connection(MarketplaceMetrics._meta.db_table, when="NEW.search = 'boom'"):
        redis_client().rpush(
            METRICS_BUFFER_KEY, _raw("a"), _raw("refused", status_code=-1), _raw("b"), _raw("boom"), _raw("c")
        )
        assert marketplace_metrics_drain() == 0
        assert not MarketplaceMetrics.objects.exists()
    assert marketplace_metrics_drain() == 4
    assert sorted(MarketplaceMetrics.objects.values_list("search", flat=True)) == ["a", "b", "boom", "c"]

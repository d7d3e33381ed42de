"""Writes of the marketplace: telemetry and activity events of its read path.

A search request must not touch SQL, so everything it records goes to Redis:
activity events through `activity_log_buffered`, MarketplaceMetrics rows through a
Redis list drained in bulk by `marketplace_metrics_drain_task`. Metrics are
telemetry: when Redis is unreachable they are dropped (and counted in the log),
never allowed to slow or fail the response.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import redis
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, DataError, IntegrityError
from django.utils import timezone

from web.activity.buffer import activity_log_buffered
from web.core.db import insert_all_or_each
from web.core.redis_client import redis_client
from web.marketplace import metrics
from web.marketplace.models import MarketplaceMetrics

log = logging.getLogger("mash.marketplace")

METRICS_BUFFER_KEY = "{marketplace}:metrics"
METRICS_DRAIN_BATCH = 1000
METRICS_DRAIN_MAX_BATCHES = 50
# A search slower than this logs a warning, slower than the second an error.
SLOW_WARNING_MS = 150.0
SLOW_ERROR_MS = 300.0
_METRICS_BACKOFF_SECONDS = 5.0
_metrics_skip_until = 0.0
# What is wrong with a row itself (not with the database being reachable): refused by
# the database, or by the field's conversion before it is sent (a malformed value).
_REFUSED = (DataError, IntegrityError, ValueError, TypeError)


@dataclass
class SearchRecord:
    """What a marketplace list request did, for telemetry and activity."""

    search: str | None
    filters: dict[str, Any]
    ordering: str | None  # as the client asked (None: the default order)
    effective_ordering: str
    first_page: bool
    result_count: int  # tutors matching the query over all pages, not only this page's
    duration_ms: float
    engine_ms: float | None
    status_code: int


def _metrics_push(row: dict[str, Any]) -> None:
    global _metrics_skip_until
    if time.monotonic() < _metrics_skip_until:
        return
    try:
        redis_client().rpush(METRICS_BUFFER_KEY, json.dumps(row, cls=DjangoJSONEncoder, separators=(",", ":")))
    except redis.RedisError as exc:
        _metrics_skip_until = time.monotonic() + _METRICS_BACKOFF_SECONDS
        log.warning("marketplace metrics dropped, Redis unavailable", extra={"error": str(exc)})


def _log_slow(endpoint: str, duration_ms: float, context: dict[str, Any]) -> None:
    if duration_ms > SLOW_ERROR_MS:
        log.error("marketplace query very slow", extra={"endpoint": endpoint, "duration_ms": duration_ms, **context})
    elif duration_ms > SLOW_WARNING_MS:
        log.warning("marketplace query slow", extra={"endpoint": endpoint, "duration_ms": duration_ms, **context})


def marketplace_search_record(record: SearchRecord, *, actor: Any = None) -> None:
    """Telemetry and activity events of one list request, without a database write.

    Events describe what the visitor did, so they are recorded for the first page of
    a search only (following its pages is not a new search): `marketplace.search` when
    a text was given, `marketplace.filter.applied` when any filter was, and
    `marketplace.sort.changed` for an explicit ordering.
    """
    status = str(record.status_code)
    metrics.QUERY_DURATION_MS.labels("list", status).observe(record.duration_ms)
    if record.engine_ms is not None:
        metrics.ENGINE_DURATION_MS.observe(record.engine_ms)
    if record.status_code == 200:
        metrics.RESULT_COUNT.observe(record.result_count)
        if record.first_page and record.result_count == 0:
            metrics.ZERO_RESULTS.inc()
    elif record.status_code == 503:
        metrics.UNAVAILABLE.inc()
    _log_slow(
        "list",
        record.duration_ms,
        {"search": record.search, "filters": record.filters, "ordering": record.effective_ordering,
         "engine_ms": record.engine_ms, "result_count": record.result_count},
    )
    _metrics_push(
        {
            "timestamp": timezone.now(),
            "endpoint": MarketplaceMetrics.Endpoint.LIST,
            "search": record.search or "",
            "filters": record.filters,
            "ordering": record.effective_ordering,
            "first_page": record.first_page,
            "result_count": record.result_count,
            "duration_ms": record.duration_ms,
            "engine_ms": record.engine_ms,
            "status_code": record.status_code,
        }
    )
    if not record.first_page:
        return
    metadata = {
        "query": record.search,
        "filters": record.filters,
        "result_count": record.result_count,
        "duration_ms": record.duration_ms,
        "status_code": record.status_code,
    }
    actions = []
    if record.search:
        actions.append(("marketplace.search", metadata))
    if record.filters:
        actions.append(("marketplace.filter.applied", metadata))
    if record.ordering:
        actions.append(("marketplace.sort.changed", {**metadata, "ordering": record.ordering}))
    for action, data in actions:
        activity_log_buffered(
            actor, action, entity_type="marketplace", metadata=data,
            status_code=record.status_code, duration_ms=record.duration_ms,
        )


def marketplace_profile_view_record(
    tutor_id: int, *, status_code: int, duration_ms: float, actor: Any = None
) -> None:
    """Telemetry and the `profile.viewed` event of one detail request (only when it was shown)."""
    metrics.QUERY_DURATION_MS.labels("detail", str(status_code)).observe(duration_ms)
    _log_slow("detail", duration_ms, {"tutor_id": tutor_id})
    _metrics_push(
        {
            "timestamp": timezone.now(),
            "endpoint": MarketplaceMetrics.Endpoint.DETAIL,
            "filters": {"tutor_id": tutor_id},
            "result_count": 1 if status_code == 200 else 0,
            "duration_ms": duration_ms,
            "status_code": status_code,
        }
    )
    if status_code == 200:
        activity_log_buffered(
            actor, "profile.viewed", entity_type="tutor_profile", entity_id=tutor_id,
            metadata={"query": None, "filters": {"tutor_id": tutor_id}, "result_count": 1,
                      "duration_ms": duration_ms, "status_code": status_code},
            status_code=status_code, duration_ms=duration_ms,
        )


def _row(raw: bytes | str) -> MarketplaceMetrics | None:
    try:
        data = json.loads(raw)
        data["timestamp"] = datetime.fromisoformat(data["timestamp"])
        return MarketplaceMetrics(**data)
    except (ValueError, TypeError, KeyError) as exc:
        log.error("dropping a malformed buffered marketplace metric", extra={"error": str(exc)})
        return None


def marketplace_metrics_drain(
    *, batch_size: int = METRICS_DRAIN_BATCH, max_batches: int = METRICS_DRAIN_MAX_BATCHES
) -> int:
    """Move buffered MarketplaceMetrics rows from Redis into the table; returns how many.

    Each batch is taken off the list atomically (MULTI: LRANGE + LTRIM) and then
    inserted. When the database cannot be reached the batch goes back to the head of
    the list for the next run; a crash between the two loses that batch of telemetry,
    which is cheaper than the bookkeeping exactly-once delivery would need.
    """
    client = redis_client(timeout=10.0)
    stored = 0
    for _ in range(max_batches):
        try:
            pipe = client.pipeline(transaction=True)
            pipe.lrange(METRICS_BUFFER_KEY, 0, batch_size - 1)
            pipe.ltrim(METRICS_BUFFER_KEY, batch_size, -1)
            raw_rows, _trimmed = pipe.execute()
        except redis.RedisError as exc:
            log.warning("marketplace metrics not drained, Redis unavailable", extra={"error": str(exc)})
            break
        rows = [row for row in (_row(raw) for raw in raw_rows) if row is not None]
        try:
            stored += insert_all_or_each(rows, refused=_REFUSED, log=log, what="marketplace metrics")
        except DatabaseError as exc:
            _put_back(client, raw_rows)
            log.warning("marketplace metrics not drained, database unavailable", extra={"error": str(exc)})
            break
        if len(raw_rows) < batch_size:
            break
    return stored


def _put_back(client: redis.Redis, raw_rows: list[bytes]) -> None:
    try:
        client.lpush(METRICS_BUFFER_KEY, *reversed(raw_rows))
    except redis.RedisError as exc:
        log.error("a batch of marketplace metrics lost", extra={"error": str(exc), "count": len(raw_rows)})

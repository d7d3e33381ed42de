"""The buffered form of an event (one JSON string) and the bulk insert of a batch of them.

Both ways an event can travel outside the caller's transaction end here: the drain of
the Redis buffer and the direct writer used while Redis is down. Each payload carries
an `event_id`, so a batch stored twice (a repeated drain, a copy handed to Redis by the
writer) is stored once.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DataError, IntegrityError
from django.utils import timezone

from web.activity.models import ActivityLog
from web.core.db import insert_all_or_each

logger = logging.getLogger("mash.activity")

PAYLOAD_VERSION = 1

# What one bad row can raise (a value the column or jsonb refuses); anything else, such as
# the database being down, propagates and leaves the batch with its caller.
_REFUSED = (DataError, IntegrityError, ValueError, TypeError)


def payload_encode(fields: dict[str, Any]) -> str:
    """The JSON of an event's fields (see `event_fields`) plus its `event_id`."""
    # isoformat() keeps microseconds; DjangoJSONEncoder would cut the timestamp to milliseconds.
    payload = {"v": PAYLOAD_VERSION, **fields, "timestamp": fields["timestamp"].isoformat()}
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"))


def payload_decode(raw: bytes | str) -> ActivityLog:
    """Rebuild an event from its buffered JSON; raises ValueError/TypeError/KeyError if malformed."""
    data = json.loads(raw)
    if not isinstance(data, dict) or data.get("v") != PAYLOAD_VERSION:
        raise ValueError("unknown payload format")
    user_id = data.get("user_id")
    if (
        not isinstance(data["action"], str)
        or not isinstance(data.get("metadata") or {}, dict)
        or not (user_id is None or (isinstance(user_id, int) and not isinstance(user_id, bool)))
    ):
        raise TypeError("malformed event")
    timestamp = datetime.fromisoformat(data["timestamp"])
    if timezone.is_naive(timestamp):
        raise ValueError("timestamp without a time zone")
    event_id = data.get("event_id")
    return ActivityLog(
        event_id=uuid.UUID(event_id) if event_id is not None else None,  # ValueError if malformed
        user_id=user_id,
        action=data["action"],
        entity_type=data.get("entity_type") or "",
        entity_id=data.get("entity_id"),
        metadata=data.get("metadata") or {},
        timestamp=timestamp,
        duration_ms=data.get("duration_ms"),
        status_code=data.get("status_code"),
        referrer=data.get("referrer"),
    )


def payloads_store(raw_events: Iterable[bytes | str]) -> int:
    """Insert buffered events; drops (and logs) the ones that can never be inserted.

    Returns how many were inserted. A database that cannot be reached raises
    DatabaseError, and the caller keeps the batch.
    """
    rows: list[ActivityLog] = []
    for raw in raw_events:
        try:
            rows.append(payload_decode(raw))
        except (ValueError, TypeError, KeyError) as exc:
            logger.error("dropping a malformed buffered activity event", extra={"error": str(exc), "raw": raw[:200]})
    # An account deleted since the event was buffered took its events with it.
    user_ids = {row.user_id for row in rows if row.user_id is not None}
    if user_ids:
        existing = set(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", flat=True))
        rows = [row for row in rows if row.user_id is None or row.user_id in existing]
    # An event delivered twice carries the same event_id: the second copy is skipped.
    return insert_all_or_each(
        rows, refused=_REFUSED, log=logger, what="buffered activity events", skip_duplicates=True
    )

"""Reads of the activity domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q

from web.activity.models import ActivityLog
from web.core.cursor import InvalidCursor, cursor_decode, cursor_encode

FEED_CURSOR_SALT = "web.activity.feed"
FEED_PAGE_SIZE = 20
FEED_MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class ActivityFeedPage:
    results: list[ActivityLog]
    cursor: str | None
    has_more: bool


def _position(raw: list[Any]) -> tuple[datetime, int]:
    """The (timestamp, id) of the last event served, as signed into the cursor."""
    try:
        timestamp_text, last_id = raw
        timestamp = datetime.fromisoformat(timestamp_text)
    except (TypeError, ValueError):
        raise InvalidCursor("Invalid cursor.") from None
    if timestamp.tzinfo is None or not isinstance(last_id, int) or isinstance(last_id, bool):
        raise InvalidCursor("Invalid cursor.")
    return timestamp, last_id


def activity_feed(
    *,
    user: Any,
    action: str = "",
    entity_type: str = "",
    cursor: str = "",
    page_size: int = FEED_PAGE_SIZE,
) -> ActivityFeedPage:
    """One page of the user's own events, newest first: ordered by (-timestamp, id).

    Keyset pagination, never OFFSET: the cursor holds the (timestamp, id) of the last
    event served and the next page starts strictly after it, ties on timestamp broken
    by id. Each event is served at most once per walk; events written during the walk
    carry later timestamps, land before the cursor and show up in the next walk.
    The cursor is bound to the user and filters it was made for; a tampered, foreign
    or mismatched cursor raises ValidationError on "cursor".
    """
    if not 1 <= page_size <= FEED_MAX_PAGE_SIZE:
        raise ValidationError({"page_size": [f"Must be between 1 and {FEED_MAX_PAGE_SIZE}."]})
    bound_to = {"user": user.pk, "action": action, "entity_type": entity_type}
    events = ActivityLog.objects.filter(user=user)
    if action:
        events = events.filter(action=action)
    if entity_type:
        events = events.filter(entity_type=entity_type)
    if cursor:
        try:
            timestamp, last_id = _position(cursor_decode(cursor, salt=FEED_CURSOR_SALT, bound_to=bound_to))
        except InvalidCursor as exc:
            raise ValidationError({"cursor": [str(exc)]}) from None
        # `timestamp <= t` is the index range; the OR only trims the ties at t.
        events = events.filter(
            Q(timestamp__lt=timestamp) | Q(timestamp=timestamp, id__gt=last_id), timestamp__lte=timestamp
        )
    rows = list(events.order_by("-timestamp", "id")[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    next_cursor = None
    if has_more:
        last = rows[-1]
        next_cursor = cursor_encode([last.timestamp.isoformat(), last.pk], salt=FEED_CURSOR_SALT, bound_to=bound_to)
    return ActivityFeedPage(results=rows, cursor=next_cursor, has_more=has_more)

"""Reads of the activity domain."""

from __future__ import annotations

from typing import Any

from web.activity.models import ActivityLog
from web.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, keyset_page

FEED_CURSOR_SALT = "web.activity.feed"
FEED_ORDER = ("-timestamp", "id")
FEED_PAGE_SIZE = DEFAULT_PAGE_SIZE
FEED_MAX_PAGE_SIZE = MAX_PAGE_SIZE


def activity_feed(
    *,
    user: Any,
    action: str = "",
    entity_type: str = "",
    cursor: str | None = None,
    page_size: int = FEED_PAGE_SIZE,
) -> Page[ActivityLog]:
    """One page of the user's own events, newest first: ordered by (-timestamp, id).

    Keyset pagination (web/core/pagination.py): each event is served at most once per
    walk; events written during the walk carry later timestamps, land before the cursor
    and show up in the next walk. The cursor is bound to the user and filters it was
    made for; a tampered, foreign or mismatched cursor raises InvalidInput on "cursor".
    """
    events = ActivityLog.objects.filter(user=user)
    if action:
        events = events.filter(action=action)
    if entity_type:
        events = events.filter(entity_type=entity_type)
    return keyset_page(
        events,
        order=FEED_ORDER,
        cursor=cursor,
        page_size=page_size,
        bound_to={"user": user.pk, "action": action, "entity_type": entity_type},
        salt=FEED_CURSOR_SALT,
        max_page_size=FEED_MAX_PAGE_SIZE,
    )

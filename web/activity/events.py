"""Recording an event synchronously: the event names, their checks, and `activity_log`.

`activity_log` inserts in the caller's transaction, so it suits events that describe
a change (the event commits or rolls back with it). High-volume events that describe
no change go through `web.activity.buffer.activity_log_buffered` instead; both build
the row's fields with `event_fields`.

Callers pass the acting user and plain values, never the HTTP request: the referrer
and the time since the request arrived come from the request context that the
middleware sets (`web.core.context`), and are absent outside a request.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from web.activity.models import (
    ACTION_MAX_LENGTH,
    ACTION_RE,
    ENTITY_ID_MAX_LENGTH,
    ENTITY_TYPE_MAX_LENGTH,
    ENTITY_TYPE_RE,
    REFERRER_MAX_LENGTH,
    ActivityLog,
)
from web.core.context import RequestContext, request_context
from web.core.identity import user_id_of


def _referrer(context: RequestContext | None) -> str | None:
    # The context keeps the header at a longer bound than the column does.
    if context is None or not context.referrer:
        return None
    return context.referrer.replace("\x00", "")[:REFERRER_MAX_LENGTH] or None


def check_event(action: str, entity_type: str) -> None:
    """Refuse names outside the documented formats (a bug in the caller, not user input)."""
    if len(action) > ACTION_MAX_LENGTH or not ACTION_RE.fullmatch(action):
        raise ValueError(f"activity action {action!r} must match {ACTION_RE.pattern} (at most {ACTION_MAX_LENGTH})")
    if entity_type and (len(entity_type) > ENTITY_TYPE_MAX_LENGTH or not ENTITY_TYPE_RE.fullmatch(entity_type)):
        raise ValueError(f"activity entity_type {entity_type!r} must match {ENTITY_TYPE_RE.pattern}")


def event_fields(
    actor: Any,
    action: str,
    *,
    entity_type: str,
    entity_id: object,
    metadata: dict[str, Any] | None,
    status_code: int | None,
    duration_ms: float | None,
) -> dict[str, Any]:
    """The column values of one event, timestamped now; raises ValueError/TypeError on a bad call.

    Inside a request, the referrer is its Referer header (bounded, without NULs) and,
    unless given, `duration_ms` is the time since the request arrived.
    """
    check_event(action, entity_type)
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError("activity metadata must be a dict")
    context = request_context()
    if duration_ms is None and context is not None:
        duration_ms = context.elapsed_ms()
    return {
        "user_id": user_id_of(actor),
        "action": action,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id)[:ENTITY_ID_MAX_LENGTH],
        "metadata": metadata or {},
        "timestamp": timezone.now(),
        "duration_ms": duration_ms,
        "status_code": status_code,
        "referrer": _referrer(context),
    }


def activity_log(
    actor: Any,
    action: str,
    *,
    entity_type: str = "",
    entity_id: object = None,
    metadata: dict[str, Any] | None = None,
    status_code: int | None = None,
    duration_ms: float | None = None,
) -> ActivityLog:
    """Insert one event now, inside the caller's transaction (it commits or rolls back with it).

    `actor` is a User, or None / AnonymousUser for an anonymous visitor. Inside a
    request, the referrer comes from its Referer header and, unless given,
    `duration_ms` is the time since the request arrived. `action` must match
    ACTION_RE and `entity_type` ENTITY_TYPE_RE (ValueError otherwise).
    """
    fields = event_fields(
        actor, action, entity_type=entity_type, entity_id=entity_id, metadata=metadata,
        status_code=status_code, duration_ms=duration_ms,
    )
    return ActivityLog.objects.create(**fields)

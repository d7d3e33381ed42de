"""Events a client reports itself (UI telemetry), rate-limited per user."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from web.activity.events import activity_log
from web.activity.models import ActivityLog
from web.core.errors import RateLimited
from web.core.ratelimit import Rate, rate_limit_hit

TRIGGER_SCOPE = "activity.trigger"
TRIGGER_RATES = (Rate(limit=5, period_seconds=1), Rate(limit=30, period_seconds=60))
RATE_LIMITED_ACTION = "activity.trigger.rate_limited"
# The limiter's own event is written at most once per user per longest trigger window,
# so hammering the endpoint cannot turn into one row per refused request.
RATE_LIMITED_EVENT_RATE = Rate(limit=1, period_seconds=max(rate.period_seconds for rate in TRIGGER_RATES))


def activity_trigger(
    *,
    user: Any,
    action: str,
    entity_type: str = "",
    entity_id: object = None,
    metadata: dict[str, Any] | None = None,
) -> ActivityLog:
    """Record an event reported by the client (UI telemetry), rate-limited per user.

    At most 5 a second and 30 a minute across all of the user's sessions. Over the
    limit it raises RateLimited (429 + Retry-After) and records one
    `activity.trigger.rate_limited` event per user per minute at most. Referrer and
    duration come from the request being served, as in `activity_log`.
    """
    wait = rate_limit_hit(TRIGGER_SCOPE, str(user.pk), TRIGGER_RATES)
    if wait is not None:
        if rate_limit_hit(RATE_LIMITED_ACTION, str(user.pk), [RATE_LIMITED_EVENT_RATE]) is None:
            activity_log(
                user, RATE_LIMITED_ACTION, entity_type="user", entity_id=user.pk,
                metadata={"attempted_action": action, "retry_after": round(wait, 3)},
                status_code=429,
            )
        raise RateLimited(wait, _("Too many events: at most 5 a second and 30 a minute."))
    return activity_log(
        user, action, entity_type=entity_type, entity_id=entity_id, metadata=metadata, status_code=201,
    )

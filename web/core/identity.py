"""The id of whoever made a request, as an integer or None."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("mash.request")


def user_id_of(user: Any) -> int | None:
    """A signed-in user's id, or None for an anonymous visitor.

    `user` is a User, or a TokenUser read from a JWT without a query, whose id is the
    token's claim as a string; a claim that is not a number (a token this service did not
    issue, though signed with its key) counts as anonymous rather than failing a request
    that has already been served.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return int(user.pk)
    except (TypeError, ValueError):
        log.warning("a signed-in user without a numeric id", extra={"user_pk": str(user.pk)[:64]})
        return None

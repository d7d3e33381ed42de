"""The id of whoever made a request, as an integer or None."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from web.core.network import client_network

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


def client_address(request: Any) -> str:
    """The address the request came from, for per-client rate limits.

    REMOTE_ADDR, unless the deployment says how many proxies it runs behind
    (`TRUSTED_PROXY_HOPS`): then the address the outermost trusted proxy saw, taken
    from the right of X-Forwarded-For, since anything further left is the client's own
    claim and could be anything.
    """
    meta = request.META
    address = str(meta.get("REMOTE_ADDR") or "unknown")
    hops = getattr(settings, "TRUSTED_PROXY_HOPS", 0)
    if hops > 0:
        forwarded = [part.strip() for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    return client_network(address[:64])

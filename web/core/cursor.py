"""Opaque, signed cursors for keyset-paginated lists.

A cursor carries the sort key of the last row a client has seen, signed with
SECRET_KEY (django.core.signing) under a per-list salt, so a client can neither
forge a position nor replay one list's cursor on another. It is also bound to
the filters it was made for: the position of the last row is only meaningful
within the same filtered set, so reusing a cursor with other filters is an
error rather than a silently wrong page.

The payload is signed, not encrypted: it holds only sort-key values the client
already received in the page.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.core import signing

# Far above any real cursor; refuses to spend time on megabyte query strings.
MAX_CURSOR_LENGTH = 512


class InvalidCursor(ValueError):
    """The cursor is malformed, tampered with, expired or made for other filters."""


def _fingerprint(bound_to: Mapping[str, Any]) -> str:
    canonical = json.dumps(bound_to, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def cursor_encode(position: list[Any], *, salt: str, bound_to: Mapping[str, Any]) -> str:
    """Sign `position` (JSON values: the sort key of the last row served) for the list `salt`.

    `bound_to` names everything that defines the list (filters, owner); the cursor
    only decodes with the same values.
    """
    return signing.dumps({"p": position, "f": _fingerprint(bound_to)}, salt=salt, compress=False)


def cursor_decode(
    token: str, *, salt: str, bound_to: Mapping[str, Any], max_age: int | None = None
) -> list[Any]:
    """Return the position signed in `token`, or raise InvalidCursor.

    `max_age` (seconds) optionally expires old cursors.
    """
    if not token or len(token) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("Invalid cursor.")
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise InvalidCursor("This cursor has expired; start again from the first page.") from None
    except (signing.BadSignature, ValueError, TypeError):
        raise InvalidCursor("Invalid cursor.") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), list):
        raise InvalidCursor("Invalid cursor.")
    if payload.get("f") != _fingerprint(bound_to):
        raise InvalidCursor("This cursor was made for other filters; start again from the first page.")
    return payload["p"]

"""Opaque, signed cursors: the one codec of every paginated list.

A cursor carries the position of the last item a client has seen (sort-key values,
JSON), signed with SECRET_KEY (django.core.signing) under a per-list salt, so a client
can neither forge a position nor replay one list's cursor on another. It is also bound
to a fingerprint of what defines the list (its filters, its owner, its query): a
position is only meaningful within the same set, so reusing a cursor elsewhere is an
error rather than a silently wrong page.

Signed, not encrypted: a position holds only values the client already received.

`sign_cursor` / `read_cursor` are the generic codec (web/core/pagination.py builds the
database lists on them); `cursor_encode` / `cursor_decode` below are the search results'
`search_after` cursors on top of it. django.core.signing is a library, not an app, so
this package still imports no Django app.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.core import signing

# A real cursor is ~150 characters; far above any, it refuses to verify megabytes.
MAX_CURSOR_LENGTH = 512

# What a client is told, the same for every list.
INVALID_CURSOR = "Invalid cursor."
EXPIRED_CURSOR = "This cursor has expired; start again from the first page."
OTHER_FILTERS = "This cursor was made for other filters; start again from the first page."
OTHER_QUERY = "This cursor belongs to another query; start again from the first page."


class InvalidCursor(ValueError):
    """The cursor is malformed, tampered with, expired, or made for another list or query."""


def fingerprint(bound_to: Mapping[str, Any]) -> str:
    """A short digest of what a cursor is bound to; key order does not matter."""
    canonical = json.dumps(bound_to, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def sign_cursor(position: list[Any], *, salt: str, bound_to: Mapping[str, Any]) -> str:
    """Sign `position` (JSON values: where the last page ended) for the list `salt`.

    `bound_to` names everything that defines the list (filters, owner, query); the
    cursor only reads back with the same values.
    """
    return signing.dumps({"p": position, "f": fingerprint(bound_to)}, salt=salt, compress=False)


def read_cursor(
    token: str,
    *,
    salt: str,
    bound_to: Mapping[str, Any],
    max_age: int | None = None,
    mismatch: str = OTHER_FILTERS,
) -> list[Any]:
    """The position signed in `token`, or InvalidCursor.

    `max_age` (seconds) optionally expires old cursors; `mismatch` is the message for a
    genuine cursor of the same list made for other `bound_to` values.
    """
    if not token or len(token) > MAX_CURSOR_LENGTH:
        raise InvalidCursor(INVALID_CURSOR)
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise InvalidCursor(EXPIRED_CURSOR) from None
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidCursor(INVALID_CURSOR) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), list):
        raise InvalidCursor(INVALID_CURSOR)
    if payload.get("f") != fingerprint(bound_to):
        raise InvalidCursor(mismatch)
    return payload["p"]


# --- search results --------------------------------------------------------------

SALT = "search.tutors.cursor"


def cursor_encode(position: list[Any], identity: Mapping[str, Any]) -> str:
    """Sign the sort values of the last hit served for the query `identity`."""
    return sign_cursor(position, salt=SALT, bound_to=identity)


def cursor_decode(token: str, identity: Mapping[str, Any], *, length: int) -> list[Any]:
    """The `search_after` values in `token`, or InvalidCursor.

    `length` is the number of sort clauses of the query: a cursor of another shape
    cannot be one this query produced.
    """
    position = read_cursor(token, salt=SALT, bound_to=identity, mismatch=OTHER_QUERY)
    if len(position) != length or not all(
        isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in position
    ):
        raise InvalidCursor(INVALID_CURSOR)
    return position

"""Opaque, signed `search_after` cursors for search results.

A cursor carries the sort values of the last hit served, signed with SECRET_KEY
(django.core.signing) and bound to a fingerprint of the query it was made for: a
client can neither forge a position nor continue one query's pages under another.
Signed, not encrypted: the values are sort keys the client already saw.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.core import signing

SALT = "search.tutors.cursor"
# A real cursor is ~150 characters; refuse to verify megabytes.
MAX_CURSOR_LENGTH = 512


class InvalidCursor(ValueError):
    """Malformed, tampered with, or made for another query."""


def query_fingerprint(identity: Mapping[str, Any]) -> str:
    canonical = json.dumps(identity, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:20]


def cursor_encode(position: list[Any], identity: Mapping[str, Any]) -> str:
    """Sign the sort values of the last hit served for the query `identity`."""
    return signing.dumps({"a": position, "q": query_fingerprint(identity)}, salt=SALT, compress=False)


def cursor_decode(token: str, identity: Mapping[str, Any], *, length: int) -> list[Any]:
    """The `search_after` values in `token`, or InvalidCursor.

    `length` is the number of sort clauses of the query: a cursor of another shape
    cannot be one this query produced.
    """
    if not token or len(token) > MAX_CURSOR_LENGTH:
        raise InvalidCursor("Invalid cursor.")
    try:
        payload = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, TypeError, UnicodeDecodeError):
        raise InvalidCursor("Invalid cursor.") from None
    if not isinstance(payload, dict) or payload.get("q") != query_fingerprint(identity):
        raise InvalidCursor("This cursor belongs to another query; start again from the first page.")
    position = payload.get("a")
    if (
        not isinstance(position, list)
        or len(position) != length
        or not all(isinstance(v, (int, float, str)) and not isinstance(v, bool) for v in position)
    ):
        raise InvalidCursor("Invalid cursor.")
    return position

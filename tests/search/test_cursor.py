"""The one signed-cursor codec (search/cursor.py): round trip, tampering, salts, binding,
expiry; and the search results' `search_after` cursors built on it."""

from __future__ import annotations

import time

import pytest
from django.core import signing

from search.cursor import (
    MAX_CURSOR_LENGTH,
    SALT,
    InvalidCursor,
    cursor_decode,
    cursor_encode,
    read_cursor,
    sign_cursor,
)

# --- the generic codec ------------------------------------------------------------

LIST_SALT = "tests.list"
FILTERS = {"user": 7, "action": "ui.click"}


def test_round_trip() -> None:
    token = sign_cursor(["2026-02-15T10:22:33.418204+00:00", 4182], salt=LIST_SALT, bound_to=FILTERS)
    assert read_cursor(token, salt=LIST_SALT, bound_to=dict(reversed(FILTERS.items()))) == [
        "2026-02-15T10:22:33.418204+00:00",
        4182,
    ]
    assert len(token) < MAX_CURSOR_LENGTH


def test_tampered_or_garbage_is_refused() -> None:
    token = sign_cursor([1, 2], salt=LIST_SALT, bound_to=FILTERS)
    for bad in [token[:-1] + ("a" if token[-1] != "a" else "b"), "x" + token, "", "garbage", "a:b:c"]:
        with pytest.raises(InvalidCursor, match="^Invalid cursor.$"):
            read_cursor(bad, salt=LIST_SALT, bound_to=FILTERS)


def test_other_salt_is_refused() -> None:
    token = sign_cursor([1, 2], salt=LIST_SALT, bound_to=FILTERS)
    with pytest.raises(InvalidCursor):
        read_cursor(token, salt="tests.other-list", bound_to=FILTERS)


def test_other_filters_are_refused() -> None:
    token = sign_cursor([1, 2], salt=LIST_SALT, bound_to=FILTERS)
    for other in [{}, {**FILTERS, "action": "ui.hover"}, {**FILTERS, "entity_type": "profile"}, {"user": 8}]:
        with pytest.raises(InvalidCursor, match="other filters"):
            read_cursor(token, salt=LIST_SALT, bound_to=other)


def test_overlong_token_is_refused_without_decoding() -> None:
    with pytest.raises(InvalidCursor):
        read_cursor("a" * (MAX_CURSOR_LENGTH + 1), salt=LIST_SALT, bound_to=FILTERS)


def test_max_age() -> None:
    token = sign_cursor([1], salt=LIST_SALT, bound_to=FILTERS)
    assert read_cursor(token, salt=LIST_SALT, bound_to=FILTERS, max_age=60) == [1]
    time.sleep(1.1)
    with pytest.raises(InvalidCursor, match="expired"):
        read_cursor(token, salt=LIST_SALT, bound_to=FILTERS, max_age=1)


def test_a_signed_payload_without_a_position_is_refused() -> None:
    for payload in [[1, 2], {"f": "x"}, {"p": "not a list", "f": "x"}]:
        token = signing.dumps(payload, salt=LIST_SALT)
        with pytest.raises(InvalidCursor, match="^Invalid cursor.$"):
            read_cursor(token, salt=LIST_SALT, bound_to=FILTERS)


# --- search results ----------------------------------------------------------------

IDENTITY = {"subject": "math", "ordering": "price"}


def test_search_round_trip() -> None:
    token = cursor_encode([400, 17], IDENTITY)
    assert cursor_decode(token, dict(IDENTITY), length=2) == [400, 17]


def test_search_cursor_is_bound_to_its_query() -> None:
    token = cursor_encode([400, 17], IDENTITY)
    with pytest.raises(InvalidCursor, match="another query"):
        cursor_decode(token, {"subject": "physics", "ordering": "price"}, length=2)


def test_a_list_cursor_is_not_a_search_cursor() -> None:
    token = sign_cursor([400, 17], salt=LIST_SALT, bound_to=IDENTITY)
    with pytest.raises(InvalidCursor):
        cursor_decode(token, IDENTITY, length=2)


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "x" * 600, "eyJhIjpbNDAwLDE3XX0:1t9x:forgedsignature"],
)
def test_forged_or_malformed_cursors_are_refused(token: str) -> None:
    with pytest.raises(InvalidCursor):
        cursor_decode(token, IDENTITY, length=2)


def test_tampered_payload_is_refused() -> None:
    token = cursor_encode([400, 17], IDENTITY)
    payload, rest = token.split(":", 1)
    forged = signing.b64_encode(b'{"p":[0,1],"f":"x"}').decode() + ":" + rest
    with pytest.raises(InvalidCursor):
        cursor_decode(forged, IDENTITY, length=2)
    assert payload  # the original stays valid
    assert cursor_decode(token, IDENTITY, length=2) == [400, 17]


def test_a_validly_signed_cursor_of_the_wrong_shape_is_refused() -> None:
    for position in ([1], [1, 2, 3], [True, 1], [{"x": 1}, 1], [None, 1]):
        token = sign_cursor(position, salt=SALT, bound_to=IDENTITY)
        with pytest.raises(InvalidCursor):
            cursor_decode(token, IDENTITY, length=2)

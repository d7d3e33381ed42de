"""Signed cursors: round trip, tampering, salts, filter binding, expiry."""

from __future__ import annotations

import time

import pytest

from web.core.cursor import MAX_CURSOR_LENGTH, InvalidCursor, cursor_decode, cursor_encode

SALT = "tests.list"
FILTERS = {"user": 7, "action": "ui.click"}


def test_round_trip() -> None:
    token = cursor_encode(["2026-02-15T10:22:33.418204+00:00", 4182], salt=SALT, bound_to=FILTERS)
    assert cursor_decode(token, salt=SALT, bound_to=dict(reversed(FILTERS.items()))) == [
        "2026-02-15T10:22:33.418204+00:00",
        4182,
    ]
    assert len(token) < MAX_CURSOR_LENGTH


def test_tampered_or_garbage_is_refused() -> None:
    token = cursor_encode([1, 2], salt=SALT, bound_to=FILTERS)
    for bad in [token[:-1] + ("a" if token[-1] != "a" else "b"), "x" + token, "", "garbage", "a:b:c"]:
        with pytest.raises(InvalidCursor):
            cursor_decode(bad, salt=SALT, bound_to=FILTERS)


def test_other_salt_is_refused() -> None:
    token = cursor_encode([1, 2], salt=SALT, bound_to=FILTERS)
    with pytest.raises(InvalidCursor):
        cursor_decode(token, salt="tests.other-list", bound_to=FILTERS)


def test_other_filters_are_refused() -> None:
    token = cursor_encode([1, 2], salt=SALT, bound_to=FILTERS)
    for other in [{}, {**FILTERS, "action": "ui.hover"}, {**FILTERS, "entity_type": "profile"}, {"user": 8}]:
        with pytest.raises(InvalidCursor, match="other filters"):
            cursor_decode(token, salt=SALT, bound_to=other)


def test_overlong_token_is_refused_without_decoding() -> None:
    with pytest.raises(InvalidCursor):
        cursor_decode("a" * (MAX_CURSOR_LENGTH + 1), salt=SALT, bound_to=FILTERS)


def test_max_age() -> None:
    token = cursor_encode([1], salt=SALT, bound_to=FILTERS)
    assert cursor_decode(token, salt=SALT, bound_to=FILTERS, max_age=60) == [1]
    time.sleep(1.1)
    with pytest.raises(InvalidCursor, match="expired"):
        cursor_decode(token, salt=SALT, bound_to=FILTERS, max_age=1)

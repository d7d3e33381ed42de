"""web/core/pagination.py: keyset pages over any queryset, with signed, query-bound cursors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from search.cursor import sign_cursor
from tests.factories import StudentFactory
from web.activity.models import ActivityLog
from web.core.errors import InvalidInput
from web.core.pagination import MAX_PAGE_SIZE, keyset_page

pytestmark = pytest.mark.django_db

SALT = "tests.pagination"
ORDER = ("-timestamp", "id")


def _event(user, *, at, action="ui.click") -> ActivityLog:
    return ActivityLog.objects.create(user=user, action=action, entity_type="profile", timestamp=at)


def _page(user, cursor=None, *, page_size=3, order=ORDER, action=None, salt=SALT):
    rows = ActivityLog.objects.filter(user=user)
    if action:
        rows = rows.filter(action=action)
    return keyset_page(
        rows, order=order, cursor=cursor, page_size=page_size,
        bound_to={"user": user.pk, "action": action}, salt=salt,
    )


def _walk(user, *, between_pages=None, **kwargs) -> list[int]:
    served: list[int] = []
    cursor = None
    for pages in range(1, 100):
        page = _page(user, cursor, **kwargs)
        served += [row.pk for row in page.results]
        assert page.has_more is (page.cursor is not None)
        if not page.has_more:
            return served
        if between_pages:
            between_pages(pages)
        cursor = page.cursor
    raise AssertionError("the walk does not end")


@pytest.fixture
def user():
    return StudentFactory()


@pytest.fixture
def events(user) -> list[ActivityLog]:
    base = timezone.now() - timedelta(hours=1)
    rows = []
    for group, size in enumerate([2, 4, 1, 3]):  # ties on timestamp straddle page boundaries
        rows += [_event(user, at=base + timedelta(seconds=group)) for _ in range(size)]
    return rows


def _order(rows) -> list[int]:
    return [r.pk for r in sorted(rows, key=lambda r: (-r.timestamp.timestamp(), r.pk))]


def test_a_walk_serves_every_row_once_in_order(user, events) -> None:
    assert _walk(user) == _order(events)
    assert _walk(user, page_size=1) == _order(events)
    assert _walk(user, page_size=100) == _order(events)


def test_ascending_and_descending_keys(user, events) -> None:
    ascending = [r.pk for r in sorted(events, key=lambda r: (r.timestamp, r.pk))]
    assert _walk(user, order=("timestamp", "id")) == ascending
    assert _walk(user, order=("-id",)) == sorted((r.pk for r in events), reverse=True)
    assert _walk(user, order=("pk",)) == sorted(r.pk for r in events)


def test_rows_inserted_or_edited_during_the_walk_are_served_at_most_once(user, events) -> None:
    order = _order(events)
    inserted: list[int] = []
    edited: list[int] = []

    def write(page: int) -> None:
        # A new row, and an edit that bumps a row's time to now (as an `updated_at` does),
        # alternately of a row already served and of one still ahead: both move to the
        # front of a newest-first list, where the walk has already been.
        inserted.append(_event(user, at=timezone.now()).pk)
        pk = order[0] if page % 2 else order[-page]
        ActivityLog.objects.filter(pk=pk).update(timestamp=timezone.now())
        edited.append(pk)

    served = _walk(user, between_pages=write)
    assert len(served) == len(set(served))
    assert not set(inserted) & set(served)
    untouched = [pk for pk in order if pk not in edited]
    assert [pk for pk in served if pk in untouched] == untouched
    assert order[0] in served  # served, then edited: not served again
    assert order[-2] not in served  # edited before the walk reached it: it moved behind the walk


def test_a_tampered_cursor_is_invalid_input_on_cursor(user, events) -> None:
    cursor = _page(user).cursor
    payload, signature = cursor.split(":", 1)
    flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
    for bad in [flipped + ":" + signature, cursor[:-2], "garbage", cursor + "x", "::", "x" * 600]:
        with pytest.raises(InvalidInput) as error:
            _page(user, bad)
        assert error.value.fields == {"cursor": ["Invalid cursor."]}
        assert error.value.message == "Invalid input: cursor: Invalid cursor."


def test_a_cursor_belongs_to_its_list_filters_and_order(user, events) -> None:
    cursor = _page(user, action="ui.click").cursor
    assert _page(user, cursor, action="ui.click").results
    other = StudentFactory()
    for kwargs in [{}, {"action": "ui.hover"}, {"order": ("timestamp", "id"), "action": "ui.click"}]:
        with pytest.raises(InvalidInput, match="other filters"):
            _page(user, cursor, **kwargs)
    with pytest.raises(InvalidInput, match="other filters"):
        _page(other, cursor, action="ui.click")
    with pytest.raises(InvalidInput, match="Invalid cursor"):
        _page(user, cursor, action="ui.click", salt="tests.another-list")


def test_a_signed_position_of_the_wrong_shape_is_refused(user, events) -> None:
    bound = {"user": user.pk, "action": None, "order": list(ORDER)}
    now = timezone.now()
    for position in (
        [now.isoformat()],  # too short
        [now.isoformat(), 1, 2],  # too long
        [now.replace(tzinfo=None).isoformat(), 1],  # naive time
        ["yesterday", 1],
        [now.isoformat(), True],
        [now.isoformat(), "1"],
        [1, 1],
    ):
        with pytest.raises(InvalidInput) as error:
            _page(user, sign_cursor(position, salt=SALT, bound_to=bound))
        assert list(error.value.fields) == ["cursor"], position


def test_page_size_is_bounded(user, events) -> None:
    assert len(_page(user, page_size=1).results) == 1
    assert len(_page(user, page_size=MAX_PAGE_SIZE).results) == len(events)
    for size in (0, -1, MAX_PAGE_SIZE + 1):
        with pytest.raises(InvalidInput) as error:
            _page(user, page_size=size)
        assert error.value.fields == {"page_size": [f"Must be between 1 and {MAX_PAGE_SIZE}."]}


def test_an_ordering_without_a_unique_tie_breaker_is_a_bug(user) -> None:
    for order in [("-timestamp",), ("timestamp", "action"), (), ("no_such_field", "id"), ("referrer", "id")]:
        with pytest.raises(ValueError):
            _page(user, order=order)


def test_an_empty_list_is_one_empty_page(user) -> None:
    page = _page(user)
    assert (page.results, page.cursor, page.has_more) == ([], None, False)

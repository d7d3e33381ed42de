"""Keyset pagination: the one way every database list pages.

Every list that can grow answers ``{"results": [...], "cursor": "<opaque or null>",
"has_more": bool}``. A page is a range of an index, never an OFFSET: the cursor holds the
sort key of the last row served and the next page starts strictly after it, so a page
costs the same at any depth and no row is skipped or repeated because rows were added or
removed before the position. A walk serves every row at most once as long as an edit
moves a row's key only towards the front (a newest-first list by creation time, or by an
`updated_at` an edit bumps): an edited row lands where the walk has already been.

The ordering must end with a unique, non-null field (the primary key) so every row has
one place. Cursors are signed and bound to the list's filters (search/cursor.py): a
tampered cursor or one of another list or other filters is a 400 on ``cursor``.

A new list in a few lines::

    class InputSerializer(PageQuerySerializer):
        status = serializers.ChoiceField(...)

    page = keyset_page(lessons_of(user), order=("-starts_at", "id"), cursor=params.get("cursor"),
                       page_size=params["page_size"], bound_to={"user": user.pk}, salt="lessons.list")
    return Response(page_serializer(LessonOutputSerializer, ref_name="LessonPage")(page).data)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, Generic, TypeVar

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers

from search.cursor import (
    EXPIRED_CURSOR,
    INVALID_CURSOR,
    MAX_CURSOR_LENGTH,
    OTHER_FILTERS,
    OTHER_QUERY,
    InvalidCursor,
    read_cursor,
    sign_cursor,
)
from web.core.errors import InvalidInput

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_CURSOR_LENGTH",
    "MAX_PAGE_SIZE",
    "Page",
    "cursor_problem",
    "keyset_page",
    "page_example",
    "PageQuerySerializer",
    "cursor_field",
    "page_size_field",
    "page_serializer",
]

# What a list serves without `page_size`, and the most any list serves in one page (a
# list may set a lower maximum).
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    results: list[T]
    cursor: str | None  # pass back as `cursor` for the next page; None on the last
    has_more: bool


@dataclass(frozen=True)
class _Key:
    name: str
    field: models.Field
    descending: bool


def _keys(model: type[models.Model], order: Sequence[str]) -> list[_Key]:
    """The ordering's fields; refuses (a bug in the caller) an ordering without a unique last field."""
    if not order:
        raise ValueError("keyset_page needs an ordering")
    keys = []
    for item in order:
        name = item.lstrip("-")
        try:
            field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        except FieldDoesNotExist:
            raise ValueError(f"keyset_page: {model.__name__} has no field {name!r}") from None
        if not isinstance(field, models.Field) or field.null:
            raise ValueError(f"keyset_page: order by non-null concrete fields, not {name!r}")
        keys.append(_Key(field.attname if field.is_relation else name, field, item.startswith("-")))
    if not keys[-1].field.unique:
        raise ValueError(f"keyset_page: the last order field must be unique (a tie-breaker), not {order[-1]!r}")
    return keys


def _encode(value: Any) -> Any:
    """A sort-key value as JSON: numbers as they are, anything else as its ISO/str form."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return str(value)
    return value


def _decode(key: _Key, raw: Any) -> Any:
    """The typed value of `raw` for `key`'s field, or InvalidCursor (a signed cursor of another shape)."""
    integer = isinstance(key.field, (models.IntegerField, models.AutoField)) and not key.field.is_relation
    if integer:
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise InvalidCursor(INVALID_CURSOR)
        return raw
    if not isinstance(raw, str):
        raise InvalidCursor(INVALID_CURSOR)
    target = key.field.target_field if key.field.is_relation else key.field  # type: ignore[attr-defined]
    try:
        value = target.to_python(raw)
    except (DjangoValidationError, TypeError, ValueError):
        raise InvalidCursor(INVALID_CURSOR) from None
    if isinstance(value, datetime) and value.tzinfo is None:
        raise InvalidCursor(INVALID_CURSOR)
    return value


def _after(keys: list[_Key], values: list[Any]) -> Q:
    """Rows strictly after `values` in the order of `keys`:
    k1 > v1 OR (k1 = v1 AND k2 > v2) OR ... (with < for descending keys)."""
    condition = Q()
    equal = Q()
    for key, value in zip(keys, values, strict=True):
        beyond = Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": value})
        condition |= equal & beyond
        equal &= Q(**{key.name: value})
    # The bound on the first key alone is the index range; the OR only trims its ties.
    first = keys[0]
    return condition & Q(**{f"{first.name}__{'lte' if first.descending else 'gte'}": values[0]})


# search/cursor.py's messages (plain text: it is a library), in the request's language.
_CURSOR_MESSAGES = {
    INVALID_CURSOR: gettext_lazy("Invalid cursor."),
    EXPIRED_CURSOR: gettext_lazy("This cursor has expired; start again from the first page."),
    OTHER_FILTERS: gettext_lazy("This cursor was made for other filters; start again from the first page."),
    OTHER_QUERY: gettext_lazy("This cursor belongs to another query; start again from the first page."),
}


def cursor_problem(exc: InvalidCursor) -> str:
    """What to tell the client about a refused cursor, in the request's language."""
    text = str(exc)
    return str(_CURSOR_MESSAGES.get(text, text))


def keyset_page(
    queryset: QuerySet[Any],
    *,
    order: Sequence[str],
    cursor: str | None,
    page_size: int,
    bound_to: Mapping[str, Any],
    salt: str,
    max_page_size: int = MAX_PAGE_SIZE,
) -> Page[Any]:
    """One page of `queryset` in `order`, after `cursor` (the first page without one).

    `order` is field names, `-` for descending, ending with a unique field (e.g.
    ``("-timestamp", "id")``). `bound_to` names everything that defines the list
    (owner, filters) and `salt` the list itself; a cursor reads back only with the same
    values. Raises InvalidInput on `cursor` (tampered, other list, other filters) or on
    `page_size` (outside 1..max_page_size).
    """
    if not 1 <= page_size <= max_page_size:
        raise InvalidInput(fields={"page_size": [_("Must be between 1 and %(max)d.") % {"max": max_page_size}]})
    keys = _keys(queryset.model, order)
    binding = {**bound_to, "order": list(order)}
    if cursor:
        try:
            raw = read_cursor(cursor, salt=salt, bound_to=binding)
            if len(raw) != len(keys):
                raise InvalidCursor(INVALID_CURSOR)
            position = [_decode(key, value) for key, value in zip(keys, raw, strict=True)]
        except InvalidCursor as exc:
            raise InvalidInput(fields={"cursor": [cursor_problem(exc)]}) from None
        queryset = queryset.filter(_after(keys, position))
    rows = list(queryset.order_by(*order)[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    next_cursor = None
    if has_more:
        last = rows[-1]
        next_cursor = sign_cursor(
            [_encode(getattr(last, key.name)) for key in keys], salt=salt, bound_to=binding
        )
    return Page(results=rows, cursor=next_cursor, has_more=has_more)


# --- the API side: query parameters, the envelope, its OpenAPI examples ---------------


def cursor_field() -> serializers.CharField:
    """The `cursor` query parameter of a paginated list."""
    return serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_CURSOR_LENGTH,
        help_text="The `cursor` of the previous page; omit for the first. Only valid with the same filters.",
    )


def page_size_field(*, default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE) -> serializers.IntegerField:
    """The `page_size` query parameter: 1 to `maximum`, `default` when not given."""
    return serializers.IntegerField(
        default=default, min_value=1, max_value=maximum,
        help_text=f"Items per page, 1 to {maximum} (default {default}).",
    )


class PageQuerySerializer(serializers.Serializer):
    """`cursor` and `page_size` (default DEFAULT_PAGE_SIZE, at most MAX_PAGE_SIZE); a list's
    query serializer subclasses it, adds its filters, and may redeclare `page_size`."""

    cursor = cursor_field()
    page_size = page_size_field()


@cache
def page_serializer(item: type[serializers.BaseSerializer], *, ref_name: str) -> type[serializers.Serializer]:
    """The output serializer of a Page of `item`s: results, cursor, has_more."""
    component = ref_name

    class PageOutput(serializers.Serializer):
        results = item(many=True)
        cursor = serializers.CharField(allow_null=True, help_text="Pass as `cursor` for the next page; null at the end")
        has_more = serializers.BooleanField()

        class Meta:
            ref_name = component

    PageOutput.__name__ = ref_name
    return PageOutput


def page_example(item: Any, *, name: str = "page") -> OpenApiExample:
    """The OpenAPI example of a 200 page holding `item`: the last page, since a cursor in an
    example would be taken for one to send (a cursor is signed: only the API makes them)."""
    return OpenApiExample(
        name,
        response_only=True,
        status_codes=["200"],
        value={"results": [item], "cursor": None, "has_more": False},
    )

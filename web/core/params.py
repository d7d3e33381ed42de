"""Query strings of list endpoints: each parameter known, given once, blank means absent.

DRF's serializers read a QueryDict leniently: a misspelt parameter (`?subjects=math`) is
ignored and the client gets an unfiltered list, and of a repeated one the last value
wins. `query_input` turns both into a 400 naming the parameter, and drops blank values
(`?price_min=`, what an empty form field sends, or only spaces), so every field treats
"given empty" like "not given".
"""

from __future__ import annotations

from django.http import QueryDict
from rest_framework import serializers
from rest_framework.settings import api_settings

from web.core.serializers import too_long

# Parameters any request may carry: DRF's renderer choice (`?format=json`) and the
# cache-buster `_` that some HTTP clients append to GET requests.
_ALWAYS_ALLOWED = frozenset({api_settings.URL_FORMAT_OVERRIDE or "format", "_"})
_NAME_SHOWN = 64


class QueryValues(dict[str, str]):
    """The values of a query string: strings by nature, so no JSON type check applies."""

    from_query_string = True


def query_input(params: QueryDict, serializer_class: type[serializers.Serializer]) -> dict[str, str]:
    """The single values of `params` for `serializer_class`'s fields; raises ValidationError
    naming every unknown or repeated parameter."""
    known = serializer_class._declared_fields  # type: ignore[attr-defined]
    expected = f"expected one of: {', '.join(known)}" if known else "this endpoint takes none"
    data = QueryValues()
    errors: dict[str, list[str]] = {}
    for name in params:
        values = params.getlist(name)
        if name not in known:
            if name not in _ALWAYS_ALLOWED:
                errors[name[:_NAME_SHOWN]] = [f"Unknown parameter; {expected}."]
        elif len(values) > 1:
            errors[name] = ["Give this parameter once."]
        elif problem := too_long(known[name], values[0]):
            errors[name] = [problem]  # counted as sent, blank or not, as the schema counts it
        elif values[0].strip():
            if isinstance(known[name], serializers.BooleanField) and values[0] not in ("true", "false"):
                errors[name] = ["Must be true or false."]  # as the schema says, not 0/1/yes/on
            else:
                data[name] = values[0]
    if errors:
        raise serializers.ValidationError(errors)
    return data

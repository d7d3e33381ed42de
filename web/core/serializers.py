"""Serializer pieces every API module reuses."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

UNKNOWN_FIELD = _("Unknown field.")


class StrictSerializer(serializers.Serializer):
    """Rejects keys it does not know, naming them, instead of silently dropping them: a
    misspelt field (`entityType`, `tz`) is a 400, not a write that quietly lost it."""

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors = {key[:64]: [str(UNKNOWN_FIELD)] for key in unknown}
        errors.update(json_type_errors(self, data))
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not errors or not isinstance(exc.detail, dict):
                raise
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:  # every problem at once: the known fields' and the unknown ones
            raise serializers.ValidationError(errors)
        return value


class HourMinuteField(serializers.TimeField):
    """A time of day as HH:MM, exactly (not "9:5", not "09:00:00"); the OpenAPI schema
    publishes `pattern` (web/core/schema.py), so the contract and the parser agree."""

    pattern = r"^([01]\d|2[0-3]):[0-5]\d$"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)

    def to_internal_value(self, value: Any) -> Any:
        if not isinstance(value, str) or not re.fullmatch(self.pattern, value):
            self.fail("invalid", format="HH:MM")
        return super().to_internal_value(value)


class StringOrIntegerField(serializers.CharField):
    """An id a client may send as a string or a number (42 is stored as "42"); the schema
    says both (web/core/schema.py)."""

    def to_internal_value(self, data: Any) -> str:
        if isinstance(data, bool) or not isinstance(data, (str, int)):
            self.fail("invalid")
        return super().to_internal_value(str(data))


# JSON types a body field takes, exactly as the schema says: DRF's fields coerce (0 and
# "yes" to true, 42 to "42", "7" to 7), which makes the API take what its schema forbids.
_JSON_TYPES: tuple[tuple[type[serializers.Field], tuple[type, ...], str], ...] = (
    (serializers.BooleanField, (bool,), "Must be true or false."),
    (StringOrIntegerField, (str, int), "Must be a string or an integer."),
    (serializers.CharField, (str,), "Must be a string."),
    (serializers.ChoiceField, (str, int), "Must be one of the choices."),
    (serializers.IntegerField, (int,), "Must be an integer."),
    (serializers.FloatField, (int, float), "Must be a number."),
    (serializers.DecimalField, (int, float), "Must be a number."),
    (serializers.TimeField, (str,), "Must be a string."),
    (serializers.DateField, (str,), "Must be a string."),
    (serializers.DateTimeField, (str,), "Must be a string."),
)


def json_type_errors(serializer: serializers.Serializer, data: Any) -> dict[str, list[str]]:
    """{field: [message]} for each value of a JSON object `data` whose JSON type is not its field's."""
    if not isinstance(data, dict) or getattr(data, "from_query_string", False):
        return {}
    errors: dict[str, list[str]] = {}
    for name, field in serializer.fields.items():
        if name not in data or field.read_only:
            continue
        problem = _json_type_problem(field, data[name])
        if problem:
            errors[name] = [problem]
    return errors


def _json_type_problem(field: serializers.Field, value: Any) -> str | None:
    if value is None:
        return None  # the field's own allow_null decides
    if isinstance(field, serializers.ListField) and isinstance(value, list):
        for index, item in enumerate(value):
            problem = _json_type_problem(field.child, item)
            if problem:
                return f"Item {index}: {problem}"
        return None
    for field_type, json_types, message in _JSON_TYPES:
        if isinstance(field, field_type):
            if isinstance(value, bool) and bool not in json_types or not isinstance(value, json_types):
                return message
            return too_long(field, value)
    return None


def too_long(field: serializers.Field, value: Any) -> str | None:
    """DRF's own message when a text value is longer than its field's `max_length` as sent.

    DRF trims surrounding whitespace before it counts, so " " + 200 letters passed a limit
    of 200 that the schema (`maxLength`, which counts what is sent) says it breaks."""
    limit = getattr(field, "max_length", None)
    if isinstance(field, serializers.CharField) and isinstance(value, str) and limit is not None and len(value) > limit:
        return str(field.error_messages["max_length"]).format(max_length=limit)
    return None

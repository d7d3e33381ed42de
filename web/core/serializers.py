"""Serializer pieces every API module reuses."""

from __future__ import annotations

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
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not errors or not isinstance(exc.detail, dict):
                raise
            raise serializers.ValidationError({**exc.detail, **errors}) from None
        if errors:  # every problem at once: the known fields' and the unknown ones
            raise serializers.ValidationError(errors)
        return value

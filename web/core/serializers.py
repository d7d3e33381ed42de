"""Serializer pieces every API module reuses."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Rejects keys it does not know, naming them, instead of silently dropping them: a
    misspelt field (`entityType`, `tz`) is a 400, not a write that quietly lost it."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({key[:64]: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)

"""The availability parameters of the marketplace: `available_on`, `available_from`,
`available_to` and `tz`, read into search/availability.py's filter.

A window is read in the zone the request names (`tz`), else the signed-in visitor's
own zone, else UTC, and converted to UTC minutes of the week for the upcoming
occurrence of each weekday (the same frame the index holds the tutors' slots in).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from search.availability import WEEKDAYS, AvailabilityFilter, availability_filter, hhmm_minutes
from web.core.catalogues import is_time_zone

WEEKDAYS_HELP = ", ".join(WEEKDAYS)


class AvailabilityInput(serializers.Serializer):
    """The availability query parameters, mixed into an endpoint's InputSerializer."""

    available_on = serializers.CharField(
        required=False, max_length=len(",".join(WEEKDAYS)),
        help_text=(
            f"Weekdays, comma separated ({WEEKDAYS_HELP}): tutors free on any of them. Alone: any slot "
            "that day; with available_from/available_to: one slot holding the whole window that day."
        ),
    )
    available_from = serializers.CharField(
        required=False, max_length=5,
        help_text="Start of the window, HH:MM in `tz` (with available_to; without available_on: any day).",
    )
    available_to = serializers.CharField(
        required=False, max_length=5,
        help_text="End of the window, HH:MM in `tz`; 24:00 is midnight; earlier than available_from crosses midnight.",
    )
    tz = serializers.CharField(
        required=False, max_length=64,
        help_text="IANA time zone the window is read in (default: the signed-in visitor's zone, else UTC).",
    )

    def validate_available_on(self, value: str) -> tuple[str, ...]:
        days = [part.strip().lower() for part in value.split(",")]
        unknown = [day for day in days if day not in WEEKDAYS]
        if unknown:
            raise serializers.ValidationError(
                _("Unknown weekday %(day)r; use %(days)s.") % {"day": unknown[0], "days": WEEKDAYS_HELP}
            )
        if len(set(days)) != len(days):
            raise serializers.ValidationError(_("Name each weekday once."))
        return tuple(days)

    def validate_available_from(self, value: str) -> str:
        return _hhmm(value, allow_midnight_end=False)

    def validate_available_to(self, value: str) -> str:
        return _hhmm(value, allow_midnight_end=True)

    def validate_tz(self, value: str) -> str:
        if not is_time_zone(value):
            raise serializers.ValidationError(_("Unknown IANA time zone, e.g. Europe/Warsaw."))
        return value


def _hhmm(value: str, *, allow_midnight_end: bool) -> str:
    try:
        minutes = hhmm_minutes(value)
    except ValueError as exc:
        raise serializers.ValidationError(str(exc)) from None
    if minutes == 24 * 60 and not allow_midnight_end:
        raise serializers.ValidationError(_("A window starts at 23:59 at the latest."))
    return value


def availability_from_params(
    params: dict[str, Any], default_tz: str, reference: date | None = None
) -> AvailabilityFilter | None:
    """The filter for validated parameters; ValidationError naming the parameter when they
    do not make one window."""
    time_from, time_to = params.get("available_from"), params.get("available_to")
    if time_from is not None and time_to is None:
        raise serializers.ValidationError({"available_to": [_("Give available_to with available_from.")]})
    if time_to is not None and time_from is None:
        raise serializers.ValidationError({"available_from": [_("Give available_from with available_to.")]})
    if time_from is not None and hhmm_minutes(time_from) == hhmm_minutes(time_to or ""):
        raise serializers.ValidationError({"available_to": [_("Must differ from available_from.")]})
    return availability_filter(
        params.get("available_on"), time_from, time_to, params.get("tz") or default_tz,
        reference or datetime.now(UTC).date(),
    )

from __future__ import annotations

import json
import re
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from web.activity.models import (
    ACTION_MAX_LENGTH,
    ACTION_RE,
    CLIENT_ACTION_PREFIX,
    ENTITY_ID_MAX_LENGTH,
    ENTITY_TYPE_MAX_LENGTH,
    ENTITY_TYPE_RE,
    ActivityLog,
)
from web.activity.selectors import FEED_MAX_PAGE_SIZE, FEED_PAGE_SIZE, activity_feed
from web.activity.triggers import activity_trigger
from web.core.pagination import PageQuerySerializer, page_example, page_serializer, page_size_field
from web.core.params import query_input
from web.core.schema import ERROR_RESPONSE, error_example, validation_example
from web.core.serializers import StrictSerializer, StringOrIntegerField

METADATA_MAX_BYTES = 2048
# The top-level object is depth 1: {"a": {"b": {"c": {"d": 1}}}} is depth 4.
METADATA_MAX_DEPTH = 4

_ACTION_HELP = (
    f"Dotted lower-case event name, 2 to 4 segments, at most {ACTION_MAX_LENGTH} characters: "
    f"`{ACTION_RE.pattern}`, e.g. `ui.click`."
)
_ENTITY_TYPE_HELP = f"Lower-case identifier, e.g. `profile`: `{ENTITY_TYPE_RE.pattern}`."


def _check_depth(value: Any) -> None:
    """Raise ValidationError past METADATA_MAX_DEPTH levels (the top-level object is level 1).

    Text the database cannot store is refused for every body by the parser
    (web/core/parsers.py).
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            if level > METADATA_MAX_DEPTH:
                raise serializers.ValidationError(
                    _("Nesting deeper than %(levels)d levels.") % {"levels": METADATA_MAX_DEPTH}
                )
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)


class ActivityEventOutputSerializer(serializers.ModelSerializer):
    metadata = serializers.DictField(read_only=True)

    class Meta:
        model = ActivityLog
        ref_name = "ActivityEvent"
        fields = [
            "id", "action", "entity_type", "entity_id", "metadata",
            "timestamp", "duration_ms", "status_code", "referrer",
        ]
        read_only_fields = fields


_EVENT_EXAMPLE = {
    "id": 4182,
    "action": "ui.click",
    "entity_type": "profile",
    "entity_id": None,
    "metadata": {"button": "save"},
    "timestamp": "2026-02-15T10:22:33.418204Z",
    "duration_ms": 3.912,
    "status_code": 201,
    "referrer": "https://app.example.com/profile",
}

_NOT_AUTHENTICATED = error_example(
    "not authenticated", "401", "not_authenticated", "Authentication credentials were not provided."
)


class ActivityListApi(APIView):
    class InputSerializer(PageQuerySerializer):
        class Meta:
            ref_name = "ActivityFeedQuery"

        page_size = page_size_field(default=FEED_PAGE_SIZE, maximum=FEED_MAX_PAGE_SIZE)
        action = serializers.RegexField(
            ACTION_RE, required=False, allow_blank=True, max_length=ACTION_MAX_LENGTH,
            help_text="Only events with this action. " + _ACTION_HELP,
        )
        entity_type = serializers.RegexField(
            ENTITY_TYPE_RE, required=False, allow_blank=True, max_length=ENTITY_TYPE_MAX_LENGTH,
            help_text="Only events about this kind of entity. " + _ENTITY_TYPE_HELP,
        )

    OutputSerializer = page_serializer(ActivityEventOutputSerializer, ref_name="ActivityFeedPage")

    @extend_schema(
        summary="My activity feed, newest first (cursor-paginated)",
        description=(
            "The authenticated user's own events ordered by (-timestamp, id). Follow `cursor` until "
            "`has_more` is false: every event stored when the walk began is returned exactly once, "
            "even while new events are written (they are newer than the walk's start and appear in "
            "the next walk). Searches and profile views are buffered and stored within seconds, with "
            "the time they happened, so one made just before a walk may appear only in the next. A "
            "cursor is signed and bound to the filters it was made for."
        ),
        parameters=[InputSerializer],
        responses={200: OutputSerializer, 400: ERROR_RESPONSE, 401: ERROR_RESPONSE},
        examples=[
            page_example(_EVENT_EXAMPLE),
            validation_example("page_size", "Ensure this value is less than or equal to 100."),
            validation_example("cursor", "This cursor was made for other filters; start again from the first page."),
            _NOT_AUTHENTICATED,
        ],
    )
    def get(self, request: Request) -> Response:
        params = self.InputSerializer(data=query_input(request.query_params, self.InputSerializer))
        params.is_valid(raise_exception=True)
        page = activity_feed(user=request.user, **params.validated_data)
        return Response(self.OutputSerializer(page).data)


# ACTION_RE within the client namespace: "ui." and one to three more segments.
CLIENT_ACTION_RE = "^" + re.escape(CLIENT_ACTION_PREFIX[:-1]) + r"(\.[a-z][a-z0-9_]*){1,3}$"


class ActivityTriggerApi(APIView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "ActivityTriggerInput"

        # The pattern says what the API takes: an event name in the client namespace.
        action = serializers.RegexField(
            CLIENT_ACTION_RE, max_length=ACTION_MAX_LENGTH,
            help_text=f"{_ACTION_HELP} Client events are in the `{CLIENT_ACTION_PREFIX}` namespace.",
            error_messages={"invalid": (
                f"Client events are named {CLIENT_ACTION_PREFIX}<name>, e.g. ui.click; other names are "
                "recorded by the server only."
            )},
        )
        entity_type = serializers.RegexField(
            ENTITY_TYPE_RE, default="", allow_blank=True, max_length=ENTITY_TYPE_MAX_LENGTH,
            help_text=_ENTITY_TYPE_HELP,
        )
        entity_id = StringOrIntegerField(
            default=None, allow_null=True, max_length=ENTITY_ID_MAX_LENGTH,
            help_text="Id of the entity, if any (numbers are stored as strings).",
        )
        metadata = serializers.DictField(
            default=dict,
            help_text=(
                f"A JSON object, at most {METADATA_MAX_BYTES} bytes serialized and {METADATA_MAX_DEPTH} levels deep."
            ),
        )

        def validate_action(self, value: str) -> str:
            if not value.startswith(CLIENT_ACTION_PREFIX):
                raise serializers.ValidationError(
                    _(
                        "Client events are named %(prefix)s<name>, e.g. ui.click; other names are recorded "
                        "by the server only."
                    ) % {"prefix": CLIENT_ACTION_PREFIX}
                )
            return value

        def validate_metadata(self, value: dict[str, Any]) -> dict[str, Any]:
            _check_depth(value)
            size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
            if size > METADATA_MAX_BYTES:
                raise serializers.ValidationError(
                    _("At most %(max)d bytes of JSON, got %(size)d.") % {"max": METADATA_MAX_BYTES, "size": size}
                )
            return value

    @extend_schema(
        summary="Record a client event (UI telemetry)",
        description=(
            "Stores a lightweight event reported by the front end and returns it. Limited per user, "
            "across all sessions, to 5 a second and 30 a minute; over the limit the answer is 429 with "
            "Retry-After, and an `activity.trigger.rate_limited` event is recorded (at most once a minute)."
        ),
        request=InputSerializer,
        responses={201: ActivityEventOutputSerializer, 400: ERROR_RESPONSE, 401: ERROR_RESPONSE, 429: ERROR_RESPONSE},
        examples=[
            OpenApiExample(
                "click",
                request_only=True,
                value={
                    "action": "ui.click", "entity_type": "profile", "entity_id": None, "metadata": {"button": "save"}
                },
            ),
            OpenApiExample("recorded", response_only=True, status_codes=["201"], value=_EVENT_EXAMPLE),
            validation_example("action", "This value does not match the required pattern."),
            validation_example("metadata", f"At most {METADATA_MAX_BYTES} bytes of JSON, got 4096."),
            error_example(
                "rate limited", "429", "rate_limited",
                "Too many events: at most 5 a second and 30 a minute. Expected available in 2 seconds.",
            ),
            _NOT_AUTHENTICATED,
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = activity_trigger(user=request.user, **data.validated_data)
        return Response(ActivityEventOutputSerializer(event).data, status=status.HTTP_201_CREATED)

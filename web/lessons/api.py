"""Lesson endpoints under /api/lessons/ and the calendar token under /api/me/.

Times in requests: ISO 8601. With an offset (`2030-03-04T10:00:00+02:00`, `...Z`) a time
is that instant. Without one (`2030-03-04T10:00:00`) it is a wall-clock time in the
request's `timezone` (an IANA name), else in the caller's account zone; one the clocks
skip or repeat there (a DST change) is a 400 naming the field. Responses give each time
twice: `utc_start`/`utc_end` in UTC and `user_local_start`/`user_local_end` in the
caller's account zone (`timezone`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from web.core.params import query_input
from web.core.schema import ERROR_RESPONSE, NOT_AUTHENTICATED, error_example, validation_example
from web.core.serializers import StrictSerializer
from web.lessons import selectors, services
from web.lessons.ical import CONTENT_TYPE, calendar_feed
from web.lessons.idempotency import HEADER, REPLAY_HEADER, Outcome, check_key, fingerprint, idempotent
from web.lessons.models import REASON_MAX, Lesson, LessonStatus
from web.lessons.timezones import local_iso, zone_of

# Years a time may name: far enough for any booking, near enough that no arithmetic overflows.
_YEARS = (1970, 2200)
_ID_MAX = 2**63 - 1


class ClientDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time as sent: aware when it has an offset, naive (a wall-clock time the
    service reads in the request's zone) when it has none; never made aware here."""

    def enforce_timezone(self, value: datetime) -> datetime:
        return value

    def to_internal_value(self, value: Any) -> datetime:
        parsed = super().to_internal_value(value)
        if not _YEARS[0] <= parsed.year <= _YEARS[1]:
            raise serializers.ValidationError(
                _("Year must be between %(low)d and %(high)d.") % {"low": _YEARS[0], "high": _YEARS[1]}
            )
        return parsed


def _id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=_ID_MAX, **kwargs)


def _zone_field() -> serializers.CharField:
    return serializers.CharField(
        max_length=64, required=False,
        help_text="IANA zone of times given without an offset (default: the caller's account zone).",
    )


# --- rendering --------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    class Meta:
        ref_name = "LessonPerson"

    id = serializers.IntegerField()
    full_name = serializers.CharField()


class LessonOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "Lesson"

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=LessonStatus.choices)
    tutor = PersonSerializer()
    student = PersonSerializer()
    utc_start = serializers.CharField(help_text="ISO 8601, UTC")
    utc_end = serializers.CharField(help_text="ISO 8601, UTC")
    user_local_start = serializers.CharField(help_text="ISO 8601 with the offset of `timezone` at that time")
    user_local_end = serializers.CharField()
    timezone = serializers.CharField(help_text="The caller's zone (from their account)")
    series_id = serializers.UUIDField(allow_null=True)
    sequence = serializers.IntegerField(help_text="Grows with every change (the calendar's SEQUENCE)")
    cancelled_at = serializers.DateTimeField(allow_null=True)
    cancelled_by = serializers.IntegerField(allow_null=True)
    cancellation_reason = serializers.CharField(allow_blank=True)
    late_cancellation = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _utc(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def render_lesson(lesson: Lesson, zone: ZoneInfo) -> dict[str, Any]:
    """The lesson as LessonOutputSerializer describes it. Built directly: a serializer
    instance per lesson costs about a millisecond, and a calendar holds up to 500."""
    return {
        "id": lesson.pk,
        "status": lesson.status,
        "tutor": {"id": lesson.tutor_id, "full_name": lesson.tutor.full_name},
        "student": {"id": lesson.student_id, "full_name": lesson.student.full_name},
        "utc_start": _utc(lesson.start),
        "utc_end": _utc(lesson.end),
        "user_local_start": local_iso(lesson.start, zone),
        "user_local_end": local_iso(lesson.end, zone),
        "timezone": zone.key,
        "series_id": str(lesson.series_id) if lesson.series_id else None,
        "sequence": lesson.sequence,
        "cancelled_at": _utc(lesson.cancelled_at),
        "cancelled_by": lesson.cancelled_by_id,
        "cancellation_reason": lesson.cancellation_reason,
        "late_cancellation": lesson.late_cancellation,
        "created_at": _utc(lesson.created_at),
        "updated_at": _utc(lesson.updated_at),
    }


_LESSON_EXAMPLE: dict[str, Any] = {
    "id": 42,
    "status": "scheduled",
    "tutor": {"id": 7, "full_name": "Olena Kovalenko"},
    "student": {"id": 12, "full_name": "John Smith"},
    "utc_start": "2030-03-04T08:00:00Z",
    "utc_end": "2030-03-04T09:00:00Z",
    "user_local_start": "2030-03-04T03:00:00-05:00",
    "user_local_end": "2030-03-04T04:00:00-05:00",
    "timezone": "America/New_York",
    "series_id": None,
    "sequence": 0,
    "cancelled_at": None,
    "cancelled_by": None,
    "cancellation_reason": "",
    "late_cancellation": False,
    "created_at": "2030-02-20T10:22:33Z",
    "updated_at": "2030-02-20T10:22:33Z",
}
_CANCELLED_EXAMPLE = {
    **_LESSON_EXAMPLE, "status": "cancelled", "sequence": 1, "cancelled_at": "2030-03-03T20:00:00Z",
    "cancelled_by": 12, "cancellation_reason": "Ill today", "late_cancellation": True,
    "updated_at": "2030-03-03T20:00:00Z",
}

_ERRORS = {400: ERROR_RESPONSE, 401: ERROR_RESPONSE, 404: ERROR_RESPONSE}
_WRITE_ERRORS = {**_ERRORS, 403: ERROR_RESPONSE, 409: ERROR_RESPONSE, 422: ERROR_RESPONSE}
NO_LESSON = error_example("not found", "404", "not_found", "No such lesson.")
OVERLAP = error_example(
    "overlap", "409", "conflict",
    "The tutor already has a lesson at that time: lesson 41, 2030-03-04T07:30:00+00:00 to 2030-03-04T08:30:00+00:00.",
)
NOT_RESCHEDULABLE = error_example(
    "cancelled lesson", "409", "conflict", "The lesson is cancelled; only a scheduled lesson can be rescheduled."
)
KEY_REUSED = error_example(
    "key reused", "422", "idempotency_key_reused",
    "This Idempotency-Key was used with a different request; use a new key for a new request.",
)
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Up to 255 characters, unique per request you mean once. A retry with the same key and body "
    "gets the first response (header `Idempotent-Replayed: true`); with another body a 422. Kept 24 hours.",
)


def _respond(outcome: Outcome) -> Response:
    response = Response(outcome.body, status=outcome.status)
    if outcome.replayed:
        response[REPLAY_HEADER] = "true"
    return response


def _once(request: Request, run: Callable[[], Outcome]) -> Response:
    key = check_key(request.headers.get(HEADER))
    return _respond(idempotent(
        user_id=request.user.pk, key=key, fingerprint=fingerprint(request.method or "", request.path, request.data),
        run=run,
    ))


def _zone(request: Request) -> ZoneInfo:
    return zone_of(request.user.timezone)


# --- endpoints --------------------------------------------------------------------


class LessonCreateApi(APIView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "LessonCreateInput"

        tutor_id = _id_field(required=False, help_text="A student books with the tutor's id.")
        student_id = _id_field(required=False, help_text="A tutor schedules with the student's id.")
        start = ClientDateTimeField()
        end = ClientDateTimeField()
        timezone = _zone_field()

    @extend_schema(
        summary="Book a lesson",
        description=(
            "A student books with `tutor_id` inside the tutor's weekly availability; a tutor schedules with "
            "`student_id` at any time. Both need an active relation (else 404). 15 minutes to 4 hours, in the "
            "future, at most a year ahead. An overlap with another scheduled lesson of the tutor or the "
            "student is a 409 naming it when it is the caller's own. Times: see the module description; a "
            "wall-clock time the clocks skip or repeat is a 400."
        ),
        request=InputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: LessonOutputSerializer, **_WRITE_ERRORS},
        examples=[
            OpenApiExample("book (student)", request_only=True,
                           value={"tutor_id": 7, "start": "2030-03-04T10:00:00", "end": "2030-03-04T11:00:00",
                                  "timezone": "Europe/Kyiv"}),
            OpenApiExample("booked", response_only=True, status_codes=["201"], value=_LESSON_EXAMPLE),
            validation_example("start", "2030-03-31T03:30 does not exist in Europe/Kyiv (the clocks skip it when "
                                        "daylight saving time starts); choose another time or give it with a UTC "
                                        "offset."),
            error_example("no relation", "404", "not_found", "No active relation with this person."),
            OVERLAP,
            KEY_REUSED,
        ],
    )
    def post(self, request: Request) -> Response:
        check_key(request.headers.get(HEADER))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data

        def run() -> Outcome:
            lesson = services.lesson_create(
                actor=request.user, tutor_id=values.get("tutor_id"), student_id=values.get("student_id"),
                start=values["start"], end=values["end"], zone_name=values.get("timezone"),
            )
            return Outcome(201, render_lesson(lesson, _zone(request)))

        return _once(request, run)


class LessonDetailApi(APIView):
    @extend_schema(
        summary="One of the caller's lessons",
        responses={200: LessonOutputSerializer, **_ERRORS},
        examples=[
            OpenApiExample("lesson", response_only=True, status_codes=["200"], value=_LESSON_EXAMPLE),
            NOT_AUTHENTICATED,
            NO_LESSON,
        ],
    )
    def get(self, request: Request, lesson_id: int) -> Response:
        return Response(render_lesson(selectors.lesson_of(request.user, lesson_id), _zone(request)))


class LessonRescheduleApi(APIView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "LessonRescheduleInput"

        start = ClientDateTimeField()
        end = ClientDateTimeField()
        timezone = _zone_field()
        reason = serializers.CharField(max_length=REASON_MAX, required=False, allow_blank=True, default="")

    @extend_schema(
        summary="Move a scheduled lesson that has not started",
        description=(
            "Tutor or student of the lesson. The booking rules apply to the new times (a student stays inside "
            "the tutor's availability); the database checks overlaps again. A cancelled, completed or started "
            "lesson is a 409. Raises `sequence`; the other party is mailed."
        ),
        request=InputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={200: LessonOutputSerializer, **_WRITE_ERRORS},
        examples=[
            OpenApiExample("move", request_only=True,
                           value={"start": "2030-03-05T09:00:00Z", "end": "2030-03-05T10:00:00Z",
                                  "reason": "School trip"}),
            OpenApiExample("moved", response_only=True, status_codes=["200"],
                           value={**_LESSON_EXAMPLE, "sequence": 1}),
            validation_example("end", "A lesson lasts from 15 minutes to 4 hours."),
            NO_LESSON,
            NOT_RESCHEDULABLE,
            OVERLAP,
        ],
    )
    def patch(self, request: Request, lesson_id: int) -> Response:
        check_key(request.headers.get(HEADER))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data

        def run() -> Outcome:
            lesson = services.lesson_reschedule(
                actor=request.user, lesson_id=lesson_id, start=values["start"], end=values["end"],
                zone_name=values.get("timezone"), reason=values["reason"],
            )
            return Outcome(200, render_lesson(lesson, _zone(request)))

        return _once(request, run)


class LessonCancelApi(APIView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "LessonCancelInput"

        reason = serializers.CharField(max_length=REASON_MAX, required=False, allow_blank=True, default="")

    @extend_schema(
        summary="Cancel a scheduled lesson that has not started",
        description="Tutor or student of the lesson. Less than 24 hours before the start it is flagged "
                    "`late_cancellation`. The other party is mailed.",
        request=InputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={200: LessonOutputSerializer, **_WRITE_ERRORS},
        examples=[
            OpenApiExample("cancel", request_only=True, value={"reason": "Ill today"}),
            OpenApiExample("cancelled", response_only=True, status_codes=["200"], value=_CANCELLED_EXAMPLE),
            validation_example("reason", "Ensure this field has no more than 500 characters."),
            NO_LESSON,
            error_example("already cancelled", "409", "conflict",
                          "The lesson is cancelled; only a scheduled lesson can be cancelled."),
        ],
    )
    def post(self, request: Request, lesson_id: int) -> Response:
        check_key(request.headers.get(HEADER))
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data["reason"]

        def run() -> Outcome:
            lesson = services.lesson_cancel(actor=request.user, lesson_id=lesson_id, reason=reason)
            return Outcome(200, render_lesson(lesson, _zone(request)))

        return _once(request, run)


class LessonRangeOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "LessonRange"

    results = LessonOutputSerializer(many=True)
    cursor = serializers.CharField(allow_null=True, help_text="Pass as `cursor` for the next page; null at the end")
    has_more = serializers.BooleanField()
    has_more_events = serializers.BooleanField(help_text="More lessons in the range than this response holds")
    timezone = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()


class LessonMyListApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "LessonMyQuery"

        # `from` is a Python keyword: declared below under its query name.
        to = serializers.DateField(required=False, help_text="Last local date, included (default: from + 30 days)")
        status = serializers.ChoiceField(choices=LessonStatus.choices, required=False)
        role = serializers.ChoiceField(choices=[("tutor", "tutor"), ("student", "student")], required=False,
                                       help_text="Only lessons where the caller is this party (default both).")
        cursor = serializers.CharField(required=False, max_length=2048)
        page_size = serializers.IntegerField(required=False, min_value=1, max_value=selectors.MAX_EVENTS,
                                             default=selectors.MAX_EVENTS)

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            for name in ("from", "to"):
                day = attrs.get(name)
                if day is not None and not _YEARS[0] <= day.year <= _YEARS[1]:
                    message = _("Year must be between %(low)d and %(high)d.") % {"low": _YEARS[0], "high": _YEARS[1]}
                    raise serializers.ValidationError({name: [message]})
            return attrs

    InputSerializer._declared_fields = {  # type: ignore[attr-defined]
        "from": serializers.DateField(required=False, help_text="First local date (default: today)"),
        **InputSerializer._declared_fields,  # type: ignore[attr-defined]
    }

    @extend_schema(
        summary="The caller's lessons in a date range (a calendar)",
        description=(
            "Lessons overlapping the local dates `from`..`to` (both included, in the caller's zone), by start. "
            "At most 366 days (else 400); at most 500 lessons per response: `has_more_events` then says more "
            "follow and `cursor` continues where this one stopped."
        ),
        parameters=[InputSerializer],
        responses={200: LessonRangeOutputSerializer, **_ERRORS},
        examples=[
            OpenApiExample("month", response_only=True, status_codes=["200"], value={
                "results": [_LESSON_EXAMPLE], "cursor": None, "has_more": False, "has_more_events": False,
                "timezone": "America/New_York", "date_from": "2030-03-01", "date_to": "2030-03-31",
            }),
            validation_example("to", "The range may span at most 366 days."),
            NOT_AUTHENTICATED,
        ],
    )
    def get(self, request: Request) -> Response:
        query = self.InputSerializer(data=query_input(request.query_params, self.InputSerializer))
        query.is_valid(raise_exception=True)
        values = query.validated_data
        found = selectors.lessons_in_range(
            request.user, date_from=values.get("from"), date_to=values.get("to"), status=values.get("status"),
            role=values.get("role"), cursor=values.get("cursor"), page_size=values["page_size"],
        )
        return Response({
            "results": [render_lesson(lesson, found.zone) for lesson in found.page.results],
            "cursor": found.page.cursor,
            "has_more": found.page.has_more,
            "has_more_events": found.page.has_more,
            "timezone": found.zone.key,
            "date_from": found.date_from.isoformat(),
            "date_to": found.date_to.isoformat(),
        })


_ICS_EXAMPLE = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//MASH Marketplace//Lessons//EN\r\nBEGIN:VEVENT\r\n"
    "UID:lesson-42@lessons.mash-marketplace\r\nDTSTART:20300304T080000Z\r\nDTEND:20300304T090000Z\r\n"
    "SEQUENCE:0\r\nSTATUS:CONFIRMED\r\nSUMMARY:Lesson with John Smith\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


class CalendarFeedApi(APIView):
    """The subscription feed: no session or JWT (calendar apps send none), the secret
    token in the URL instead. Errors are JSON whatever the client accepts."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "CalendarFeedQuery"

        token = serializers.CharField(max_length=128, help_text="From POST /api/me/calendar-token/")

    def perform_content_negotiation(self, request: Request, force: bool = False) -> tuple[Any, str]:
        return JSONRenderer(), JSONRenderer.media_type

    @extend_schema(
        summary="The caller's lessons as an iCalendar feed (subscribe with the URL)",
        description=(
            "Past 90 days to a year ahead; cancelled lessons stay 30 days as STATUS:CANCELLED. "
            "Every lesson keeps its UID; SEQUENCE grows with each change. An unknown or rotated token is a 404."
        ),
        auth=[],
        parameters=[InputSerializer],
        responses={
            (200, "text/calendar"): OpenApiResponse(OpenApiTypes.STR, examples=[
                OpenApiExample("feed", value=_ICS_EXAMPLE, response_only=True, status_codes=["200"]),
            ]),
            (400, "application/json"): ERROR_RESPONSE,
            (404, "application/json"): ERROR_RESPONSE,
        },
        examples=[
            validation_example("token", "This field is required."),
            error_example("revoked token", "404", "not_found", "No calendar at this address."),
        ],
    )
    def get(self, request: Request) -> HttpResponse:
        query = self.InputSerializer(data=query_input(request.query_params, self.InputSerializer))
        query.is_valid(raise_exception=True)
        owner = selectors.calendar_owner(query.validated_data["token"])
        body = calendar_feed(
            selectors.calendar_lessons(owner), viewer_id=owner.pk, name=f"Lessons: {owner.full_name}",
            stamp=timezone.now(),
        )
        response = HttpResponse(body, content_type=CONTENT_TYPE)
        response["Content-Disposition"] = 'inline; filename="lessons.ics"'
        response["Cache-Control"] = "private, max-age=300"
        return response


class CalendarTokenOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "CalendarToken"

    token = serializers.CharField(help_text="Shown once; only its hash is kept")
    url = serializers.CharField(help_text="The feed URL to subscribe to")
    created_at = serializers.DateTimeField()


class CalendarTokenRotateApi(APIView):
    @extend_schema(
        summary="Create or rotate the caller's calendar feed token",
        description="Returns a new secret feed URL; the previous one stops working at once (404).",
        request=None,
        responses={200: CalendarTokenOutputSerializer, 401: ERROR_RESPONSE},
        examples=[
            OpenApiExample("token", response_only=True, status_codes=["200"], value={
                "token": "kq3V0f...", "created_at": "2030-02-20T10:22:33Z",
                "url": "https://mash.example.com/api/lessons/calendar.ics?token=kq3V0f...",
            }),
            NOT_AUTHENTICATED,
            error_example("expired token", "401", "token_not_valid", "Given token not valid for any token type"),
        ],
    )
    def post(self, request: Request) -> Response:
        issued = services.calendar_token_rotate(user=request.user)
        return Response(CalendarTokenOutputSerializer({
            "token": issued.token,
            "url": f"{settings.SITE_URL}/api/lessons/calendar.ics?token={issued.token}",
            "created_at": issued.created_at,
        }).data)

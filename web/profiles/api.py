"""Tutor-facing profile endpoints under /api/me/. Views validate, call one service, render."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from web.core.i18n import current_language
from web.core.pagination import PageQuerySerializer, page_example, page_serializer, page_size_field
from web.core.params import query_input
from web.core.schema import ERROR_RESPONSE, NOT_AUTHENTICATED, error_example, validation_example
from web.core.serializers import HourMinuteField, StrictSerializer
from web.profiles import services
from web.profiles.editable import ProfileInputSerializer, profile_editable_data
from web.profiles.models import END_OF_DAY, END_OF_DAY_TEXT, TutorProfile, slot_end_text
from web.profiles.permissions import IsTutor
from web.profiles.selectors import NO_PROFILE as NO_PROFILE_MESSAGE
from web.profiles.selectors import (
    SNAPSHOTS_MAX_PAGE_SIZE,
    SNAPSHOTS_PAGE_SIZE,
    profile_snapshots,
    subject_catalogue,
    tutor_is_listed,
    tutor_profile_of,
)

FORBIDDEN = error_example(
    "not a tutor", "403", "permission_denied", "Only tutor accounts have a tutor profile."
)
NO_PROFILE = error_example("no profile", "404", "not_found", str(NO_PROFILE_MESSAGE))
TOO_MANY = error_example(
    "rate limited", "429", "rate_limited", "Autosave is limited to one save every 10 seconds."
)
# 404: a tutor account without a profile (e.g. created in the admin).
_ERRORS = {400: ERROR_RESPONSE, 401: ERROR_RESPONSE, 403: ERROR_RESPONSE, 404: ERROR_RESPONSE}

_PROFILE_EXAMPLE: dict[str, Any] = {
    "headline": "Maths and physics for NMT, 8 years of experience",
    "bio": "I prepare students for the NMT and olympiads.",
    "subjects": ["math", "physics"],
    "certifications": ["Cambridge CELTA"],
    "languages": ["uk", "en"],
    "hourly_rate": 450,
    "experience_years": 8,
    "avatar_url": "https://cdn.example.com/a/7.jpg",
    "timezone": "Europe/Kyiv",
    "public_profile_enabled": True,
    "privacy": {
        "show_email_publicly": False,
        "show_avatar_publicly": True,
        "show_certifications_publicly": True,
        "show_subjects_publicly": True,
        "show_bio_publicly": True,
    },
    "rating": 4.8,
    "reviews_count": 12,
    "version": 5,
    "listed": True,
    "missing_for_listing": [],
    "updated_at": "2026-02-15T10:22:33Z",
}


def _missing_for_listing(profile: TutorProfile) -> list[str]:
    missing = [name for name in ("headline", "subjects", "hourly_rate") if not getattr(profile, name)]
    if not profile.public_profile_enabled:
        missing.append("public_profile_enabled")
    return missing


class PrivacyOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "ProfilePrivacyOutput"

    show_email_publicly = serializers.BooleanField()
    show_avatar_publicly = serializers.BooleanField()
    show_certifications_publicly = serializers.BooleanField()
    show_subjects_publicly = serializers.BooleanField()
    show_bio_publicly = serializers.BooleanField()


class ProfileOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "TutorProfileOutput"

    headline = serializers.CharField()
    bio = serializers.CharField()
    subjects = serializers.ListField(child=serializers.CharField())
    certifications = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    hourly_rate = serializers.IntegerField(allow_null=True)
    experience_years = serializers.IntegerField(allow_null=True)
    avatar_url = serializers.CharField(allow_blank=True)
    timezone = serializers.CharField()
    public_profile_enabled = serializers.BooleanField()
    privacy = PrivacyOutputSerializer()
    rating = serializers.FloatField()
    reviews_count = serializers.IntegerField()
    version = serializers.IntegerField()
    listed = serializers.BooleanField(help_text="Whether the marketplace shows this profile.")
    missing_for_listing = serializers.ListField(child=serializers.CharField())
    updated_at = serializers.DateTimeField()


def render_profile(profile: TutorProfile) -> dict[str, Any]:
    data = profile_editable_data(profile)
    data.update(
        rating=float(profile.rating),
        reviews_count=profile.reviews_count,
        version=profile.version,
        listed=tutor_is_listed(profile),
        missing_for_listing=_missing_for_listing(profile),
        updated_at=profile.updated_at,
    )
    return ProfileOutputSerializer(data).data


class ProfileMeApi(APIView):
    permission_classes = [IsTutor]

    @extend_schema(
        summary="The caller's tutor profile",
        responses={200: ProfileOutputSerializer, **_ERRORS},
        examples=[
            OpenApiExample("profile", response_only=True, status_codes=["200"], value=_PROFILE_EXAMPLE),
            NOT_AUTHENTICATED,
            FORBIDDEN,
            NO_PROFILE,
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(render_profile(tutor_profile_of(request.user)))

    @extend_schema(
        summary="Update the caller's tutor profile",
        description=(
            "Partial update. Records a `profile.snapshot` activity event with the profile as it was "
            "(restore it with `POST /api/me/profile/snapshots/{id}/restore/`). The `version` grows when "
            "anything in the public profile changed; the search index follows within seconds."
        ),
        request=ProfileInputSerializer,
        responses={200: ProfileOutputSerializer, **_ERRORS},
        examples=[
            OpenApiExample(
                "update", request_only=True, value={"headline": "Maths tutor", "privacy": {"show_bio_publicly": False}}
            ),
            OpenApiExample("updated", response_only=True, status_codes=["200"], value=_PROFILE_EXAMPLE),
            validation_example("subjects", "Unknown subject: astrology. See /api/subjects/."),
            FORBIDDEN,
        ],
    )
    def patch(self, request: Request) -> Response:
        data = ProfileInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = services.profile_update(user=request.user, data=dict(data.validated_data))
        return Response(render_profile(profile))


class SnapshotSerializer(serializers.Serializer):
    class Meta:
        ref_name = "ProfileSnapshot"

    id = serializers.IntegerField()
    created_at = serializers.DateTimeField(source="timestamp")
    before = serializers.JSONField(source="metadata.before", help_text="The profile as it was.")


class SnapshotListApi(APIView):
    permission_classes = [IsTutor]

    class InputSerializer(PageQuerySerializer):
        class Meta:
            ref_name = "SnapshotListQuery"

        page_size = page_size_field(default=SNAPSHOTS_PAGE_SIZE, maximum=SNAPSHOTS_MAX_PAGE_SIZE)

    OutputSerializer = page_serializer(SnapshotSerializer, ref_name="ProfileSnapshotPage")

    @extend_schema(
        summary="Snapshots of the profile taken before each update (newest first)",
        parameters=[InputSerializer],
        responses={200: OutputSerializer, **_ERRORS},
        examples=[
            page_example(
                {"id": 42, "created_at": "2026-02-15T10:22:33Z", "before": {"headline": "Old headline"}},
                name="snapshots",
            ),
            validation_example("cursor", "Invalid cursor."),
            FORBIDDEN,
        ],
    )
    def get(self, request: Request) -> Response:
        query = self.InputSerializer(data=query_input(request.query_params, self.InputSerializer))
        query.is_valid(raise_exception=True)
        page = profile_snapshots(request.user, **query.validated_data)
        return Response(self.OutputSerializer(page).data)


class SnapshotRestoreApi(APIView):
    permission_classes = [IsTutor]

    @extend_schema(
        summary="Restore the profile from a snapshot (undo)",
        request=None,
        responses={200: ProfileOutputSerializer, 404: ERROR_RESPONSE, 409: ERROR_RESPONSE, **_ERRORS},
        examples=[
            OpenApiExample("restored", response_only=True, status_codes=["200"], value=_PROFILE_EXAMPLE),
            error_example("unknown snapshot", "404", "not_found", "No such snapshot."),
            error_example("stale snapshot", "409", "conflict", "This snapshot can no longer be applied: ..."),
            FORBIDDEN,
        ],
    )
    def post(self, request: Request, snapshot_id: int) -> Response:
        profile = services.profile_restore_snapshot(user=request.user, snapshot_id=snapshot_id)
        return Response(render_profile(profile))


class SlotEndField(HourMinuteField):
    """HH:MM, where 24:00 is the end of the day (00:00 is refused: it would end before it began)."""

    pattern = r"^(00:(0[1-9]|[1-5]\d)|(0[1-9]|1\d|2[0-3]):[0-5]\d|24:00)$"

    def to_internal_value(self, value: Any) -> Any:
        if value == END_OF_DAY_TEXT:
            return END_OF_DAY
        parsed = super().to_internal_value(value)
        if parsed == END_OF_DAY:
            raise serializers.ValidationError(_("A slot ends after it starts; the end of the day is 24:00."))
        return parsed

    def to_representation(self, value: Any) -> Any:
        return slot_end_text(value) if value is not None else None


class SlotSerializer(StrictSerializer):
    class Meta:
        ref_name = "AvailabilitySlot"

    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday ... 6 = Sunday")
    start = HourMinuteField()
    end = SlotEndField(help_text="HH:MM; 24:00 for a slot that runs to midnight.")


class AvailabilityApi(APIView):
    permission_classes = [IsTutor]

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "AvailabilityInput"

        slots = SlotSerializer(many=True, max_length=50)

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "AvailabilityOutput"

        timezone = serializers.CharField()
        slots = SlotSerializer(many=True)
        version = serializers.IntegerField()

    _example = {
        "timezone": "Europe/Kyiv",
        "slots": [{"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 2, "start": "18:00", "end": "20:30"}],
        "version": 6,
    }

    def _render(self, profile: TutorProfile) -> Response:
        slots = profile.slots.order_by("weekday", "start")
        return Response(
            self.OutputSerializer({"timezone": profile.timezone, "slots": slots, "version": profile.version}).data
        )

    @extend_schema(
        summary="The caller's weekly availability (tutor's time zone)",
        responses={200: OutputSerializer, **_ERRORS},
        examples=[
            OpenApiExample("slots", response_only=True, status_codes=["200"], value=_example),
            NOT_AUTHENTICATED,
            FORBIDDEN,
            NO_PROFILE,
        ],
    )
    def get(self, request: Request) -> Response:
        return self._render(tutor_profile_of(request.user))

    @extend_schema(
        summary="Replace the weekly availability",
        description=(
            "Replace-all. The body is `{\"slots\": [...]}` alone (the time zone is the profile's, set with "
            "`PATCH /api/me/profile/`; `version` is read-only). Slots must not overlap on a day; start before "
            "end; weekday 0-6."
        ),
        request=InputSerializer,
        responses={200: OutputSerializer, **_ERRORS},
        examples=[
            OpenApiExample("replace", request_only=True, value={"slots": _example["slots"]}),
            OpenApiExample("replaced", response_only=True, status_codes=["200"], value=_example),
            validation_example("slots.1.start", "Overlaps slot 0."),
            FORBIDDEN,
        ],
    )
    def put(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        profile = services.availability_replace(
            user=request.user, slots=[dict(s) for s in data.validated_data["slots"]]
        )
        return self._render(profile)


class DraftOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "ProfileDraftOutput"

    data = serializers.JSONField(help_text="The unpublished changes, in the profile's editable shape.")
    autosaved_at = serializers.DateTimeField(allow_null=True)


_DRAFT_EXAMPLE = {"data": {"headline": "New headline", "privacy": {"show_bio_publicly": False}},
                  "autosaved_at": "2026-02-15T10:22:33Z"}


def _render_draft(draft: Any) -> dict[str, Any]:
    if draft is None:
        return DraftOutputSerializer({"data": {}, "autosaved_at": None}).data
    return DraftOutputSerializer({"data": draft.data, "autosaved_at": draft.updated_at}).data


class DraftApi(APIView):
    permission_classes = [IsTutor]

    @extend_schema(
        summary="The caller's profile draft",
        responses={200: DraftOutputSerializer, **_ERRORS},
        examples=[
            OpenApiExample("draft", response_only=True, status_codes=["200"], value=_DRAFT_EXAMPLE),
            NOT_AUTHENTICATED,
            FORBIDDEN,
            NO_PROFILE,
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(_render_draft(services.draft_get(request.user)))

    @extend_schema(
        summary="Autosave: deep-merge partial changes into the draft",
        description=(
            "Objects merge, lists replace. Types are checked, required fields are not. The published "
            "profile is unchanged. One save per 10 seconds per user (429 with Retry-After otherwise)."
        ),
        request=ProfileInputSerializer,
        responses={200: DraftOutputSerializer, 429: ERROR_RESPONSE, **_ERRORS},
        examples=[
            OpenApiExample("autosave", request_only=True, value={"privacy": {"show_bio_publicly": False}}),
            OpenApiExample("saved", response_only=True, status_codes=["200"], value=_DRAFT_EXAMPLE),
            validation_example("hourly_rate", "A valid integer is required."),
            FORBIDDEN,
            TOO_MANY,
        ],
    )
    def patch(self, request: Request) -> Response:
        draft = services.draft_autosave(user=request.user, patch=request.data)
        return Response(_render_draft(draft))

    @extend_schema(
        summary="Discard the draft",
        responses={204: None, **_ERRORS},
        examples=[NOT_AUTHENTICATED, FORBIDDEN, NO_PROFILE],
    )
    def delete(self, request: Request) -> Response:
        services.draft_discard(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DraftDiffApi(APIView):
    permission_classes = [IsTutor]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProfileDraftDiff"

        dirty = serializers.ListField(child=serializers.CharField())

    @extend_schema(
        summary="Fields where the draft differs from the published profile",
        description="Paths up to 3 levels deep (`privacy.show_bio_publicly`); an array that differs is one path.",
        responses={200: OutputSerializer, **_ERRORS},
        examples=[
            OpenApiExample(
                "dirty", response_only=True, status_codes=["200"],
                value={"dirty": ["headline", "privacy.show_bio_publicly", "subjects"]},
            ),
            NOT_AUTHENTICATED,
            FORBIDDEN,
            NO_PROFILE,
        ],
    )
    def get(self, request: Request) -> Response:
        return Response({"dirty": services.draft_diff(request.user)})


class DraftPublishApi(APIView):
    permission_classes = [IsTutor]

    @extend_schema(
        summary="Publish the draft",
        description=(
            "Validates the draft merged over the profile in full and applies it in one transaction "
            "(recording a snapshot); the draft is then cleared. An invalid result publishes nothing."
        ),
        request=None,
        responses={200: ProfileOutputSerializer, 409: ERROR_RESPONSE, **_ERRORS},
        examples=[
            OpenApiExample("published", response_only=True, status_codes=["200"], value=_PROFILE_EXAMPLE),
            validation_example("subjects", "Unknown subject: astrology. See /api/subjects/."),
            error_example("no draft", "409", "conflict", "There is no draft to publish."),
            FORBIDDEN,
        ],
    )
    def post(self, request: Request) -> Response:
        return Response(render_profile(services.draft_publish(user=request.user)))


class SubjectListApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(serializers.Serializer):
        """No parameters: the whole catalogue (a few dozen subjects, kept by the admin)."""

        class Meta:
            ref_name = "SubjectListQuery"

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Subject"

        slug = serializers.CharField()
        name = serializers.SerializerMethodField(help_text="The name in the response's language (Accept-Language).")
        name_uk = serializers.CharField()
        name_en = serializers.CharField()
        name_pl = serializers.CharField()

        def get_name(self, subject: Any) -> str:
            return str(getattr(subject, f"name_{current_language()}", "") or subject.name_en)

    @extend_schema(
        summary="The subject catalogue",
        description=(
            "The slugs accepted in `subjects` and the `subject` filter, named in Ukrainian, English, Polish; "
            "`name` is the one in the response's language (Accept-Language). "
            "The whole catalogue in one response: it is a short list kept in the admin."
        ),
        responses={200: OutputSerializer(many=True), 400: ERROR_RESPONSE},
        examples=[
            OpenApiExample(
                "subjects", response_only=True, status_codes=["200"],
                value={"slug": "math", "name": "Математика", "name_uk": "Математика", "name_en": "Mathematics",
                       "name_pl": "Matematyka"},
            ),
            validation_example("page_size", "Unknown parameter; this endpoint takes none."),
            validation_example("search", "Unknown parameter; this endpoint takes none."),
        ],
    )
    def get(self, request: Request) -> Response:
        query_input(request.query_params, self.InputSerializer)
        return Response(self.OutputSerializer(subject_catalogue(), many=True).data)

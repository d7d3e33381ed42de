"""The public marketplace: tutor search served from the index, and a tutor's public profile.

Both are open to anonymous visitors. A signed-in visitor's Bearer token is read without
a query (the user id comes from the signed token, not from the users table; a session
would cost one), so a search runs no SQL and its activity events still name the visitor.
"""

from __future__ import annotations

import time
import unicodedata
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication

from search.breaker import SearchUnavailable
from search.cursor import InvalidCursor
from search.fields import PROFILE_FIELDS, TUTOR_FIELDS, DocumentField
from search.query import DEFAULT_ORDERING, ORDERINGS, SEARCH_MAX_TERMS, TOTAL_COUNTED_UP_TO, TutorQuery, search_terms
from search.suggest import SUGGEST_LIMIT, SUGGEST_MAX_LENGTH
from web.core.catalogues import ISO_639_1, is_language, is_time_zone
from web.core.errors import ServiceUnavailable
from web.core.i18n import current_language
from web.core.identity import user_id_of
from web.core.pagination import cursor_problem
from web.core.params import query_input
from web.core.schema import ERROR_RESPONSE, ERROR_SERIALIZER, error_example, validation_example
from web.marketplace import selectors, services
from web.marketplace.availability import AvailabilityInput, availability_from_params
from web.profiles.models import EXPERIENCE_MAX, HOURLY_RATE_MAX

PAGE_SIZE_DEFAULT = 20
PAGE_SIZE_MAX = 50
SEARCH_MAX_LENGTH = 200


def _elapsed_ms(request: Request, started: float) -> float:
    """Milliseconds since the request arrived (the middleware stamps it), else since `started`."""
    since = getattr(request, "started_perf_counter", None) or started
    return round((time.perf_counter() - since) * 1000, 2)


# The visitor from a valid Bearer token, as a TokenUser that only knows its id; an
# invalid or expired token is a 401, as on every other endpoint.
_VISITOR_AUTHENTICATION: list[type] = [JWTStatelessUserAuthentication]
_BAD_TOKEN = OpenApiResponse(ERROR_SERIALIZER, description="A Bearer token was sent and is invalid or expired")


# --- list -------------------------------------------------------------------------------


# What each mapping type of a shown document field is in the API.
_API_FIELD_TYPES: dict[str, type[serializers.Field]] = {
    "long": serializers.IntegerField,
    "integer": serializers.IntegerField,
    "float": serializers.FloatField,
    "boolean": serializers.BooleanField,
    "keyword": serializers.CharField,
    "text": serializers.CharField,
}


def _api_field(field: DocumentField) -> serializers.Field:
    """The output field of a document field: absent when a privacy flag hides it."""
    value_type = _API_FIELD_TYPES[field.mapping["type"]]
    if field.many:
        return serializers.ListField(child=value_type(), required=field.hidden_by is None, allow_null=field.nullable)
    return value_type(required=field.hidden_by is None, allow_null=field.nullable)


class TutorResultSerializer(serializers.Serializer):
    """A tutor in search results. A field the tutor hides is absent, not null."""

    class Meta:
        ref_name = "MarketplaceTutorResult"

    # The document's result fields (search/fields.py); the docstring is the schema's text.
    document_fields: tuple[DocumentField, ...] = tuple(f for f in TUTOR_FIELDS if f.in_results)

    # Beside `subjects` (and absent with it): their names in the response's language.
    subject_names = serializers.ListField(
        child=serializers.CharField(), required=False,
        help_text="The names of `subjects`, in the language of the response (Accept-Language: uk, en, pl).",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # The document's fields first, then any declared on the class.
        return {f.name: _api_field(f) for f in self.document_fields} | super().get_fields()


# Fields a response adds to the document's: derived from it for the response's language.
RESPONSE_FIELDS: tuple[str, ...] = ("subject_names",)


def with_subject_names(tutor: dict[str, Any], language: str) -> dict[str, Any]:
    """The tutor with `subject_names` beside its `subjects` (absent when they are hidden)."""
    if "subjects" in tutor:
        tutor["subject_names"] = selectors.subject_names(tutor["subjects"], language)
    return tutor


# One class for both term facets, so the schema has one MarketplaceFacetValue component.
_FacetValue = type(
    inline_serializer("MarketplaceFacetValue", {"value": serializers.CharField(), "count": serializers.IntegerField()})
)


def _facet_values() -> serializers.Serializer:
    return _FacetValue(many=True)


_FACETS = inline_serializer(
    "MarketplaceFacets",
    {
        "subjects": _facet_values(),
        "languages": _facet_values(),
        "price": inline_serializer(
            "MarketplacePriceBucket",
            {
                "from": serializers.IntegerField(help_text="Lowest hourly rate of the range."),
                "to": serializers.IntegerField(help_text="Highest hourly rate of the range (inclusive, as price_max)."),
                "count": serializers.IntegerField(),
            },
            many=True,
        ),
    },
    required=False,
)

_RESULT_EXAMPLE: dict[str, Any] = {
    f.name: f.example for f in TUTOR_FIELDS if f.in_results and f.example is not None
} | {"subject_names": ["Математика", "Фізика"]}


class TutorListApi(APIView):
    authentication_classes = _VISITOR_AUTHENTICATION
    permission_classes = [AllowAny]

    class InputSerializer(AvailabilityInput, serializers.Serializer):
        class Meta:
            ref_name = "MarketplaceTutorListInput"

        subject = serializers.SlugField(
            required=False, max_length=50, help_text="A catalogue slug (GET /api/subjects/)."
        )
        price_min = serializers.IntegerField(required=False, min_value=0, max_value=HOURLY_RATE_MAX)
        price_max = serializers.IntegerField(required=False, min_value=0, max_value=HOURLY_RATE_MAX)
        experience_min = serializers.IntegerField(required=False, min_value=0, max_value=EXPERIENCE_MAX)
        language = serializers.ChoiceField(
            choices=sorted(ISO_639_1), required=False, help_text="ISO 639-1 code, e.g. uk."
        )
        has_certifications = serializers.BooleanField(required=False, help_text="true or false.")
        search = serializers.CharField(
            required=False, max_length=SEARCH_MAX_LENGTH, allow_blank=True,
            help_text=(
                f"Full text over name, headline, bio and subject names; typo tolerant. At most "
                f"{SEARCH_MAX_LENGTH} characters and {SEARCH_MAX_TERMS} words."
            ),
        )
        ordering = serializers.ChoiceField(
            choices=ORDERINGS, required=False,
            help_text=(
                "relevance (default with `search`), price (cheapest first), -price, experience (most "
                f"experienced first), rating (best first; the default without `search`: {DEFAULT_ORDERING})."
            ),
        )
        page_size = serializers.IntegerField(
            required=False, min_value=1, max_value=PAGE_SIZE_MAX, default=PAGE_SIZE_DEFAULT
        )
        cursor = serializers.CharField(required=False, max_length=512, help_text="`cursor` of the previous page.")
        facets = serializers.BooleanField(required=False, default=False, help_text="Add counts per facet.")

        def validate_subject(self, value: str) -> str:
            try:
                known = selectors.subject_slugs()
            except selectors.CatalogueUnavailable as exc:
                raise ServiceUnavailable(
                    _("Search is temporarily unavailable, retry shortly."), retry_after=exc.retry_after
                ) from None
            if value not in known:
                raise serializers.ValidationError(
                    _("Unknown subject %(subject)r; see GET /api/subjects/.") % {"subject": value}
                )
            return value

        def validate_language(self, value: str) -> str:
            if not is_language(value):
                raise serializers.ValidationError(_("Must be an ISO 639-1 language code, e.g. uk, en, pl."))
            return value

        def validate_search(self, value: str) -> str | None:
            if any(unicodedata.category(char) == "Cc" for char in value):
                raise serializers.ValidationError(_("Must not contain control characters."))
            if search_terms(value) > SEARCH_MAX_TERMS:
                raise serializers.ValidationError(_("Use at most %(count)d words.") % {"count": SEARCH_MAX_TERMS})
            return value.strip() or None

        def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
            low, high = attrs.get("price_min"), attrs.get("price_max")
            if low is not None and high is not None and low > high:
                raise serializers.ValidationError({"price_max": [_("Must be greater than or equal to price_min.")]})
            return attrs

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MarketplaceTutorListOutput"

        results = TutorResultSerializer(many=True)
        total = serializers.IntegerField(
            help_text=f"Tutors matching the query over all pages, counted exactly up to {TOTAL_COUNTED_UP_TO}."
        )
        total_exact = serializers.BooleanField(help_text="false when `total` is only a lower bound.")
        cursor = serializers.CharField(allow_null=True, help_text="Pass as `cursor` for the next page.")
        has_more = serializers.BooleanField()
        facets = _FACETS
        did_you_mean = serializers.ListField(
            child=serializers.CharField(), required=False,
            help_text=(
                "Only when `search` found nobody: up to 3 corrected queries, each of which finds at least "
                "one tutor under the same filters (may be empty)."
            ),
        )

    @extend_schema(
        operation_id="marketplace_tutors_list",
        summary="Search tutors",
        description=(
            "Listed tutors, served from the search index. Filters combine with AND; `search` is full "
            "text (typo tolerant, accents and case folded) ranked by relevance nudged by rating. "
            "Cursor pagination: pass `cursor` from the previous page with the same parameters; a "
            "cursor from other parameters or altered -> 400. `facets=true` adds counts per subject, "
            "language and price range, each computed under every other filter but its own. "
            "Each parameter at most once; an unknown one is a 400 (a misspelt filter is never "
            "silently ignored) and an empty value counts as not given. "
            "Availability: `available_on` (weekdays) and/or `available_from`-`available_to` (a window, "
            "HH:MM, read in `tz`, default the signed-in visitor's zone, else UTC) list tutors with one "
            "weekly slot holding the whole window on any of those days, across time zones and "
            "daylight-saving changes (the coming week's offsets). "
            "503 with Retry-After when the search index is unavailable."
        ),
        parameters=[
            InputSerializer,
            OpenApiParameter(
                "available_on", str, description=AvailabilityInput().fields["available_on"].help_text,
                examples=[
                    OpenApiExample("weekday evenings", value="mon,tue,wed,thu,fri"),
                    OpenApiExample("Saturday", value="sat"),
                ],
            ),
            OpenApiParameter(
                "available_from", str, description=AvailabilityInput().fields["available_from"].help_text,
                examples=[OpenApiExample("evening", value="18:00"), OpenApiExample("late", value="22:30")],
            ),
            OpenApiParameter(
                "available_to", str, description=AvailabilityInput().fields["available_to"].help_text,
                examples=[
                    OpenApiExample("evening", value="20:00"),
                    OpenApiExample("past midnight", value="01:00"),
                    OpenApiExample("midnight", value="24:00"),
                ],
            ),
            OpenApiParameter(
                "tz", str, description=AvailabilityInput().fields["tz"].help_text,
                examples=[OpenApiExample("Warsaw", value="Europe/Warsaw"),
                          OpenApiExample("New York", value="America/New_York")],
            ),
        ],
        responses={
            200: OutputSerializer,
            400: ERROR_RESPONSE,
            401: _BAD_TOKEN,
            503: OpenApiResponse(ERROR_SERIALIZER, description="The search index is unavailable; see Retry-After"),
        },
        examples=[
            OpenApiExample(
                "page", response_only=True, status_codes=["200"],
                value={
                    "results": [_RESULT_EXAMPLE], "total": 128, "total_exact": True,
                    "cursor": None, "has_more": False,
                },
            ),
            OpenApiExample(
                "page with facets", response_only=True, status_codes=["200"],
                value={
                    "results": [_RESULT_EXAMPLE], "total": 1, "total_exact": True, "cursor": None,
                    "has_more": False, "facets": {
                        "subjects": [{"value": "math", "count": 1}, {"value": "physics", "count": 1}],
                        "languages": [{"value": "en", "count": 1}, {"value": "uk", "count": 1}],
                        "price": [{"from": 400, "to": 499, "count": 1}],
                    },
                },
            ),
            OpenApiExample(
                "no results, did you mean", response_only=True, status_codes=["200"],
                value={"results": [], "total": 0, "total_exact": True, "cursor": None, "has_more": False,
                       "did_you_mean": ["matematyka lodz"]},
            ),
            OpenApiExample(
                "free on Tuesday 18:00-20:00 in Warsaw", response_only=True, status_codes=["200"],
                description="?available_on=tue&available_from=18:00&available_to=20:00&tz=Europe/Warsaw",
                value={"results": [_RESULT_EXAMPLE], "total": 1, "total_exact": True, "cursor": None,
                       "has_more": False},
            ),
            validation_example("price_max", "Must be greater than or equal to price_min."),
            validation_example("available_to", "Give available_to with available_from."),
            validation_example("tz", "Unknown IANA time zone, e.g. Europe/Warsaw."),
            validation_example("cursor", "This cursor belongs to another query; start again from the first page."),
            error_example(
                "search unavailable", "503", "service_unavailable", "Search is temporarily unavailable, retry shortly."
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        started = time.perf_counter()
        serializer = self.InputSerializer(data=query_input(request.query_params, self.InputSerializer))
        serializer.is_valid(raise_exception=True)
        params = serializer.validated_data
        query = TutorQuery(
            subject=params.get("subject"),
            price_min=params.get("price_min"),
            price_max=params.get("price_max"),
            experience_min=params.get("experience_min"),
            language=params.get("language"),
            has_certifications=params.get("has_certifications"),
            search=params.get("search"),
            ordering=params.get("ordering"),
            available=_availability(request, params),
        )
        cursor = params.get("cursor")
        try:
            page = selectors.marketplace_tutor_search(
                query, page_size=params["page_size"], cursor=cursor, facets=params["facets"]
            )
        except InvalidCursor as exc:
            raise ValidationError({"cursor": [cursor_problem(exc)]}) from None
        except SearchUnavailable as exc:
            self._record(request, query, cursor, started, status_code=503, result_count=0, engine_ms=None)
            raise ServiceUnavailable(
                _("Search is temporarily unavailable, retry shortly."), retry_after=exc.retry_after
            ) from None
        language = current_language()
        body: dict[str, Any] = {
            "results": [with_subject_names(tutor, language) for tutor in page.results],
            "total": page.total,
            "total_exact": page.total_exact,
            "cursor": page.cursor,
            "has_more": page.has_more,
        }
        if page.facets is not None:
            body["facets"] = page.facets
        if page.did_you_mean is not None:
            body["did_you_mean"] = page.did_you_mean
        self._record(request, query, cursor, started, status_code=200, result_count=page.total, engine_ms=page.took_ms)
        return Response(body)

    @staticmethod
    def _record(
        request: Request, query: TutorQuery, cursor: str | None, started: float, *,
        status_code: int, result_count: int, engine_ms: float | None,
    ) -> None:
        services.marketplace_search_record(
            services.SearchRecord(
                search=query.search,
                filters=query.filters,
                ordering=query.ordering,
                effective_ordering=query.effective_ordering,
                first_page=cursor is None,
                result_count=result_count,
                duration_ms=_elapsed_ms(request, started),
                engine_ms=engine_ms,
                status_code=status_code,
            ),
            actor=request.user,
        )


# --- suggest ----------------------------------------------------------------------------


class SuggestApi(APIView):
    authentication_classes = _VISITOR_AUTHENTICATION
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MarketplaceSuggestInput"

        q = serializers.CharField(
            max_length=SUGGEST_MAX_LENGTH, help_text=f"What has been typed so far (1-{SUGGEST_MAX_LENGTH} characters)."
        )

        def validate_q(self, value: str) -> str:
            if any(unicodedata.category(char) == "Cc" for char in value):
                raise serializers.ValidationError(_("Must not contain control characters."))
            if not value.strip():
                raise serializers.ValidationError(_("This field may not be blank."))
            return value

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MarketplaceSuggestOutput"

        results = inline_serializer(
            "MarketplaceSuggestion",
            {
                "type": serializers.ChoiceField(choices=["subject", "tutor", "headline"]),
                "text": serializers.CharField(help_text="The completion to show."),
                "slug": serializers.CharField(required=False, help_text="Subject slug (type subject)."),
                "tutor_id": serializers.IntegerField(required=False, help_text="Tutor id (type tutor or headline)."),
            },
            many=True,
        )

    @extend_schema(
        operation_id="marketplace_suggest",
        summary="Search as you type",
        description=(
            f"Up to {SUGGEST_LIMIT} completions of `q`: subject names (uk, en, pl), tutor names and headline "
            "phrases of listed tutors, each saying what it is (a subject slug or a tutor id). Accents and case "
            "are folded; one typo is forgiven once four characters are typed (never in the first two). "
            "Served from the search index and an in-process catalogue: no SQL. 503 when the index is unavailable."
        ),
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            400: ERROR_RESPONSE,
            401: _BAD_TOKEN,
            503: OpenApiResponse(ERROR_SERIALIZER, description="The search index is unavailable; see Retry-After"),
        },
        examples=[
            OpenApiExample(
                "completions", response_only=True, status_codes=["200"],
                value={"results": [
                    {"type": "subject", "text": "Matematyka", "slug": "math"},
                    {"type": "tutor", "text": "Marta Zalewska", "tutor_id": 42},
                    {"type": "headline", "text": "Matematyka dla licealistów", "tutor_id": 7},
                ]},
            ),
            validation_example("q", "This field is required."),
            error_example(
                "search unavailable", "503", "service_unavailable", "Search is temporarily unavailable, retry shortly."
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=query_input(request.query_params, self.InputSerializer))
        serializer.is_valid(raise_exception=True)
        try:
            results = selectors.marketplace_suggest(serializer.validated_data["q"])
        except (SearchUnavailable, selectors.CatalogueUnavailable) as exc:
            raise ServiceUnavailable(
                _("Search is temporarily unavailable, retry shortly."), retry_after=exc.retry_after
            ) from None
        return Response({"results": results})


def _availability(request: Request, params: dict[str, Any]) -> Any:
    """The availability filter of the request, read in `tz`, else the visitor's zone, else UTC."""
    if not any(params.get(name) for name in ("available_on", "available_from", "available_to")):
        return None
    default_tz = "UTC" if params.get("tz") else _viewer_tz(request)
    return availability_from_params(params, default_tz)


def _viewer_tz(request: Request) -> str:
    try:
        return selectors.viewer_time_zone(user_id_of(request.user))
    except selectors.CatalogueUnavailable as exc:
        raise ServiceUnavailable(
            _("Search is temporarily unavailable, retry shortly."), retry_after=exc.retry_after
        ) from None


# --- detail -----------------------------------------------------------------------------

_PROFILE_ONLY_EXAMPLE: dict[str, Any] = {
    f.name: f.example for f in PROFILE_FIELDS if not f.in_results and f.example is not None
}


_VIEWER_SLOTS = inline_serializer(
    "MarketplaceViewerAvailability",
    {
        "timezone": serializers.CharField(help_text="The zone the slots are shown in."),
        "slots": serializers.ListField(
            child=inline_serializer(
                "MarketplaceViewerSlot",
                {
                    "weekday": serializers.IntegerField(),
                    "start": serializers.CharField(),
                    "end": serializers.CharField(),
                },
            )
        ),
    },
    help_text=(
        "The slots on the viewer's clock (`tz`, else the signed-in visitor's zone, else UTC) for the "
        "coming week; a slot that crosses midnight there is shown as two."
    ),
)


class TutorDetailApi(APIView):
    authentication_classes = _VISITOR_AUTHENTICATION
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "MarketplaceTutorDetailInput"

        tz = serializers.CharField(
            required=False, max_length=64,
            help_text="IANA time zone to show the slots in (default: the signed-in visitor's zone, else UTC).",
        )

        def validate_tz(self, value: str) -> str:
            if not is_time_zone(value):
                raise serializers.ValidationError(_("Unknown IANA time zone, e.g. Europe/Warsaw."))
            return value

    class OutputSerializer(TutorResultSerializer):
        """The public profile: a search result plus bio and availability; each field the
        tutor hides is absent."""

        class Meta:
            ref_name = "MarketplaceTutorProfile"

        # The result fields, then those of the public profile the results leave out
        # (the bio); then its availability as slots (the document holds it as windows).
        document_fields = TutorResultSerializer.document_fields + tuple(
            f for f in PROFILE_FIELDS if not f.in_results
        )
        availability = serializers.ListField(
            child=inline_serializer(
                "MarketplaceSlot",
                {
                    "weekday": serializers.IntegerField(),
                    "start": serializers.CharField(),
                    "end": serializers.CharField(),
                },
            ),
            help_text="Weekly slots in the tutor's own zone (`timezone`); 24:00 ends a slot at midnight.",
        )
        availability_viewer = _VIEWER_SLOTS

    @extend_schema(
        summary="A tutor's public profile",
        description=(
            "Privacy flags applied: a hidden field is omitted. A tutor who is not listed -> 404. "
            "`availability` is in the tutor's zone, `availability_viewer` in `tz` (else the signed-in "
            "visitor's zone, else UTC)."
        ),
        parameters=[InputSerializer],
        responses={
            200: OutputSerializer,
            400: ERROR_RESPONSE,
            401: _BAD_TOKEN,
            404: ERROR_RESPONSE,
        },
        examples=[
            OpenApiExample(
                "profile", response_only=True, status_codes=["200"],
                value={**_RESULT_EXAMPLE, **_PROFILE_ONLY_EXAMPLE,
                       "availability": [{"weekday": 0, "start": "16:00", "end": "19:00"}],
                       "availability_viewer": {"timezone": "Europe/Warsaw",
                                               "slots": [{"weekday": 0, "start": "15:00", "end": "18:00"}]}},
            ),
            OpenApiExample(
                "profile with hidden bio and certifications", response_only=True, status_codes=["200"],
                value={key: value for key, value in _RESULT_EXAMPLE.items() if key != "certifications"}
                | {"availability": [], "availability_viewer": {"timezone": "UTC", "slots": []}},
            ),
            validation_example("tz", "Unknown IANA time zone, e.g. Europe/Warsaw."),
            error_example("not listed", "404", "not_found", "Not found."),
        ],
    )
    def get(self, request: Request, tutor_id: int) -> Response:
        started = time.perf_counter()
        serializer = self.InputSerializer(data=query_input(request.query_params, self.InputSerializer))
        serializer.is_valid(raise_exception=True)
        viewer_tz = serializer.validated_data.get("tz") or _viewer_tz(request)
        profile = selectors.marketplace_tutor_detail(tutor_id, viewer_tz=viewer_tz)
        status_code = 200 if profile is not None else 404
        services.marketplace_profile_view_record(
            tutor_id, status_code=status_code, duration_ms=_elapsed_ms(request, started),
            actor=request.user,
        )
        if profile is None:
            raise NotFound()
        return Response(with_subject_names(profile, current_language()))

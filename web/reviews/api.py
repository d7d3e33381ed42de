"""Review endpoints: students write, tutors reply, anyone signed in flags, everyone reads.

Views validate, call one service or selector, render. Another user's review id is a
404 on every endpoint that takes one.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTStatelessUserAuthentication

from web.core.pagination import PageQuerySerializer, page_example, page_serializer, page_size_field
from web.core.params import query_input
from web.core.schema import ERROR_RESPONSE, ERROR_SERIALIZER, NOT_AUTHENTICATED, error_example, validation_example
from web.core.serializers import StrictSerializer
from web.reviews import selectors, services
from web.reviews.models import FLAG_NOTE_MAX, REPLY_MAX, TEXT_MAX, FlagReason, Review, ReviewFlag

_ERRORS = {400: ERROR_RESPONSE, 401: ERROR_RESPONSE, 403: ERROR_RESPONSE, 404: ERROR_RESPONSE}
NO_REVIEW = error_example("not yours or not found", "404", "not_found", "No such review.")
ALREADY = error_example("already reviewed", "409", "conflict", str(services.ALREADY_REVIEWED))

_REVIEW_EXAMPLE: dict[str, Any] = {
    "id": 311,
    "tutor_id": 42,
    "rating": 5,
    "text": "Clear explanations, my NMT score went from 160 to 186.",
    "status": "published",
    "reply": "",
    "replied_at": None,
    "created_at": "2026-02-15T10:22:33Z",
    "updated_at": "2026-02-15T10:22:33Z",
}


class ReviewOutputSerializer(serializers.Serializer):
    """A review as its author and its tutor see it."""

    class Meta:
        ref_name = "Review"

    id = serializers.IntegerField()
    tutor_id = serializers.IntegerField()
    rating = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(allow_blank=True)
    status = serializers.ChoiceField(choices=["published", "hidden"])
    reply = serializers.CharField(allow_blank=True)
    replied_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


def _render(review: Review) -> dict[str, Any]:
    return dict(ReviewOutputSerializer(review).data)


# --- write -----------------------------------------------------------------------------------


class ReviewCreateApi(APIView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "ReviewCreateInput"

        rating = serializers.IntegerField(min_value=1, max_value=5)
        text = serializers.CharField(max_length=TEXT_MAX, allow_blank=True, required=False, default="")

    @extend_schema(
        summary="Review a tutor (students, after a completed lesson with them)",
        description=(
            "One live review per student and tutor (409 for a second; delete the first to write "
            "anew). 403 unless the student had a completed lesson with the tutor. New reviews are "
            "limited per account and per client address (429 with Retry-After). The tutor's "
            "rating and reviews count change in the same transaction; search follows within seconds."
        ),
        request=InputSerializer,
        responses={201: ReviewOutputSerializer, **_ERRORS, 409: ERROR_RESPONSE, 429: ERROR_RESPONSE},
        examples=[
            OpenApiExample("review", request_only=True, value={"rating": 5, "text": _REVIEW_EXAMPLE["text"]}),
            OpenApiExample("created", response_only=True, status_codes=["201"], value=_REVIEW_EXAMPLE),
            validation_example("rating", "Ensure this value is less than or equal to 5."),
            error_example("no completed lesson", "403", "permission_denied", str(services.NOT_VERIFIED)),
            ALREADY,
            error_example(
                "rate limited", "429", "rate_limited",
                "Too many new reviews from this account, retry later. Expected available in 600 seconds.",
            ),
        ],
    )
    def post(self, request: Request, tutor_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_create(student=request.user, tutor_id=tutor_id, **data.validated_data)
        return Response(_render(review), status=status.HTTP_201_CREATED)


class ReviewDetailApi(APIView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "ReviewUpdateInput"

        rating = serializers.IntegerField(min_value=1, max_value=5, required=False)
        text = serializers.CharField(max_length=TEXT_MAX, allow_blank=True, required=False)

    @extend_schema(
        summary="Edit your review",
        description="The author only (another user's review is a 404). A new rating moves the tutor's "
        "aggregates by exactly the difference.",
        request=InputSerializer,
        responses={200: ReviewOutputSerializer, **_ERRORS},
        examples=[
            OpenApiExample("edit", request_only=True, value={"rating": 4}),
            OpenApiExample("edited", response_only=True, status_codes=["200"], value={**_REVIEW_EXAMPLE, "rating": 4}),
            validation_example("text", "Ensure this field has no more than 2000 characters."),
            NO_REVIEW,
        ],
    )
    def patch(self, request: Request, review_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_update(user=request.user, review_id=review_id, data=dict(data.validated_data))
        return Response(_render(review))

    @extend_schema(
        summary="Delete your review",
        description="The author only (another user's review is a 404). The review leaves the public list "
        "and the aggregates; the student may then review the tutor again.",
        request=None,
        responses={204: OpenApiResponse(description="Deleted"), 401: ERROR_RESPONSE, 404: ERROR_RESPONSE},
        examples=[
            NOT_AUTHENTICATED, NO_REVIEW, error_example("already deleted", "404", "not_found", "No such review."),
        ],
    )
    def delete(self, request: Request, review_id: int) -> Response:
        services.review_delete(user=request.user, review_id=review_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewReplyApi(APIView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "ReviewReplyInput"

        text = serializers.CharField(max_length=REPLY_MAX)

    @extend_schema(
        summary="Reply to a review of you (tutors, once per review)",
        description="Only the reviewed tutor (any other caller gets a 404); a second reply is a 409.",
        request=InputSerializer,
        responses={200: ReviewOutputSerializer, **_ERRORS, 409: ERROR_RESPONSE},
        examples=[
            OpenApiExample("reply", request_only=True, value={"text": "Thank you, good luck at the NMT!"}),
            OpenApiExample(
                "replied", response_only=True, status_codes=["200"],
                value={**_REVIEW_EXAMPLE, "reply": "Thank you, good luck at the NMT!",
                       "replied_at": "2026-02-16T08:00:00Z"},
            ),
            validation_example("text", "This field may not be blank."),
            NO_REVIEW,
            error_example("already replied", "409", "conflict", str(services.ALREADY_REPLIED)),
        ],
    )
    def post(self, request: Request, review_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review = services.review_reply(tutor=request.user, review_id=review_id, text=data.validated_data["text"])
        return Response(_render(review))


class ReviewFlagApi(APIView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "ReviewFlagInput"

        reason = serializers.ChoiceField(choices=FlagReason.values)
        note = serializers.CharField(max_length=FLAG_NOTE_MAX, allow_blank=True, required=False, default="")

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ReviewFlag"

        review_id = serializers.IntegerField()
        reason = serializers.ChoiceField(choices=FlagReason.values)
        created_at = serializers.DateTimeField()

    @extend_schema(
        summary="Report a review to the moderators (once per user and review)",
        description="Any signed-in user. Reasons: spam, offensive, off_topic, other. A review that is not "
        "public is a 404; a second flag by the same user is a 409.",
        request=InputSerializer,
        responses={201: OutputSerializer, **_ERRORS, 409: ERROR_RESPONSE},
        examples=[
            OpenApiExample("flag", request_only=True, value={"reason": "spam", "note": "Advertises another site."}),
            OpenApiExample(
                "flagged", response_only=True, status_codes=["201"],
                value={"review_id": 311, "reason": "spam", "created_at": "2026-02-16T08:00:00Z"},
            ),
            validation_example("reason", '"rude" is not a valid choice.'),
            error_example("already flagged", "409", "conflict", str(services.ALREADY_FLAGGED)),
        ],
    )
    def post(self, request: Request, review_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flag: ReviewFlag = services.review_flag(user=request.user, review_id=review_id, **data.validated_data)
        return Response(self.OutputSerializer(flag).data, status=status.HTTP_201_CREATED)


class ReviewMineApi(APIView):
    class InputSerializer(PageQuerySerializer):
        class Meta:
            ref_name = "ReviewMineQuery"

        page_size = page_size_field(default=selectors.PUBLIC_PAGE_SIZE, maximum=selectors.PUBLIC_MAX_PAGE_SIZE)

    OutputSerializer = page_serializer(ReviewOutputSerializer, ref_name="ReviewPage")

    @extend_schema(
        summary="Your reviews (newest first)",
        description="The caller's live reviews, hidden ones included (their status says so).",
        parameters=[InputSerializer],
        responses={200: OutputSerializer, 400: ERROR_RESPONSE, 401: ERROR_RESPONSE},
        examples=[page_example(_REVIEW_EXAMPLE, name="reviews"), validation_example("cursor", "Invalid cursor."),
                  NOT_AUTHENTICATED],
    )
    def get(self, request: Request) -> Response:
        query = self.InputSerializer(data=query_input(request.query_params, self.InputSerializer))
        query.is_valid(raise_exception=True)
        page = selectors.reviews_written(request.user, **query.validated_data)
        return Response(self.OutputSerializer(page).data)


# --- the public list ---------------------------------------------------------------------------


class PublicReviewSerializer(serializers.Serializer):
    class Meta:
        ref_name = "PublicReview"

    id = serializers.IntegerField()
    rating = serializers.IntegerField(min_value=1, max_value=5)
    text = serializers.CharField(allow_blank=True)
    author = serializers.CharField(help_text='The first name and last initial ("Olena K.").')
    reply = serializers.CharField(allow_blank=True)
    replied_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    edited = serializers.BooleanField(help_text="Changed by its author after publication.")


class ReviewSummarySerializer(serializers.Serializer):
    class Meta:
        ref_name = "ReviewSummary"

    rating = serializers.FloatField(help_text="Mean of the published reviews, 2 decimals (0 without reviews).")
    reviews_count = serializers.IntegerField()
    histogram = serializers.DictField(
        child=serializers.IntegerField(), help_text='Published reviews per star, "1" to "5".'
    )


class TutorReviewPageSerializer(serializers.Serializer):
    class Meta:
        ref_name = "TutorReviewPage"

    results = PublicReviewSerializer(many=True)
    cursor = serializers.CharField(allow_null=True, help_text="Pass as `cursor` for the next page; null at the end")
    has_more = serializers.BooleanField()
    summary = ReviewSummarySerializer()


_PUBLIC_EXAMPLE = {
    "id": 311, "rating": 5, "text": _REVIEW_EXAMPLE["text"], "author": "Olena K.",
    "reply": "Thank you!", "replied_at": "2026-02-16T08:00:00Z", "created_at": "2026-02-15T10:22:33Z",
    "edited": False,
}
_SUMMARY_EXAMPLE = {"rating": 4.83, "reviews_count": 12, "histogram": {"1": 0, "2": 0, "3": 1, "4": 0, "5": 11}}


def _public(review: Review) -> dict[str, Any]:
    return {
        "id": review.pk,
        "rating": review.rating,
        "text": review.text,
        "author": selectors.author_name(review.student.full_name),
        "reply": review.reply,
        "replied_at": review.replied_at,
        "created_at": review.created_at,
        "edited": review.updated_at > review.created_at,
    }


class TutorReviewListApi(APIView):
    authentication_classes = [JWTStatelessUserAuthentication]
    permission_classes = [AllowAny]

    class InputSerializer(PageQuerySerializer):
        class Meta:
            ref_name = "TutorReviewListQuery"

        ordering = serializers.ChoiceField(
            choices=list(selectors.ORDERINGS), required=False, default=selectors.DEFAULT_ORDERING,
            help_text="newest (default), highest or lowest rating first.",
        )
        page_size = page_size_field(default=selectors.PUBLIC_PAGE_SIZE, maximum=selectors.PUBLIC_MAX_PAGE_SIZE)

    @extend_schema(
        summary="A tutor's published reviews and rating summary",
        description="Open to everyone. A tutor the marketplace does not list -> 404. Hidden and deleted "
        "reviews are not shown and not counted.",
        parameters=[InputSerializer],
        responses={
            200: TutorReviewPageSerializer,
            400: ERROR_RESPONSE,
            401: OpenApiResponse(ERROR_SERIALIZER, description="A Bearer token was sent and is invalid or expired"),
            404: ERROR_RESPONSE,
        },
        examples=[
            OpenApiExample(
                "reviews", response_only=True, status_codes=["200"],
                value={"results": [_PUBLIC_EXAMPLE], "cursor": "eyJwIjpbIjIwMjYtMDIt...:1tQ9xZ:abc",
                       "has_more": True, "summary": _SUMMARY_EXAMPLE},
            ),
            validation_example("ordering", '"best" is not a valid choice.'),
            error_example("not listed", "404", "not_found", "Not found."),
        ],
    )
    def get(self, request: Request, tutor_id: int) -> Response:
        query = self.InputSerializer(data=query_input(request.query_params, self.InputSerializer))
        query.is_valid(raise_exception=True)
        summary, page = selectors.tutor_reviews_public(tutor_id, **query.validated_data)
        body = {
            "results": [_public(review) for review in page.results],
            "cursor": page.cursor,
            "has_more": page.has_more,
            "summary": {"rating": summary.rating, "reviews_count": summary.reviews_count,
                        "histogram": summary.histogram},
        }
        return Response(TutorReviewPageSerializer(body).data)

"""Relations endpoints: the student's side under /api/student/, the tutor's dashboard under
/api/tutor/relations/. Views validate, call one service or selector, render."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from web.accounts.models import Role
from web.core.pagination import PageQuerySerializer, page_example, page_serializer, page_size_field
from web.core.params import query_input
from web.core.schema import ERROR_RESPONSE, NOT_AUTHENTICATED, error_example, validation_example
from web.core.serializers import StrictSerializer
from web.relations import selectors, services
from web.relations.models import MESSAGE_MAX, Initiator, Relation, RelationStatus

# --- permissions -------------------------------------------------------------------------


class IsStudent(BasePermission):
    message = "Only student accounts can use this endpoint."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.STUDENT)


class IsTutorAccount(BasePermission):
    message = "Only tutor accounts can use this endpoint."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == Role.TUTOR)


STUDENTS_ONLY = error_example("not a student", "403", "permission_denied", IsStudent.message)
TUTORS_ONLY = error_example("not a tutor", "403", "permission_denied", IsTutorAccount.message)
NOT_FOUND = error_example("unknown relation", "404", "not_found", str(services.NO_RELATION))
_ERRORS = {400: ERROR_RESPONSE, 401: ERROR_RESPONSE, 403: ERROR_RESPONSE}
_ACTION_ERRORS = {**_ERRORS, 404: ERROR_RESPONSE, 409: ERROR_RESPONSE}

# --- output --------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RelationPerson"

    id = serializers.IntegerField()
    full_name = serializers.CharField()


class StudentPersonSerializer(PersonSerializer):
    class Meta:
        ref_name = "RelationStudent"

    email = serializers.EmailField()


class _RelationBase(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=RelationStatus.choices)
    initiated_by = serializers.ChoiceField(
        choices=Initiator.choices, help_text="`student`: a request to the tutor; `tutor`: an invitation."
    )
    message = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="While pending: when it expires.")
    resend_count = serializers.IntegerField()
    last_sent_at = serializers.DateTimeField()


class TutorRelationSerializer(_RelationBase):
    class Meta:
        ref_name = "TutorRelation"

    student = StudentPersonSerializer(allow_null=True, help_text="Null while an invitation waits for sign-up.")
    invited_email = serializers.CharField(allow_blank=True, help_text="The address an invitation was sent to.")


class StudentRelationSerializer(_RelationBase):
    class Meta:
        ref_name = "StudentRelation"

    tutor = PersonSerializer()


_RELATION_TIMES = {
    "created_at": "2026-02-10T09:00:00Z", "updated_at": "2026-02-11T18:30:00Z",
    "expires_at": "2026-02-24T09:00:00Z", "resend_count": 0, "last_sent_at": "2026-02-10T09:00:00Z",
}
_TUTOR_RELATION_EXAMPLE: dict[str, Any] = {
    "id": 812, "status": "pending", "initiated_by": "student", "message": "Preparing for the NMT in maths.",
    **_RELATION_TIMES,
    "student": {"id": 77, "full_name": "Anna Shevchenko", "email": "anna@example.com"},
    "invited_email": "",
}
_STUDENT_RELATION_EXAMPLE: dict[str, Any] = {
    "id": 812, "status": "pending", "initiated_by": "student", "message": "Preparing for the NMT in maths.",
    **_RELATION_TIMES,
    "tutor": {"id": 42, "full_name": "Оксана Коваленко"},
}


def _active(example: dict[str, Any]) -> dict[str, Any]:
    return {**example, "status": "active", "expires_at": None}


def _conflict(name: str, message: str) -> OpenApiExample:
    return error_example(name, "409", "conflict", message)


# --- the student's side --------------------------------------------------------------------


class StudentRelationsApi(APIView):
    permission_classes = [IsStudent]

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "RelationRequestInput"

        tutor_id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
        message = serializers.CharField(required=False, default="", allow_blank=True, max_length=MESSAGE_MAX)

    class QuerySerializer(PageQuerySerializer):
        class Meta:
            ref_name = "StudentRelationsQuery"

        page_size = page_size_field(default=selectors.PAGE_SIZE, maximum=selectors.MAX_SIZE)
        status = serializers.ChoiceField(choices=RelationStatus.choices, required=False, allow_blank=True)

    OutputSerializer = page_serializer(StudentRelationSerializer, ref_name="StudentRelationPage")

    @extend_schema(
        summary="My relations with tutors (requests, invitations, active, past), last changed first",
        parameters=[QuerySerializer],
        responses={200: OutputSerializer, **_ERRORS},
        examples=[
            page_example(_STUDENT_RELATION_EXAMPLE, name="relations"),
            validation_example("status", '"done" is not a valid choice.'),
            STUDENTS_ONLY,
        ],
    )
    def get(self, request: Request) -> Response:
        query = self.QuerySerializer(data=query_input(request.query_params, self.QuerySerializer))
        query.is_valid(raise_exception=True)
        page = selectors.student_relations(student=request.user, **query.validated_data)
        return Response(self.OutputSerializer(page).data)

    @extend_schema(
        summary="Ask a tutor to teach me",
        description=(
            "Creates a pending request to a tutor the marketplace lists; the tutor is mailed and has "
            f"{services.PENDING_DAYS} days to answer. 409 while the pair already has a pending or active "
            f"relation (in either direction) or you wait on {services.MAX_PENDING_REQUESTS} requests."
        ),
        request=InputSerializer,
        responses={201: StudentRelationSerializer, **_ERRORS, 409: ERROR_RESPONSE},
        examples=[
            OpenApiExample("request", request_only=True, value={"tutor_id": 42, "message": "NMT maths, twice a week"}),
            OpenApiExample("requested", response_only=True, status_codes=["201"], value=_STUDENT_RELATION_EXAMPLE),
            validation_example("tutor_id", "No listed tutor has this id."),
            _conflict("already requested", "There is already a pending or active relation between them."),
            STUDENTS_ONLY,
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        relation = services.relation_request(student=request.user, **data.validated_data)
        return Response(StudentRelationSerializer(relation).data, status=status.HTTP_201_CREATED)


def _action_api(
    name: str,
    *,
    permission: type[BasePermission],
    serializer: type[serializers.Serializer],
    service: Callable[..., Relation],
    summary: str,
    description: str,
    success: dict[str, Any],
    conflict: OpenApiExample,
    forbidden: OpenApiExample,
    rate_limited: bool = False,
) -> type[APIView]:
    """One POST operation on one relation (`.../<id>/<action>/`): the service decides, the
    relation is rendered. Each action is its own class (and OpenAPI operation)."""
    responses: dict[int, Any] = {200: serializer, **_ACTION_ERRORS}
    examples = [
        OpenApiExample("done", response_only=True, status_codes=["200"], value=success),
        conflict, NOT_FOUND, forbidden,
    ]
    if rate_limited:
        responses[429] = ERROR_RESPONSE
        examples.append(error_example(
            "too soon", "429", "rate_limited",
            "At most one resend every 24 hours. Expected available in 51840 seconds.",
        ))

    @extend_schema(summary=summary, description=description, request=None, responses=responses, examples=examples)
    def post(self: APIView, request: Request, relation_id: int) -> Response:
        relation = service(actor=request.user, relation_id=relation_id)
        return Response(serializer(relation).data)

    return type(name, (APIView,), {"permission_classes": [permission], "post": post, "__doc__": summary})


_NOT_PENDING = _conflict("not pending", "The relation is cancelled; only a pending relation can be accepted.")

StudentRelationAcceptApi = _action_api(
    "StudentRelationAcceptApi", permission=IsStudent, serializer=StudentRelationSerializer,
    service=services.relation_accept, summary="Accept a tutor's invitation",
    description="The invitation becomes active; your other active relation, if any, is archived in the same "
    "transaction (one active tutor per student). 409 naming the status if it is no longer pending.",
    success=_active(_STUDENT_RELATION_EXAMPLE), conflict=_NOT_PENDING, forbidden=STUDENTS_ONLY,
)
StudentRelationDeclineApi = _action_api(
    "StudentRelationDeclineApi", permission=IsStudent, serializer=StudentRelationSerializer,
    service=services.relation_decline, summary="Decline a tutor's invitation",
    description="pending -> archived; the tutor is mailed.",
    success={**_STUDENT_RELATION_EXAMPLE, "status": "archived", "expires_at": None},
    conflict=_conflict("already active", "The relation is active; only a pending relation can be declined."),
    forbidden=STUDENTS_ONLY,
)
StudentRelationCancelApi = _action_api(
    "StudentRelationCancelApi", permission=IsStudent, serializer=StudentRelationSerializer,
    service=services.relation_cancel, summary="Withdraw my pending request",
    description="pending -> cancelled. Only the sender cancels; the receiver declines.",
    success={**_STUDENT_RELATION_EXAMPLE, "status": "cancelled", "expires_at": None},
    conflict=_conflict("already accepted", "The relation is active; only a pending relation can be cancelled."),
    forbidden=STUDENTS_ONLY,
)
StudentRelationResendApi = _action_api(
    "StudentRelationResendApi", permission=IsStudent, serializer=StudentRelationSerializer,
    service=services.relation_resend, summary="Send my pending request again",
    description=f"Mails the tutor again and extends the expiry by {services.PENDING_DAYS} days. At most once "
    f"every 24 hours and {services.RESEND_MAX} times in all (429 with Retry-After).",
    success={**_STUDENT_RELATION_EXAMPLE, "resend_count": 1}, rate_limited=True,
    conflict=_conflict("not pending", "The relation is expired; only a pending relation can be resent."),
    forbidden=STUDENTS_ONLY,
)
StudentRelationEndApi = _action_api(
    "StudentRelationEndApi", permission=IsStudent, serializer=StudentRelationSerializer,
    service=services.relation_end, summary="End my active relation with a tutor",
    description="active -> archived.",
    success={**_STUDENT_RELATION_EXAMPLE, "status": "archived", "expires_at": None},
    conflict=_conflict("not active", "The relation is pending; only an active relation can be ended."),
    forbidden=STUDENTS_ONLY,
)


class MyTutorSerializer(serializers.Serializer):
    class Meta:
        ref_name = "MyTutor"

    state = serializers.ChoiceField(choices=["none", "pending", "active"])
    relation_id = serializers.IntegerField(required=False, help_text="active: the relation")
    since = serializers.DateTimeField(required=False, help_text="active: since when")
    tutor = serializers.DictField(
        required=False, help_text="active: the tutor's public profile (as the marketplace shows it)"
    )
    pending = serializers.ListField(
        child=serializers.DictField(), required=False,
        help_text=f"pending: the requests and invitations waiting, newest first (at most "
        f"{selectors.MY_TUTOR_PENDING_MAX})",
    )
    more = serializers.BooleanField(required=False, help_text="pending: more are waiting than listed")


class StudentMyTutorApi(APIView):
    permission_classes = [IsStudent]

    @extend_schema(
        summary="My tutor: none, pending or active (with the tutor's public profile)",
        responses={200: MyTutorSerializer, 401: ERROR_RESPONSE, 403: ERROR_RESPONSE},
        examples=[
            OpenApiExample("none", response_only=True, status_codes=["200"], value={"state": "none"}),
            OpenApiExample(
                "pending", response_only=True, status_codes=["200"],
                value={"state": "pending", "more": False, "pending": [{
                    "relation_id": 812, "initiated_by": "student", "expires_at": "2026-02-24T09:00:00Z",
                    "tutor": {"id": 42, "full_name": "Оксана Коваленко"},
                }]},
            ),
            OpenApiExample(
                "active", response_only=True, status_codes=["200"],
                value={"state": "active", "relation_id": 812, "since": "2026-02-11T18:30:00Z", "tutor": {
                    "id": 42, "full_name": "Оксана Коваленко", "headline": "Математика для НМТ",
                    "subjects": ["math"], "hourly_rate": 450, "rating": 4.9, "reviews_count": 37,
                    "active_students": 6,
                }},
            ),
            NOT_AUTHENTICATED,
            STUDENTS_ONLY,
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(MyTutorSerializer(selectors.student_my_tutor(request.user)).data)


# --- the tutor's dashboard -------------------------------------------------------------------


class CountersSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RelationCounters"

    pending = serializers.IntegerField()
    active = serializers.IntegerField()
    archived = serializers.IntegerField()
    expired = serializers.IntegerField()
    cancelled = serializers.IntegerField()


class TutorDashboardSerializer(serializers.Serializer):
    class Meta:
        ref_name = "TutorRelationDashboard"

    results = TutorRelationSerializer(many=True)
    cursor = serializers.CharField(allow_null=True, help_text="Pass as `cursor` for the next page; null at the end")
    has_more = serializers.BooleanField()
    counters = CountersSerializer(help_text="All the tutor's relations per status (filters do not apply).")


_COUNTERS_EXAMPLE = {"pending": 4, "active": 12, "archived": 30, "expired": 3, "cancelled": 2}


class TutorRelationsApi(APIView):
    permission_classes = [IsTutorAccount]

    class QuerySerializer(PageQuerySerializer):
        class Meta:
            ref_name = "TutorRelationsQuery"

        page_size = page_size_field(default=selectors.PAGE_SIZE, maximum=selectors.MAX_SIZE)
        status = serializers.ChoiceField(choices=RelationStatus.choices, required=False, allow_blank=True)
        initiated_by = serializers.ChoiceField(choices=Initiator.choices, required=False, allow_blank=True)
        search = serializers.CharField(
            required=False, allow_blank=True, max_length=selectors.SEARCH_MAX,
            help_text="Part of the student's name or email, or of the invited address.",
        )

    @extend_schema(
        summary="My students: relations, last changed first, with counters per status",
        description=(
            "Cursor-paginated over (updated_at, id) descending: a relation that changes during a walk "
            "moves to the front, so a walk never serves it twice. `counters` counts every relation of "
            "the tutor by status, in one query."
        ),
        parameters=[QuerySerializer],
        responses={200: TutorDashboardSerializer, **_ERRORS},
        examples=[
            OpenApiExample(
                "dashboard", response_only=True, status_codes=["200"],
                value={"results": [_TUTOR_RELATION_EXAMPLE], "cursor": "eyJwIjpbIjIwMjYtMDIt...:1tQ9xZ:abc",
                       "has_more": True, "counters": _COUNTERS_EXAMPLE},
            ),
            validation_example("initiated_by", '"admin" is not a valid choice.'),
            TUTORS_ONLY,
        ],
    )
    def get(self, request: Request) -> Response:
        query = self.QuerySerializer(data=query_input(request.query_params, self.QuerySerializer))
        query.is_valid(raise_exception=True)
        page = selectors.tutor_relations(tutor=request.user, **query.validated_data)
        counters = selectors.relation_counters(request.user)
        return Response(TutorDashboardSerializer(
            {"results": page.results, "cursor": page.cursor, "has_more": page.has_more, "counters": counters}
        ).data)


class TutorRelationInviteApi(APIView):
    permission_classes = [IsTutorAccount]

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "RelationInviteInput"

        email = serializers.EmailField(max_length=254)
        message = serializers.CharField(required=False, default="", allow_blank=True, max_length=MESSAGE_MAX)

    @extend_schema(
        summary="Invite a student by email",
        description=(
            "An address with a student account gets the invitation in its list and by mail; an address "
            "without an account gets a sign-up link, and the invitation waits until it registers. "
            f"Pending for {services.PENDING_DAYS} days. At most 20 invitations an hour and 100 a day (429)."
        ),
        request=InputSerializer,
        responses={201: TutorRelationSerializer, **_ERRORS, 409: ERROR_RESPONSE, 429: ERROR_RESPONSE},
        examples=[
            OpenApiExample("invite", request_only=True, value={"email": "anna@example.com", "message": "Welcome!"}),
            OpenApiExample(
                "invited", response_only=True, status_codes=["201"],
                value={**_TUTOR_RELATION_EXAMPLE, "initiated_by": "tutor", "student": None,
                       "invited_email": "anna@example.com", "message": "Welcome!"},
            ),
            validation_example("email", "Enter a valid email address."),
            _conflict("already invited", "This address already has a pending invitation from the tutor."),
            TUTORS_ONLY,
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        relation = services.relation_invite(tutor=request.user, **data.validated_data)
        return Response(TutorRelationSerializer(relation).data, status=status.HTTP_201_CREATED)


TutorRelationAcceptApi = _action_api(
    "TutorRelationAcceptApi", permission=IsTutorAccount, serializer=TutorRelationSerializer,
    service=services.relation_accept, summary="Accept a student's request",
    description="pending -> active; the student's other active relation, if any, is archived in the same "
    "transaction. 409 naming the status if it is no longer pending, or if the student became another "
    "tutor's student at the same moment.",
    success=_active(_TUTOR_RELATION_EXAMPLE), conflict=_NOT_PENDING, forbidden=TUTORS_ONLY,
)
TutorRelationDeclineApi = _action_api(
    "TutorRelationDeclineApi", permission=IsTutorAccount, serializer=TutorRelationSerializer,
    service=services.relation_decline, summary="Decline a student's request",
    description="pending -> archived; the student is mailed.",
    success={**_TUTOR_RELATION_EXAMPLE, "status": "archived", "expires_at": None},
    conflict=_conflict("already active", "The relation is active; only a pending relation can be declined."),
    forbidden=TUTORS_ONLY,
)
TutorRelationArchiveApi = _action_api(
    "TutorRelationArchiveApi", permission=IsTutorAccount, serializer=TutorRelationSerializer,
    service=services.relation_archive, summary="Archive a relation",
    description="Ends an active relation (-> archived), declines a pending request (-> archived) or "
    "withdraws a pending invitation (-> cancelled). 409 for a relation already closed.",
    success={**_TUTOR_RELATION_EXAMPLE, "status": "archived", "expires_at": None},
    conflict=_conflict("already archived", "The relation is already archived."), forbidden=TUTORS_ONLY,
)
TutorRelationCancelApi = _action_api(
    "TutorRelationCancelApi", permission=IsTutorAccount, serializer=TutorRelationSerializer,
    service=services.relation_cancel, summary="Withdraw my pending invitation",
    description="pending -> cancelled. Only the sender cancels; the receiver declines.",
    success={**_TUTOR_RELATION_EXAMPLE, "initiated_by": "tutor", "status": "cancelled", "expires_at": None},
    conflict=_conflict("already accepted", "The relation is active; only a pending relation can be cancelled."),
    forbidden=TUTORS_ONLY,
)
TutorRelationResendApi = _action_api(
    "TutorRelationResendApi", permission=IsTutorAccount, serializer=TutorRelationSerializer,
    service=services.relation_resend, summary="Send my pending invitation again",
    description=f"Mails the invitation again (with a sign-up link for an address without an account) and "
    f"extends the expiry by {services.PENDING_DAYS} days. At most once every 24 hours and "
    f"{services.RESEND_MAX} times in all (429 with Retry-After).",
    success={**_TUTOR_RELATION_EXAMPLE, "initiated_by": "tutor", "resend_count": 1}, rate_limited=True,
    conflict=_conflict("not pending", "The relation is expired; only a pending relation can be resent."),
    forbidden=TUTORS_ONLY,
)


class RecentActionSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RelationRecentAction"

    id = serializers.IntegerField()
    relation_id = serializers.IntegerField()
    student = StudentPersonSerializer(source="relation.student", allow_null=True)
    invited_email = serializers.CharField(source="relation.invited_email", allow_blank=True)
    prev_status = serializers.CharField(allow_blank=True, help_text="Empty for the creation.")
    new_status = serializers.CharField()
    actor_id = serializers.IntegerField(allow_null=True, help_text="Null for the expiry job.")
    timestamp = serializers.DateTimeField()
    metadata = serializers.DictField(help_text="reason, request_id, batch_id (batch actions)")


class TutorRecentActionsApi(APIView):
    permission_classes = [IsTutorAccount]

    class QuerySerializer(PageQuerySerializer):
        class Meta:
            ref_name = "RelationRecentActionsQuery"

        page_size = page_size_field(default=selectors.PAGE_SIZE, maximum=selectors.MAX_SIZE)

    OutputSerializer = page_serializer(RecentActionSerializer, ref_name="RelationRecentActionPage")

    @extend_schema(
        summary="Recent actions on my relations (the audit log), newest first",
        parameters=[QuerySerializer],
        responses={200: OutputSerializer, **_ERRORS},
        examples=[
            page_example({
                "id": 5120, "relation_id": 812,
                "student": {"id": 77, "full_name": "Anna Shevchenko", "email": "anna@example.com"},
                "invited_email": "", "prev_status": "pending", "new_status": "active", "actor_id": 42,
                "timestamp": "2026-02-11T18:30:00Z",
                "metadata": {"reason": "accepted", "request_id": "3f2b9c0d8e7a4b51", "batch_id": "9c1e0d5a"},
            }, name="actions"),
            validation_example("cursor", "Invalid cursor."),
            TUTORS_ONLY,
        ],
    )
    def get(self, request: Request) -> Response:
        query = self.QuerySerializer(data=query_input(request.query_params, self.QuerySerializer))
        query.is_valid(raise_exception=True)
        page = selectors.tutor_recent_actions(tutor=request.user, **query.validated_data)
        return Response(self.OutputSerializer(page).data)


class BatchInputSerializer(StrictSerializer):
    class Meta:
        ref_name = "RelationBatchInput"

    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1, max_length=services.BATCH_MAX,
        help_text=f"1 to {services.BATCH_MAX} relation ids, each once; processed in this order.",
    )

    def validate_ids(self, value: list[int]) -> list[int]:
        duplicates = sorted({i for i in value if value.count(i) > 1})
        if duplicates:
            raise serializers.ValidationError(
                _("Each id once; repeated: %(ids)s.") % {"ids": ", ".join(map(str, duplicates))}
            )
        return value


class BatchFailureSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RelationBatchFailure"

    id = serializers.IntegerField()
    error = serializers.CharField(
        help_text=(
            "Why, as a short English code that does not change with the language (e.g. not found, "
            "already active, relation is cancelled, expired, not allowed, busy, retry)."
        )
    )
    message = serializers.CharField(help_text="Why, in a sentence, in the response's language.")


class BatchOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "RelationBatchResult"

    processed = serializers.ListField(child=serializers.IntegerField())
    failed = BatchFailureSerializer(many=True)
    batch_id = serializers.CharField(help_text="In the audit log's metadata of every transition of the batch.")


def _batch_api(name: str, action: str, summary: str, description: str) -> type[APIView]:
    @extend_schema(
        summary=summary, description=description, request=BatchInputSerializer,
        responses={200: BatchOutputSerializer, **_ERRORS},
        examples=[
            OpenApiExample("ids", request_only=True, value={"ids": [1, 2, 3]}),
            OpenApiExample(
                "partial success", response_only=True, status_codes=["200"],
                value={"processed": [1, 2], "failed": [{"id": 3, "error": "already active",
                                                        "message": "The relation is already active."}],
                       "batch_id": "9c1e0d5a7b3f4e21a0c6d8b2e4f61a37"},
            ),
            validation_example("ids", "Each id once; repeated: 3."),
            TUTORS_ONLY,
        ],
    )
    def post(self: APIView, request: Request) -> Response:
        data = BatchInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.relations_batch(tutor=request.user, action=action, ids=data.validated_data["ids"])
        return Response(BatchOutputSerializer(result).data)

    return type(name, (APIView,), {"permission_classes": [IsTutorAccount], "post": post, "__doc__": summary})


_BATCH_NOTE = (
    " Each id succeeds or fails on its own (a savepoint per id), in the order given; an id that is not "
    "one of your relations fails as `not found`. The answer is 200 with the split."
)
TutorRelationBatchAcceptApi = _batch_api(
    "TutorRelationBatchAcceptApi", "accept", "Accept many pending requests",
    "Accepts each pending request like the single accept." + _BATCH_NOTE,
)
TutorRelationBatchArchiveApi = _batch_api(
    "TutorRelationBatchArchiveApi", "archive", "Archive many relations",
    "Archives each relation like the single archive." + _BATCH_NOTE,
)

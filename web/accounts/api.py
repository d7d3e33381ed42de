from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from web.accounts import services
from web.accounts.export import account_export
from web.accounts.jwt_claims import CheckedRefreshToken, user_id_claim
from web.accounts.models import ACCOUNT_LANGUAGES, Role, User
from web.accounts.services import login_attempt, registration_attempt, user_register
from web.accounts.signin_limits import signin_failed
from web.core.catalogues import iana_time_zones, is_time_zone
from web.core.schema import ERROR_RESPONSE, NOT_AUTHENTICATED, TOKEN_NOT_VALID, error_example, validation_example
from web.core.serializers import StrictSerializer

UNKNOWN_TIME_ZONE = _("Unknown IANA time zone.")
PASSWORD_MAX = 128
PASSWORD_CHANGED = _("The password has changed since this token was issued.")


def _check_time_zone(value: str) -> str:
    if not is_time_zone(value):
        raise serializers.ValidationError(UNKNOWN_TIME_ZONE)
    return value


class UserOutputSerializer(serializers.ModelSerializer):
    email_verified = serializers.BooleanField(
        read_only=True, help_text="false until the address is confirmed; a tutor is listed only once it is."
    )

    class Meta:
        model = User
        fields = [
            "id", "email", "email_verified", "email_verified_at", "full_name", "role", "timezone", "language",
            "date_joined",
        ]
        read_only_fields = fields


_USER_EXAMPLE = {
    "id": 7,
    "email": "olena@example.com",
    "full_name": "Olena Kovalenko",
    "role": "tutor",
    "timezone": "Europe/Kyiv",
    "language": "uk",
    "date_joined": "2026-01-05T09:30:00Z",
    "email_verified": True,
    "email_verified_at": "2026-01-05T09:41:12Z",
}


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(StrictSerializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(min_length=1, max_length=128, write_only=True)
        full_name = serializers.CharField(min_length=1, max_length=150)
        role = serializers.ChoiceField(choices=[Role.STUDENT, Role.TUTOR])
        # Choices, so the schema lists what the API takes.
        timezone = serializers.ChoiceField(choices=sorted(iana_time_zones()), default="UTC")
        language = serializers.ChoiceField(choices=ACCOUNT_LANGUAGES, default="en")

        def validate_timezone(self, value: str) -> str:
            return _check_time_zone(value)

    @extend_schema(
        summary="Register a student or tutor",
        request=InputSerializer,
        responses={
            201: UserOutputSerializer,
            400: ERROR_RESPONSE,
            429: OpenApiResponse(
                ERROR_RESPONSE.response, description="More than 20 registrations from this address in an hour"
            ),
        },
        examples=[
            OpenApiExample(
                "tutor",
                request_only=True,
                value={
                    "email": "olena@example.com",
                    "password": "a-long-passphrase",
                    "full_name": "Olena Kovalenko",
                    "role": "tutor",
                    "timezone": "Europe/Kyiv",
                    "language": "uk",
                },
            ),
            OpenApiExample("created", response_only=True, status_codes=["201"], value=_USER_EXAMPLE),
            validation_example("email", "A user with this email already exists."),
            error_example("too many", "429", "rate_limited", "Too many registrations from this address, retry later."),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        registration_attempt()  # valid requests only: each costs a password hash
        user = user_register(**data.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class MeApi(APIView):
    class UpdateInputSerializer(StrictSerializer):
        class Meta:
            ref_name = "MeUpdateInput"

        full_name = serializers.CharField(min_length=1, max_length=150, required=False)
        timezone = serializers.CharField(max_length=64, required=False, help_text="An IANA name, e.g. Europe/Kyiv.")
        language = serializers.ChoiceField(choices=ACCOUNT_LANGUAGES, required=False)
        email = serializers.EmailField(
            max_length=254, required=False,
            help_text="A new address needs `current_password`; it is unconfirmed until its link is opened.",
        )
        current_password = serializers.CharField(max_length=PASSWORD_MAX, required=False, write_only=True)

        def validate_timezone(self, value: str) -> str:
            return _check_time_zone(value)

    class DeleteInputSerializer(StrictSerializer):
        class Meta:
            ref_name = "MeDeleteInput"

        password = serializers.CharField(min_length=1, max_length=PASSWORD_MAX, write_only=True)

    @extend_schema(
        summary="The authenticated user",
        description="`email_verified` is false until the address is confirmed (the account works meanwhile).",
        responses={200: UserOutputSerializer, 401: ERROR_RESPONSE},
        examples=[
            OpenApiExample("me", response_only=True, status_codes=["200"], value=_USER_EXAMPLE),
            NOT_AUTHENTICATED,
            TOKEN_NOT_VALID,
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request.user).data)

    @extend_schema(
        summary="Change your name, time zone, language or email",
        description=(
            "Only the fields given change. A new email needs `current_password`, is mailed a verification link "
            "and is unconfirmed until it is opened (a tutor leaves the marketplace meanwhile). Records "
            "`account.updated`."
        ),
        request=UpdateInputSerializer,
        responses={200: UserOutputSerializer, 400: ERROR_RESPONSE, 401: ERROR_RESPONSE},
        examples=[
            OpenApiExample(
                "language and time zone", request_only=True, value={"language": "pl", "timezone": "Europe/Warsaw"}
            ),
            OpenApiExample(
                "new email", request_only=True,
                value={"email": "olena.k@example.com", "current_password": "a-long-passphrase"},
            ),
            OpenApiExample("updated", response_only=True, status_codes=["200"], value=_USER_EXAMPLE),
            validation_example("timezone", "Unknown IANA time zone."),
            validation_example("current_password", "The password is not correct."),
            NOT_AUTHENTICATED,
        ],
    )
    def patch(self, request: Request) -> Response:
        data = self.UpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = services.user_update(
            user=request.user,
            full_name=values.get("full_name"),
            timezone_name=values.get("timezone"),
            language=values.get("language"),
            email=values.get("email"),
            current_password=values.get("current_password"),
        )
        return Response(UserOutputSerializer(user).data)

    @extend_schema(
        summary="Delete your account",
        description=(
            "Confirmed with the password. In one transaction the account is deactivated and its personal data "
            "erased or anonymised: name, email, password, profile text and availability, drafts, profile "
            "snapshots, activity metadata. A tutor leaves the marketplace. Future lessons are cancelled and open "
            "relations archived; past lessons stay for the other person, who sees \"deleted tutor\" or "
            "\"deleted student\". Every session ends."
        ),
        request=DeleteInputSerializer,
        responses={204: None, 400: ERROR_RESPONSE, 401: ERROR_RESPONSE},
        examples=[
            OpenApiExample("confirm", request_only=True, value={"password": "a-long-passphrase"}),
            validation_example("password", "The password is not correct."),
            NOT_AUTHENTICATED,
            TOKEN_NOT_VALID,
        ],
    )
    def delete(self, request: Request) -> Response:
        data = self.DeleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.account_delete(user=request.user, password=data.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


_TOKEN_PAIR_EXAMPLE = {"access": "eyJ...", "refresh": "eyJ..."}


class PasswordChangeApi(APIView):
    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "PasswordChangeInput"

        current_password = serializers.CharField(min_length=1, max_length=PASSWORD_MAX, write_only=True)
        new_password = serializers.CharField(min_length=1, max_length=PASSWORD_MAX, write_only=True)

    @extend_schema(
        summary="Change your password",
        description=(
            "Ends every session signed in before, this one included: the response carries a new token pair. "
            "Records `account.password_changed`."
        ),
        request=InputSerializer,
        responses={200: inline_serializer(
            "PasswordChanged", {"access": serializers.CharField(), "refresh": serializers.CharField()}
        ), 400: ERROR_RESPONSE, 401: ERROR_RESPONSE},
        examples=[
            OpenApiExample(
                "change", request_only=True,
                value={"current_password": "a-long-passphrase", "new_password": "another-long-passphrase"},
            ),
            OpenApiExample("new tokens", response_only=True, status_codes=["200"], value=_TOKEN_PAIR_EXAMPLE),
            validation_example("current_password", "The password is not correct."),
            validation_example("new_password", "This password is too common."),
            NOT_AUTHENTICATED,
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.password_change(user=request.user, **data.validated_data)
        return Response(services.token_pair(user))


class AccountExportApi(APIView):
    @extend_schema(
        summary="Export everything stored about you",
        description=(
            "One JSON document: account, tutor profile, availability, draft, activity (the newest 10,000 events; "
            "`activity_truncated` says when there were more), relations, lessons and mails sent to you. Other "
            "people appear only as an id and the name they show."
        ),
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="The export document"), 401: ERROR_RESPONSE},
        examples=[
            OpenApiExample(
                "export", response_only=True, status_codes=["200"],
                value={
                    "format_version": 1, "exported_at": "2026-03-01T10:00:00+00:00",
                    "account": {"id": 7, "email": "olena@example.com", "full_name": "Olena Kovalenko"},
                    "profile": None, "availability": [], "draft": None,
                    "activity": [{"id": 901, "action": "account.updated", "entity_type": "user", "entity_id": "7",
                                  "metadata": {"fields": ["language"]}, "timestamp": "2026-02-28T09:00:00+00:00",
                                  "referrer": None}],
                    "activity_truncated": False,
                    "relations": [], "lessons": [], "mail": [],
                },
            ),
            NOT_AUTHENTICATED,
            TOKEN_NOT_VALID,
        ],
    )
    def get(self, request: Request) -> Response:
        response = Response(account_export(request.user))
        response["Content-Disposition"] = 'attachment; filename="mash-export.json"'
        response["Cache-Control"] = "no-store"
        return response


class EmailVerifyApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "EmailVerifyInput"

        token = serializers.CharField(min_length=1, max_length=512)

    @extend_schema(
        summary="Confirm an email address with the token of its verification link",
        description="Idempotent. Records `account.email_verified`; a verified tutor enters the marketplace.",
        request=InputSerializer,
        responses={200: UserOutputSerializer, 400: ERROR_RESPONSE, 429: ERROR_RESPONSE},
        examples=[
            OpenApiExample("token", request_only=True, value={"token": "eyJ1Ijo3LCJlIjoib2xlbmEifQ:1vA2bC:..."}),
            OpenApiExample("verified", response_only=True, status_codes=["200"], value=_USER_EXAMPLE),
            validation_example("token", "This verification link is invalid or has expired."),
            error_example(
                "too many", "429", "rate_limited", "Too many verification attempts from this address, retry later."
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.verification_attempt()
        user = services.email_verify(token=data.validated_data["token"])
        return Response(UserOutputSerializer(user).data)


class EmailVerificationResendApi(APIView):
    @extend_schema(
        summary="Send the verification link again",
        request=None,
        responses={
            202: inline_serializer("VerificationResent", {"sent": serializers.BooleanField()}),
            401: ERROR_RESPONSE, 429: ERROR_RESPONSE,
        },
        examples=[
            OpenApiExample("sent", response_only=True, status_codes=["202"], value={"sent": True}),
            OpenApiExample("already verified", response_only=True, status_codes=["202"], value={"sent": False}),
            NOT_AUTHENTICATED,
            error_example("too many", "429", "rate_limited", "Too many password reset requests, retry later."),
        ],
    )
    def post(self, request: Request) -> Response:
        services.password_reset_attempt(request.user.email)  # the same per-address and per-inbox budget
        sent = services.email_verification_resend(user=request.user)
        return Response({"sent": sent}, status=status.HTTP_202_ACCEPTED)


_ACCEPTED = inline_serializer("Accepted", {"detail": serializers.CharField()})
RESET_ACCEPTED = _("If an account has this email, a password reset link is on its way.")


class PasswordResetApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "PasswordResetInput"

        email = serializers.EmailField(max_length=254)

    @extend_schema(
        summary="Ask for a password reset link",
        description=(
            "The same answer, as fast, whether or not the email has an account (a worker looks it up and "
            "mails the link, valid once and for an hour). At most 10 requests in 10 minutes (30 an hour) per "
            "client address and 3 in 10 minutes (5 an hour) per email."
        ),
        request=InputSerializer,
        responses={202: _ACCEPTED, 400: ERROR_RESPONSE, 429: ERROR_RESPONSE},
        examples=[
            OpenApiExample("request", request_only=True, value={"email": "olena@example.com"}),
            OpenApiExample(
                "accepted", response_only=True, status_codes=["202"],
                value={"detail": "If an account has this email, a password reset link is on its way."},
            ),
            validation_example("email", "Enter a valid email address."),
            error_example("too many", "429", "rate_limited", "Too many password reset requests, retry later."),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"]
        services.password_reset_attempt(email)
        services.password_reset_request(email)
        return Response({"detail": RESET_ACCEPTED}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "PasswordResetConfirmInput"

        uid = serializers.CharField(min_length=1, max_length=32)
        token = serializers.CharField(min_length=1, max_length=128)
        new_password = serializers.CharField(min_length=1, max_length=PASSWORD_MAX, write_only=True)

    @extend_schema(
        summary="Set a new password with a reset link's uid and token",
        description=(
            "The token works once and for an hour. Every session ends; sign in with the new password. "
            "Records `account.password_reset`."
        ),
        request=InputSerializer,
        responses={204: None, 400: ERROR_RESPONSE, 429: ERROR_RESPONSE},
        examples=[
            OpenApiExample(
                "confirm", request_only=True,
                value={"uid": "Nw", "token": "c2x9qa-5d1e0f3a8b7c6d5e4f3a", "new_password": "a-new-passphrase"},
            ),
            validation_example("token", "This password reset link is invalid, expired or already used."),
            validation_example("new_password", "This password is too short. It must contain at least 8 characters."),
            error_example(
                "too many", "429", "rate_limited", "Too many verification attempts from this address, retry later."
            ),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.verification_attempt()
        services.password_reset_confirm(**data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class InputSerializer(StrictSerializer):
        class Meta:
            ref_name = "LogoutInput"

        refresh = serializers.CharField(min_length=1, max_length=2048)

    @extend_schema(
        summary="Sign out: revoke a refresh token",
        description=(
            "The refresh token is blacklisted: refreshing with it is a 401 from now on. Access tokens already "
            "issued run out within JWT_ACCESS_MINUTES. Records `account.logged_out`."
        ),
        request=InputSerializer,
        responses={204: None, 400: ERROR_RESPONSE},
        examples=[
            OpenApiExample("sign out", request_only=True, value={"refresh": "eyJ..."}),
            validation_example("refresh", "Token is invalid or expired."),
            error_example("unknown field", "400", "validation_error", "Invalid input: access: Unknown field."),
        ],
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.logout(refresh=data.validated_data["refresh"])
        return Response(status=status.HTTP_204_NO_CONTENT)


_TOKEN_PAIR = inline_serializer(
    "TokenPair", {"access": serializers.CharField(), "refresh": serializers.CharField()}
)
_ACCESS_TOKEN = inline_serializer("AccessToken", {"access": serializers.CharField()})
_token_errors = {
    400: ERROR_RESPONSE,
    401: OpenApiResponse(ERROR_RESPONSE.response, description="Wrong email or password, or an invalid token"),
}
_login_errors = {
    **_token_errors,
    429: OpenApiResponse(
        ERROR_RESPONSE.response,
        description=(
            "60 sign-in attempts from this address in a minute (600 in an hour); 5 failed ones for this "
            "email from this address in a minute (20 in an hour); or, for an address that has failed on "
            "this email, 10 failed ones for it from anywhere in a minute (30 in an hour); see Retry-After"
        ),
    ),
}


@extend_schema_view(
    post=extend_schema(
        summary="Log in: email + password -> access and refresh JWT",
        responses={200: _TOKEN_PAIR, **_login_errors},
        examples=[
            OpenApiExample("credentials", request_only=True, value={"email": "olena@example.com", "password": "..."}),
            OpenApiExample(
                "tokens", response_only=True, status_codes=["200"], value={"access": "eyJ...", "refresh": "eyJ..."}
            ),
            validation_example("password", "This field is required."),
            error_example(
                "wrong password", "401", "no_active_account", "No active account found with the given credentials"
            ),
        ],
    )
)
class TokenObtainApi(TokenObtainPairView):
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        email = request.data.get("email") if isinstance(request.data, dict) else None
        login_attempt(email)
        try:
            return super().post(request, *args, **kwargs)
        except exceptions.AuthenticationFailed:  # simplejwt's subclasses it
            signin_failed(email)
            raise


class RefreshSerializer(TokenRefreshSerializer):
    """A refresh token is honoured only for an account that still exists, is active and
    has the password the token was issued under: deleting, deactivating or changing the
    password of an account ends its sessions (401, never a 500 for a deleted account)."""

    token_class = CheckedRefreshToken  # claims checked: odd ones are a 401

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])  # TokenError for a bad one: the view's 401
        user_id = user_id_claim(refresh.payload.get(jwt_settings.USER_ID_CLAIM))
        user = User.objects.filter(pk=user_id).first() if user_id is not None else None
        if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
            raise AuthenticationFailed(self.error_messages["no_active_account"], "no_active_account")
        if refresh.payload.get(jwt_settings.REVOKE_TOKEN_CLAIM) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(str(PASSWORD_CHANGED), "password_changed")
        return {"access": str(refresh.access_token)}


@extend_schema_view(
    post=extend_schema(
        summary="Exchange a refresh token for a new access token",
        responses={200: _ACCESS_TOKEN, **_token_errors},
        examples=[
            OpenApiExample("refresh", request_only=True, value={"refresh": "eyJ..."}),
            OpenApiExample("access", response_only=True, status_codes=["200"], value={"access": "eyJ..."}),
            validation_example("refresh", "This field is required."),
            error_example("expired", "401", "token_not_valid", "Token is invalid or expired"),
            error_example(
                "password changed", "401", "password_changed", "The password has changed since this token was issued."
            ),
        ],
    )
)
class TokenRefreshApi(TokenRefreshView):
    serializer_class = RefreshSerializer

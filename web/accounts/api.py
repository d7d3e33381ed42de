from __future__ import annotations

from typing import Any

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

from web.accounts.models import Role, User
from web.accounts.services import login_attempt, registration_attempt, user_register
from web.accounts.signin_limits import signin_failed
from web.accounts.tokens import CheckedRefreshToken, user_id_claim
from web.core.catalogues import ISO_639_1, iana_time_zones, is_language, is_time_zone
from web.core.schema import ERROR_RESPONSE, NOT_AUTHENTICATED, TOKEN_NOT_VALID, error_example, validation_example
from web.core.serializers import StrictSerializer


class UserOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["id", "email", "full_name", "role", "timezone", "language", "date_joined"]
        read_only_fields = fields


_USER_EXAMPLE = {
    "id": 7,
    "email": "olena@example.com",
    "full_name": "Olena Kovalenko",
    "role": "tutor",
    "timezone": "Europe/Kyiv",
    "language": "uk",
    "date_joined": "2026-01-05T09:30:00Z",
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
        language = serializers.ChoiceField(choices=sorted(ISO_639_1), default="en")

        def validate_timezone(self, value: str) -> str:
            if not is_time_zone(value):
                raise serializers.ValidationError("Unknown IANA time zone.")
            return value

        def validate_language(self, value: str) -> str:
            if not is_language(value):
                raise serializers.ValidationError("Not an ISO 639-1 language code.")
            return value

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
    @extend_schema(
        summary="The authenticated user",
        responses={200: UserOutputSerializer, 401: ERROR_RESPONSE},
        examples=[
            OpenApiExample("me", response_only=True, status_codes=["200"], value=_USER_EXAMPLE),
            NOT_AUTHENTICATED,
            TOKEN_NOT_VALID,
        ],
    )
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request.user).data)


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
            raise AuthenticationFailed("The password has changed since this token was issued.", "password_changed")
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

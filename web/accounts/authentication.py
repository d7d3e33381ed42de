"""simplejwt's and DRF's authentication, answering in the user's language.

A request with Accept-Language keeps it; one without is answered in the language the
signed-in user chose (`User.language`), which only the view learns: DRF authenticates
there, after the middleware.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework import authentication
from rest_framework.request import Request
from rest_framework_simplejwt import authentication as jwt_authentication

from web.core.i18n import use_account_language


def _with_language(request: Request, result: tuple[Any, Any] | None) -> tuple[Any, Any] | None:
    if result is not None:
        use_account_language(request._request, getattr(result[0], "language", None))
    return result


class JWTAuthentication(jwt_authentication.JWTAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:  # type: ignore[override]
        return _with_language(request, super().authenticate(request))


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        return _with_language(request, super().authenticate(request))


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI scheme of simplejwt's class (`jwtAuth`), for ours."""

    target_class = "web.accounts.authentication.JWTAuthentication"


class SessionCookieScheme(SessionScheme):
    """The OpenAPI scheme of DRF's session class (`cookieAuth`), for ours."""

    target_class = "web.accounts.authentication.SessionAuthentication"

"""One error shape for the whole API.

Every error response, whether raised by DRF, by Django, by a service or by an
unexpected bug, has the body::

    {"error": {"code": "validation_error", "message": "...", "fields": {"email": ["..."]}},
     "request_id": "..."}

`fields` is present only where an error names fields (validation errors, conflicts).

Services raise the domain errors below: plain exceptions that know nothing of HTTP
frameworks, so a Celery task, the admin or the shell can call a service and catch them.
`api_exception_handler` is the one place that turns them (and DRF's and Django's own)
into a response.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from web.core.context import current_request_id
from web.core.error_shape import error_shape

logger = logging.getLogger("mash.errors")

Fields = dict[str, list[str]]
# A message: a string, or a lazily translated one (gettext_lazy), rendered in the
# language of the response.
Message = str | Promise


# --- domain errors ---------------------------------------------------------------


class DomainError(Exception):
    """A refusal a service states in domain terms; the API answers `status` with `code`.

    `fields` ({"a.b": [messages]}) names the fields the refusal is about, as in a
    validation error.
    """

    status: int = 400
    code: str = "error"
    default_message: Message = _("The request could not be processed.")

    def __init__(self, message: Message | None = None, *, fields: Fields | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.fields = fields
        super().__init__(self.message)

    def headers(self) -> dict[str, str]:
        """Response headers the error adds (e.g. Retry-After)."""
        return {}


class NotFound(DomainError):
    """404: what does not exist or what the caller may not see."""

    status = 404
    code = "not_found"
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    """403: the caller is known and may not do this."""

    status = 403
    code = "permission_denied"
    default_message = _("You do not have permission to perform this action.")


class Conflict(DomainError):
    """409; `fields` ({"a.b": [messages]}, as in a validation error) name what is in conflict."""

    status = 409
    code = "conflict"
    default_message = _("The request conflicts with the current state.")

    # Positional `fields` as well: callers written as Conflict(detail, fields) keep working.
    def __init__(self, detail: Message | None = None, fields: Fields | None = None) -> None:
        super().__init__(detail, fields=fields)


class InvalidInput(DomainError):
    """400 validation_error; `fields` name each bad field. Without a message, the message
    names the first problem ("Invalid input: email: ..."), as for input a view refuses."""

    status = 400
    code = "validation_error"
    default_message = _("Invalid input.")

    def __init__(self, message: Message | None = None, *, fields: Fields | None = None) -> None:
        if message is None:
            problem = first_problem(fields or {})
            message = _("Invalid input: %(problem)s") % {"problem": problem} if problem else None
        super().__init__(message, fields=fields)

    @classmethod
    def from_validation(cls, exc: DjangoValidationError | exceptions.ValidationError) -> InvalidInput:
        """The same refusal as a Django or DRF ValidationError (e.g. of an input serializer
        a service runs), with its fields flattened."""
        return cls(fields=invalid_fields(exc))


class RateLimited(DomainError):
    """429 with a Retry-After header (seconds, rounded up); the message says when to retry."""

    status = 429
    code = "rate_limited"
    default_message = _("Request was throttled.")

    def __init__(self, wait: float, detail: Message | None = None) -> None:
        self.wait = math.ceil(wait)
        retry = ngettext(
            "Expected available in %(wait)d second.", "Expected available in %(wait)d seconds.", self.wait
        ) % {"wait": self.wait}
        super().__init__(f"{detail or self.default_message} {retry}")

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(max(1, self.wait))}


class ServiceUnavailable(DomainError):
    """503 with Retry-After: a dependency (e.g. the search index) is down."""

    status = 503
    code = "service_unavailable"
    default_message = _("The service is temporarily unavailable, retry shortly.")

    def __init__(self, detail: Message | None = None, retry_after: int = 5) -> None:
        super().__init__(detail)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class RequestTooLarge(DomainError):
    status = 413
    code = "request_too_large"
    default_message = _("The request body is too large.")


# --- the one mapping to the error shape ------------------------------------------------


def _flatten_fields(detail: Any, prefix: str = "") -> Fields:
    """Turn DRF's nested error detail into {"a.b": ["message", ...]}."""
    fields: Fields = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            fields.update(_flatten_fields(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            fields[prefix or "non_field_errors"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                name = f"{prefix}.{index}" if prefix else str(index)
                fields.update(_flatten_fields(item, name))
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


def error_body(code: str, message: Message, fields: Fields | None = None) -> dict[str, Any]:
    return error_shape(code, str(message), fields, current_request_id())


def _django_detail(exc: DjangoValidationError) -> dict[str, Any]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


def invalid_fields(exc: DjangoValidationError | exceptions.ValidationError) -> Fields:
    """The fields a Django or DRF validation error names, flat: {"a.b": ["message", ...]}."""
    return _flatten_fields(_django_detail(exc) if isinstance(exc, DjangoValidationError) else exc.detail)


def first_problem(fields: Fields) -> str | None:
    """The first field and its first message ("a.b: message"), for a one-line summary."""
    first = next(iter(fields.items()), None)
    return f"{first[0]}: {first[1][0]}" if first else None


def domain_error_response(exc: DomainError) -> Response:
    """The response for a domain error: its status and headers, the common body."""
    set_rollback()  # as DRF does for the errors it handles
    response = Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
    for name, value in exc.headers().items():
        response[name] = value
    return response


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = InvalidInput.from_validation(exc)
    elif isinstance(exc, exceptions.ValidationError):
        exc = InvalidInput.from_validation(exc)
    elif isinstance(exc, Http404):
        exc = NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(
            _("The request body may be at most %(size)d bytes.") % {"size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE}
        )
    if isinstance(exc, DomainError):
        return domain_error_response(exc)

    response = drf_exception_handler(exc, context)
    if response is None:
        # Unhandled: Django's 500 handler answers in the same shape and logs it.
        return None
    detail: Any = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    codes: Any = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    if isinstance(detail, dict):
        # e.g. simplejwt: {"detail": "...", "code": "token_not_valid", "messages": [...]}
        codes = str(detail.get("code", "error"))
        detail = detail.get("detail", _("Error."))
    code = codes if isinstance(codes, str) else "error"
    response.data = error_body(code, str(detail), getattr(exc, "fields", None))
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    return response


def _json_error(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status_code)


def handler400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(400, "bad_request", str(_("Bad request.")))


def handler403(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(403, "permission_denied", str(PermissionDenied.default_message))


def handler404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(404, "not_found", str(NotFound.default_message))


def handler500(request: HttpRequest) -> JsonResponse:
    return _json_error(500, "server_error", str(_("Internal server error.")))

"""One error shape for the whole API.

Every error response, whether raised by DRF, by Django or by an unexpected bug,
has the body::

    {"error": {"code": "validation_error", "message": "...", "fields": {"email": ["..."]}},
     "request_id": "..."}

`fields` is present only for validation errors and names each bad field.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from web.core.context import current_request_id

logger = logging.getLogger("mash.errors")


class Conflict(exceptions.APIException):
    """409; `fields` ({"a.b": [messages]}, as in a validation error) name what is in conflict."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"

    def __init__(self, detail: str | None = None, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(detail=detail)
        self.fields = fields


class RateLimited(exceptions.Throttled):
    """429 with a Retry-After header (seconds, rounded up)."""

    default_code = "rate_limited"

    def __init__(self, wait: float, detail: str | None = None) -> None:
        super().__init__(wait=math.ceil(wait), detail=detail, code="rate_limited")


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class ServiceUnavailable(exceptions.APIException):
    """503 with Retry-After: a dependency (e.g. the search index) is down."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable, retry shortly."
    default_code = "service_unavailable"

    def __init__(self, detail: str | None = None, retry_after: int = 5) -> None:
        super().__init__(detail=detail)
        self.retry_after = retry_after


def _flatten_fields(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error detail into {"a.b": ["message", ...]}."""
    fields: dict[str, list[str]] = {}
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


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error, "request_id": current_request_id()}


def _django_detail(exc: DjangoValidationError) -> dict[str, Any]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}


def invalid_fields(exc: DjangoValidationError | exceptions.ValidationError) -> dict[str, list[str]]:
    """The fields a Django or DRF validation error names, flat: {"a.b": ["message", ...]}."""
    return _flatten_fields(_django_detail(exc) if isinstance(exc, DjangoValidationError) else exc.detail)


def first_problem(fields: dict[str, list[str]]) -> str | None:
    """The first field and its first message ("a.b: message"), for a one-line summary."""
    first = next(iter(fields.items()), None)
    return f"{first[0]}: {first[1][0]}" if first else None


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=_django_detail(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge(f"The request body may be at most {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")

    response = drf_exception_handler(exc, context)
    if response is None:
        # Unhandled: Django's 500 handler answers in the same shape and logs it.
        return None

    if isinstance(exc, exceptions.ValidationError):
        fields = invalid_fields(exc)
        problem = first_problem(fields)
        message = f"Invalid input: {problem}" if problem else "Invalid input."
        response.data = error_body("validation_error", message, fields)
    else:
        detail: Any = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        codes: Any = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        if isinstance(detail, dict):
            # e.g. simplejwt: {"detail": "...", "code": "token_not_valid", "messages": [...]}
            codes = str(detail.get("code", "error"))
            detail = detail.get("detail", "Error.")
        code = codes if isinstance(codes, str) else "error"
        response.data = error_body(code, str(detail), getattr(exc, "fields", None))
    if isinstance(exc, ServiceUnavailable):
        response["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        response["Retry-After"] = str(max(1, math.ceil(exc.wait)))
    return response


def _json_error(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(code, message), status=status_code)


def handler400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(400, "bad_request", "Bad request.")


def handler403(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(403, "permission_denied", "You do not have permission to perform this action.")


def handler404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return _json_error(404, "not_found", "Not found.")


def handler500(request: HttpRequest) -> JsonResponse:
    return _json_error(500, "server_error", "Internal server error.")

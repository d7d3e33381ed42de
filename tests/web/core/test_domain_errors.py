"""Domain errors raised below a view reach the client in the one error shape: status,
code, message, fields and Retry-After, through the whole middleware stack."""

from __future__ import annotations

import pytest
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from web.core import errors
from web.core.errors import (
    Conflict,
    DomainError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
)

RAISED = {
    "not_found": lambda: NotFound("No such lesson."),
    "not_found_default": lambda: NotFound(),
    "permission_denied": lambda: PermissionDenied("Only the lesson's tutor may cancel it."),
    "permission_denied_default": lambda: PermissionDenied(),
    "conflict": lambda: Conflict("This slot is taken.", {"starts_at": ["Overlaps lesson 12."]}),
    "conflict_keyword": lambda: Conflict(detail="This slot is taken.", fields={"starts_at": ["Overlaps."]}),
    "conflict_default": lambda: Conflict(),
    "invalid": lambda: InvalidInput(fields={"slots.1.start": ["Overlaps slot 0."], "email": ["Taken."]}),
    "invalid_message": lambda: InvalidInput("Pick one.", fields={"a": ["x"]}),
    "invalid_bare": lambda: InvalidInput(),
    "rate_limited": lambda: RateLimited(1.2, "Autosave is limited to one save every 10 seconds."),
    "rate_limited_one": lambda: RateLimited(0.3),
    "unavailable": lambda: ServiceUnavailable("Search is temporarily unavailable, retry shortly.", retry_after=7),
    "unavailable_default": lambda: ServiceUnavailable(),
}


class RaiseApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    def get(self, request: Request, name: str) -> Response:
        raise RAISED[name]()


urlpatterns = [path("raise/<str:name>/", RaiseApi.as_view())]

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


def _get(api_client, name: str):
    response = api_client.get(f"/raise/{name}/", HTTP_X_REQUEST_ID="req-1")
    body = response.json()
    assert set(body) == {"error", "request_id"} and body["request_id"] == "req-1"
    return response, body["error"]


@pytest.mark.parametrize(
    ("name", "status", "error"),
    [
        ("not_found", 404, {"code": "not_found", "message": "No such lesson."}),
        ("not_found_default", 404, {"code": "not_found", "message": "Not found."}),
        ("permission_denied", 403,
         {"code": "permission_denied", "message": "Only the lesson's tutor may cancel it."}),
        ("permission_denied_default", 403,
         {"code": "permission_denied", "message": "You do not have permission to perform this action."}),
        ("conflict", 409, {"code": "conflict", "message": "This slot is taken.",
                           "fields": {"starts_at": ["Overlaps lesson 12."]}}),
        ("conflict_keyword", 409, {"code": "conflict", "message": "This slot is taken.",
                                   "fields": {"starts_at": ["Overlaps."]}}),
        ("conflict_default", 409, {"code": "conflict", "message": "The request conflicts with the current state."}),
        ("invalid", 400, {"code": "validation_error", "message": "Invalid input: slots.1.start: Overlaps slot 0.",
                          "fields": {"slots.1.start": ["Overlaps slot 0."], "email": ["Taken."]}}),
        ("invalid_message", 400, {"code": "validation_error", "message": "Pick one.", "fields": {"a": ["x"]}}),
        ("invalid_bare", 400, {"code": "validation_error", "message": "Invalid input."}),
    ],
)
def test_each_domain_error_maps_to_its_status_code_and_fields(api_client, name, status, error) -> None:
    response, body = _get(api_client, name)
    assert response.status_code == status
    assert body == error
    assert "Retry-After" not in response


@pytest.mark.parametrize(
    ("name", "message", "retry_after"),
    [
        ("rate_limited", "Autosave is limited to one save every 10 seconds. Expected available in 2 seconds.", "2"),
        ("rate_limited_one", "Request was throttled. Expected available in 1 second.", "1"),
    ],
)
def test_rate_limited_is_a_429_with_retry_after(api_client, name, message, retry_after) -> None:
    response, body = _get(api_client, name)
    assert response.status_code == 429
    assert body == {"code": "rate_limited", "message": message}
    assert response["Retry-After"] == retry_after


@pytest.mark.parametrize(
    ("name", "message", "retry_after"),
    [
        ("unavailable", "Search is temporarily unavailable, retry shortly.", "7"),
        ("unavailable_default", "The service is temporarily unavailable, retry shortly.", "5"),
    ],
)
def test_service_unavailable_is_a_503_with_retry_after(api_client, name, message, retry_after) -> None:
    response, body = _get(api_client, name)
    assert response.status_code == 503
    assert body == {"code": "service_unavailable", "message": message}
    assert response["Retry-After"] == retry_after


def test_domain_errors_are_plain_exceptions_outside_any_framework() -> None:
    """Services raise them; a task or the shell catches them without DRF."""
    import rest_framework.exceptions

    for make in RAISED.values():
        exc = make()
        assert isinstance(exc, DomainError) and isinstance(exc, Exception)
        assert not isinstance(exc, rest_framework.exceptions.APIException)
    assert "rest_framework" not in {
        getattr(getattr(errors, name), "__module__", "").split(".")[0]
        for name in ("DomainError", "NotFound", "PermissionDenied", "Conflict", "InvalidInput",
                     "RateLimited", "ServiceUnavailable")
    }
    # The constructors other code already calls keep their signatures.
    assert RateLimited(9.1).wait == 10
    assert ServiceUnavailable(None, 3).retry_after == 3
    assert Conflict("x", {"f": ["y"]}).fields == {"f": ["y"]}

"""Per-request plumbing: a request id and exactly one structured log line per request."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import translation

from web.core import metrics
from web.core.context import RequestContext, clean_referrer, enter_request, leave_request
from web.core.identity import client_address, user_id_of

logger = logging.getLogger("mash.request")

# The id is echoed in a response header and in every log line of the request, so it
# is a short token or nothing (fullmatch: `$` would let a trailing newline through).
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def _request_id_from(request: HttpRequest) -> str:
    incoming = request.headers.get("X-Request-ID", "")
    return incoming if _VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


class RequestLogMiddleware:
    """Assigns a request id (kept from X-Request-ID when well-formed) and logs the request.

    The user id is read after the view ran, so token-authenticated API users are
    logged too (DRF sets the user on the underlying request once it authenticates).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _request_id_from(request)
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.perf_counter()
        request.started_perf_counter = started  # type: ignore[attr-defined]
        # Lets code below the view (activity events, audit rows) record the request's id,
        # client, referrer and duration so far without being handed the request.
        token = enter_request(
            RequestContext(
                request_id=request_id,
                client_address=client_address(request),
                referrer=clean_referrer(request.META.get("HTTP_REFERER") or ""),
                started=started,
            )
        )
        try:
            response = self.get_response(request)
        finally:
            leave_request(token)
            # The request's language (LocaleMiddleware, the user's) ends with it: code that
            # runs outside a request on this thread speaks the default again.
            translation.deactivate()
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        response["X-Request-ID"] = request_id
        user = getattr(request, "user", None)
        user_id = user_id_of(user)
        route = getattr(getattr(request, "resolver_match", None), "route", None) or "unmatched"
        metrics.observe_request(request.method or "", route, response.status_code, duration_ms)
        logger.info(
            "request",
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": user_id,
            },
        )
        return response

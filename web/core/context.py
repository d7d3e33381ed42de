"""What the current request is, for code below the view that must not see the request.

Services take the acting user and plain values; the few facts about the request that
belong in records they write (its id, the client's address, the Referer, when it
arrived) travel in this context variable, set by `RequestLogMiddleware` for the
duration of one request. Outside a request (a Celery task, the shell, the admin's
actions called from code) it is None, and those records simply lack the facts.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from dataclasses import dataclass

REFERRER_MAX_LENGTH = 2048


@dataclass(frozen=True)
class RequestContext:
    request_id: str
    client_address: str
    referrer: str | None
    started: float  # time.perf_counter() when the request arrived

    def elapsed_ms(self) -> float:
        """Milliseconds since the request arrived."""
        return round((time.perf_counter() - self.started) * 1000, 3)


_current: ContextVar[RequestContext | None] = ContextVar("mash_request_context", default=None)


def request_context() -> RequestContext | None:
    """The context of the request being served on this thread, or None."""
    return _current.get()


def current_request_id() -> str | None:
    context = _current.get()
    return context.request_id if context is not None else None


def enter_request(context: RequestContext) -> object:
    """Make `context` current; returns a token for `leave_request`."""
    return _current.set(context)


def leave_request(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


def clean_referrer(raw: str) -> str | None:
    """A Referer header as stored: no NUL characters, bounded, None when empty."""
    value = raw.replace("\x00", "")[:REFERRER_MAX_LENGTH]
    return value or None

"""The body of every error answer, with no framework behind it: the API's exception
handler (web/core/errors.py) and the front server (config/front.py), which answers
before Django sees a request, build it here."""

from __future__ import annotations

from typing import Any


def error_shape(
    code: str, message: str, fields: dict[str, list[str]] | None = None, request_id: str | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error, "request_id": request_id}

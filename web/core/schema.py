"""OpenAPI pieces every API module reuses: the error shape and its examples, and how
the optional Bearer token of the public endpoints is described."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, inline_serializer
from rest_framework import serializers

ERROR_SERIALIZER = inline_serializer(
    "Error",
    {
        "error": inline_serializer(
            "ErrorDetail",
            {
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField()), required=False
                ),
            },
        ),
        "request_id": serializers.CharField(allow_null=True),
    },
)

ERROR_RESPONSE = OpenApiResponse(ERROR_SERIALIZER, description="Error in the common shape")


def _body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error, "request_id": "3f2b9c0d8e7a4b51"}


def validation_example(field: str, message: str) -> OpenApiExample:
    return OpenApiExample(
        f"invalid {field}",
        response_only=True,
        status_codes=["400"],
        value=_body("validation_error", f"Invalid input: {field}: {message}", {field: [message]}),
    )


def error_example(name: str, status: str, code: str, message: str) -> OpenApiExample:
    return OpenApiExample(name, response_only=True, status_codes=[status], value=_body(code, message))


NOT_AUTHENTICATED = error_example(
    "not authenticated", "401", "not_authenticated", "Authentication credentials were not provided."
)
TOKEN_NOT_VALID = error_example(
    "expired token", "401", "token_not_valid", "Given token not valid for any token type"
)


class StatelessJwtScheme(OpenApiAuthenticationExtension):
    """The public marketplace reads the same Bearer access token as every other endpoint,
    only without loading the user (JWTStatelessUserAuthentication). It refers to the one
    `jwtAuth` scheme instead of declaring a second scheme of the same name."""

    target_class = "rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication"
    name: list[str] = []  # declares no scheme of its own
    priority = 1  # over drf-spectacular's bundled extension for this class

    def get_security_requirement(self, auto_schema: Any) -> dict[str, list[str]]:
        return {"jwtAuth": []}

    def get_security_definition(self, auto_schema: Any) -> list[Any]:
        return []


# Answers any operation can get from the front server (config/front.py) before the
# application sees the request, or from the application for any request: declared on
# every operation so a client (and a contract test) knows them. Same error shape.
EDGE_RESPONSES = {
    "400": "Malformed request line, headers or body",
    "408": "The request headers or body did not arrive in time",
    "413": "The request body is too large",
    "414": "The request line (path and query string) is too long",
    "429": "Too many requests, or too many open connections from this address; see Retry-After",
    "431": "The request headers are too large or too many",
    "501": "A transfer coding other than chunked",
    "502": "The application server failed to answer",
    "503": "The service is temporarily unavailable; see Retry-After",
    "504": "The application did not answer in time",
}
RETRY_AFTER_HEADER = {
    "schema": {"type": "integer", "minimum": 1},
    "description": "Seconds to wait before retrying",
}


# The keywords that describe a parameter's value (as opposed to the parameter itself).
_TYPED_KEYS = (
    "type", "format", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "maxLength", "oneOf", "anyOf",
)
_BLANK = {"type": "string", "pattern": "^\\s*$"}


def _allow_blank(schema: dict[str, Any]) -> None:
    """A blank query value (empty or only spaces) counts as not given (web/core/params.py):
    the schema allows it."""
    schema.pop("minLength", None)
    if "pattern" in schema:
        schema["pattern"] = f"(?:{schema['pattern']})|^\\s*$"
    elif schema.get("type") != "string" or {"format", "enum"} & set(schema):
        # A number, a flag, a choice or a formatted value (a date), or nothing: JSON Schema
        # has no "this or blank" but anyOf.
        typed = {key: schema.pop(key) for key in _TYPED_KEYS if key in schema}
        if typed:
            schema["anyOf"] = [typed, dict(_BLANK)]


def edge_responses_hook(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation declares the edge answers
    (EDGE_RESPONSES) in the error shape, and its 429 and 503 the Retry-After header; query
    parameters take a blank value (it means "not given")."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _allow_blank(parameter.get("schema", {}))
            responses = operation.setdefault("responses", {})
            for status, description in EDGE_RESPONSES.items():
                responses.setdefault(status, {"description": description, "content": error})
            for status in ("429", "503"):
                responses[status].setdefault("headers", {})["Retry-After"] = RETRY_AFTER_HEADER
    return result


class HourMinuteFieldSchema(OpenApiSerializerFieldExtension):
    """HH:MM fields as the string pattern they accept, not `format: time` (which allows
    seconds and offsets the API refuses)."""

    target_class = "web.core.serializers.HourMinuteField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        return {"type": "string", "pattern": self.target.pattern, "example": "09:00"}


class StringOrIntegerFieldSchema(OpenApiSerializerFieldExtension):
    """A string or an integer, as the field takes."""

    target_class = "web.core.serializers.StringOrIntegerField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        text: dict[str, Any] = {"type": "string"}
        if self.target.max_length is not None:
            text["maxLength"] = self.target.max_length
        schema: dict[str, Any] = {"oneOf": [text, {"type": "integer"}]} if direction == "request" else text
        if self.target.allow_null:
            schema["nullable"] = True
        return schema

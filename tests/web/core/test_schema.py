"""The OpenAPI schema builds without a warning: each one is a place where the published
schema may be wrong (two components sharing a name, an authenticator it cannot describe,
colliding operation ids)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator


def test_schema_generation_emits_no_warnings() -> None:
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    operation_ids = [op["operationId"] for path in schema["paths"].values() for op in path.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_public_endpoints_accept_the_same_bearer_scheme_optionally() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    search = schema["paths"]["/api/marketplace/tutors/"]["get"]
    assert search["security"] == [{"jwtAuth": []}, {}]
    assert set(schema["components"]["securitySchemes"]) == {"jwtAuth", "cookieAuth"}


# Operations whose only outcome is success: a liveness probe answers whenever the process
# serves requests, so it has no error state to show.
_ONE_OUTCOME = {("get", "/api/health/")}


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method, path, op) for path, ops in schema["paths"].items() for method, op in ops.items()]


def _response_examples(op: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
    """(status, response schema, example value) of every response example."""
    found = []
    for status, response in op.get("responses", {}).items():
        for content in response.get("content", {}).values():
            for example in content.get("examples", {}).values():
                found.append((status, content.get("schema", {}), example["value"]))
    return found


def test_every_operation_documents_success_and_failure_with_three_examples() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    short = []
    for method, path, op in _operations(schema):
        if (method, path) in _ONE_OUTCOME:
            continue
        request_examples = sum(
            len(content.get("examples", {})) for content in op.get("requestBody", {}).get("content", {}).values()
        )
        statuses = [status for status, _, _ in _response_examples(op)]
        has_body = any(
            status.startswith("2") and response.get("content") for status, response in op["responses"].items()
        )
        if (
            request_examples + len(statuses) < 3
            or (has_body and not any(s.startswith("2") for s in statuses))
            or not any(s[0] in "45" for s in statuses)
        ):
            short.append(f"{method.upper()} {path}: {statuses}")
    assert short == []


def _json_schema(node: Any, components: dict[str, Any]) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: references inlined, `nullable` as a null type."""
    if isinstance(node, list):
        return [_json_schema(item, components) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        return _json_schema(components[node["$ref"].rsplit("/", 1)[-1]], components)
    converted = {key: _json_schema(value, components) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def test_every_response_example_matches_its_schema() -> None:
    import jsonschema

    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    wrong = []
    for method, path, op in _operations(schema):
        for status, response_schema, value in _response_examples(op):
            errors = list(jsonschema.Draft7Validator(_json_schema(response_schema, components)).iter_errors(value))
            if errors:
                wrong.append(f"{method.upper()} {path} {status}: {errors[0].message}")
    assert wrong == []


def test_the_published_schema_is_built_once_per_process(client, monkeypatch) -> None:
    from django.core.cache import cache

    cache.clear()
    built = []
    real = SchemaGenerator.get_schema

    def counted(self, *args, **kwargs):  # the real generator, counted
        built.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counted)
    first = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    second = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert len(built) == 1
    cache.clear()

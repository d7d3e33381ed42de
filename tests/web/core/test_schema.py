"""The OpenAPI schema builds without a warning: each one is a place where the published
schema may be wrong (two components sharing a name, an authenticator it cannot describe,
colliding operation ids)."""

from __future__ import annotations

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

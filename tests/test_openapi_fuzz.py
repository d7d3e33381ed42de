"""Fuzz every operation of the OpenAPI schema: no 5xx, and every response matches its schema.

New endpoints are covered automatically: the cases come from /api/schema/.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from config.wsgi import application  # noqa: E402
from tests.factories import TutorProfileFactory

# Loaded at collection: building the schema needs Django, not the database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# Every phase that runs per operation (examples, coverage, fuzzing), with data that fits the
# schema and data that does not: a request the schema allows must not be refused, and one
# it forbids must not be accepted.
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
# Text PostgreSQL cannot store (NUL, lone surrogates) is a documented 400 the schema does not spell.
schema.config.generation.update(modes=list(GenerationMode), allow_x00=False, codec="utf-8")


@pytest.fixture(autouse=True)
def _keep_test_connection(db):
    """As Django's test client does: keep the test transaction's connection open
    across the in-process WSGI calls."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(db) -> dict[str, str]:
    from rest_framework_simplejwt.tokens import RefreshToken

    # A tutor with a profile, so the profile, draft and availability paths run for real.
    user = TutorProfileFactory(user__email="fuzz-tutor@example.com").user
    return {"Authorization": f"Bearer {RefreshToken.for_user(user).access_token}"}


# The same cases on every run, so CI answers for the code and not for the draw; FUZZ_RANDOM=1
# (and more FUZZ_EXAMPLES) draws new ones, to explore.
_RANDOM = os.environ.get("FUZZ_RANDOM") == "1"


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")), deadline=None, derandomize=not _RANDOM,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, bearer, opensearch) -> None:
    # `opensearch`: a private clone with an (empty) tutor index, so search endpoints
    # answer from a real index instead of 503 for a missing one.
    # Every check but positive_data_acceptance: rules across fields (a slot ends after it
    # starts) and signed cursors are beyond what a schema states, so a schema-valid request
    # may still be a 400 naming the field.
    case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])

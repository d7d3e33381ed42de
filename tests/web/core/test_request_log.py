"""One structured JSON log line per request."""

from __future__ import annotations

import json
import logging

import pytest

from web.core.identity import user_id_of
from web.core.logging import JsonFormatter


def _request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "mash.request"]


@pytest.mark.django_db
def test_one_line_per_request_with_the_required_fields(api_client, auth_client, student, caplog) -> None:
    caplog.set_level(logging.INFO, logger="mash.request")
    auth_client(student).get("/api/me/", HTTP_X_REQUEST_ID="req-42")

    records = _request_records(caplog)
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["message"] == "request"
    assert line["request_id"] == "req-42"
    assert line["method"] == "GET"
    assert line["path"] == "/api/me/"
    assert line["status"] == 200
    assert line["user_id"] == student.pk
    assert isinstance(line["duration_ms"], float)


@pytest.mark.django_db
def test_a_token_read_without_a_query_logs_the_same_integer_id(auth_client, student, caplog) -> None:
    caplog.set_level(logging.INFO, logger="mash.request")
    # The marketplace reads the token statelessly: its user id is the token's claim.
    auth_client(student).get("/api/marketplace/tutors/999999/")
    (record,) = _request_records(caplog)
    assert json.loads(JsonFormatter().format(record))["user_id"] == student.pk


def test_user_id_of_is_an_integer_or_none() -> None:
    from rest_framework_simplejwt.models import TokenUser

    assert user_id_of(None) is None
    assert user_id_of(TokenUser({"user_id": "42"})) == 42
    # A token this service did not issue, though signed with its key: anonymous, not a 500.
    assert user_id_of(TokenUser({"user_id": "a-uuid"})) is None


@pytest.mark.django_db
def test_anonymous_and_failed_requests_are_logged_too(api_client, caplog) -> None:
    caplog.set_level(logging.INFO, logger="mash.request")
    api_client.get("/api/me/")
    (record,) = _request_records(caplog)
    line = json.loads(JsonFormatter().format(record))
    assert line["status"] == 401
    assert line["user_id"] is None
    assert len(line["request_id"]) == 32


@pytest.mark.django_db
def test_metrics_endpoint_counts_requests(api_client) -> None:
    from prometheus_client import REGISTRY

    labels = {"method": "GET", "route": "api/health/", "status": "200"}
    before = REGISTRY.get_sample_value("mash_http_requests_total", labels) or 0.0
    api_client.get("/api/health/")
    assert REGISTRY.get_sample_value("mash_http_requests_total", labels) == before + 1
    body = api_client.get("/metrics").content.decode()
    assert 'mash_http_requests_total{method="GET",route="api/health/",status="200"}' in body


@pytest.mark.django_db
def test_an_invented_method_does_not_add_a_metric_series(api_client) -> None:
    from prometheus_client import REGISTRY

    def requests_with(method: str) -> float:
        return REGISTRY.get_sample_value(
            "mash_http_requests_total", {"method": method, "route": "api/health/", "status": "405"}
        ) or 0.0

    before = requests_with("other")
    assert api_client.generic("QWERTY123", "/api/health/").status_code == 405
    assert api_client.generic("ZZTOP", "/api/health/").status_code == 405
    assert requests_with("other") == before + 2
    names = {s.labels.get("method") for m in REGISTRY.collect() for s in m.samples}
    assert not names & {"QWERTY123", "ZZTOP"}

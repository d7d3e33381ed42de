"""Readiness against the real embedded services, and against services we stop."""

from __future__ import annotations

import pytest

from config.embedded import EmbeddedOpenSearch, EmbeddedRedis


@pytest.mark.django_db
def test_liveness(api_client) -> None:
    response = api_client.get("/api/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_reports_every_service_with_latency(api_client) -> None:
    response = api_client.get("/api/health/ready/")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["failing"] == []
    assert set(body["checks"]) == {"postgres", "redis", "opensearch"}
    for check in body["checks"].values():
        assert check["ok"] is True
        assert check["latency_ms"] >= 0
        assert check["error"] is None


@pytest.mark.django_db
def test_stopped_redis_makes_readiness_503_naming_it(api_client, settings, tmp_path) -> None:
    redis = EmbeddedRedis(tmp_path / "redis").start()
    settings.REDIS_URL = redis.url
    assert api_client.get("/api/health/ready/").status_code == 200
    redis.stop()

    response = api_client.get("/api/health/ready/")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["failing"] == ["redis"]
    assert body["checks"]["redis"]["ok"] is False
    # The kind of failure only: the address and the driver's message stay in the log.
    assert body["checks"]["redis"]["error"] == "ConnectionError"
    assert str(redis.port) not in response.content.decode()
    assert body["checks"]["postgres"]["ok"] is True


@pytest.mark.django_db
def test_stopped_opensearch_makes_readiness_503_naming_it(api_client, settings) -> None:
    engine = EmbeddedOpenSearch().start()
    settings.OPENSEARCH_URL = engine.url
    assert api_client.get("/api/health/ready/").status_code == 200
    engine.stop()

    response = api_client.get("/api/health/ready/")
    assert response.status_code == 503
    assert response.json()["failing"] == ["opensearch"]

"""Settings come from the environment, with production-safe defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import database_from_url, env_bool, env_list

ROOT = Path(__file__).resolve().parents[2]

_PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS, "
    "'db': settings.DATABASES['default']['NAME'], 'redis': settings.REDIS_URL, "
    "'os': settings.OPENSEARCH_URL, 'broker': settings.CELERY_BROKER_URL, "
    "'cookie_secure': settings.SESSION_COOKIE_SECURE}))"
)


def _load_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_values_are_read_from_the_environment() -> None:
    result = _load_settings(
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="api.example.com, www.example.com",
        DATABASE_URL="postgresql://u:p@db.internal:5433/marketplace",
        REDIS_URL="redis://cache.internal:6380/2",
        OPENSEARCH_URL="http://search.internal:9200",
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values == {
        "debug": False,
        "hosts": ["api.example.com", "www.example.com"],
        "db": "marketplace",
        "redis": "redis://cache.internal:6380/2",
        "os": "http://search.internal:9200",
        "broker": "redis://cache.internal:6380/2",
        "cookie_secure": True,
    }


def test_missing_secret_key_in_production_is_a_clear_startup_error() -> None:
    result = _load_settings()
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_mode_may_run_without_a_secret_key() -> None:
    result = _load_settings(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is True


def test_bad_boolean_is_rejected_by_name() -> None:
    result = _load_settings(SECRET_KEY="k" * 50, DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_database_url_with_unix_socket_host() -> None:
    db = database_from_url("postgresql://postgres:@/mash?host=/tmp/pg%20dir")
    assert db["NAME"] == "mash"
    assert db["HOST"] == "/tmp/pg dir"
    assert db["USER"] == "postgres"


def test_database_url_with_network_host() -> None:
    db = database_from_url("postgres://app:s%40cret@db:6543/prod?sslmode=require")
    assert (db["HOST"], db["PORT"], db["USER"], db["PASSWORD"]) == ("db", "6543", "app", "s@cret")
    assert db["OPTIONS"] == {"sslmode": "require", "connect_timeout": 5}  # never the TCP default
    assert database_from_url("postgres://db/prod?connect_timeout=2")["OPTIONS"]["connect_timeout"] == 2


@pytest.mark.parametrize("url", ["mysql://x/y", "postgresql://host:5432/"])
def test_database_url_rejects_what_it_cannot_use(url: str) -> None:
    with pytest.raises(ImproperlyConfigured):
        database_from_url(url)


def test_env_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLAG", "off")
    monkeypatch.setenv("HOSTS", "a,,b ")
    assert env_bool("FLAG", True) is False
    assert env_bool("UNSET_FLAG_FOR_TEST", True) is True
    assert env_list("HOSTS", []) == ["a", "b"]

"""Suite-wide fixtures. Services are real: `make test` starts embedded PostgreSQL,
Redis and OpenSearch (config.launcher) and the tests talk to them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytest_plugins = ["tests.factories"]


@pytest.fixture(autouse=True)
def _subject_catalogue(request):
    """Transactional tests flush tables, data migrations included: put the catalogue back."""
    if not any(name in request.fixturenames for name in ("db", "transactional_db")):
        if request.node.get_closest_marker("django_db") is None:
            return
    request.getfixturevalue("transactional_db" if _is_transactional(request) else "db")
    from importlib import import_module

    from django.apps import apps

    from web.profiles.models import Subject

    if not Subject.objects.exists():
        import_module("web.profiles.migrations.0002_subject_catalogue").add_subjects(apps, None)


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return "transactional_db" in request.fixturenames or bool(marker and marker.kwargs.get("transaction"))


@pytest.fixture(autouse=True)
def _clean_sign_in_counters():
    """Sign-in and registration counters never leak between tests (nor runs: the test
    run's Redis is append-only); every test client comes from the same address."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)

    def clean() -> None:
        keys = list(client.scan_iter(match="ratelimit:{auth.*", count=500))
        if keys:
            client.delete(*keys)

    clean()
    yield
    clean()
    client.close()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def auth_client():
    """A function returning an APIClient that sends a real JWT for the given user."""
    from rest_framework_simplejwt.tokens import RefreshToken

    def make(user, accept_language: str | None = "en") -> APIClient:
        """The client asks for English unless told otherwise (a request's own header wins);
        `accept_language=None` sends none, so the account's language applies."""
        client = APIClient()
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        if accept_language is not None:
            client.defaults["HTTP_ACCEPT_LANGUAGE"] = accept_language
        return client

    return make


@pytest.fixture
def opensearch(settings):
    """A private copy-on-write clone of the embedded engine for this test, with an
    empty tutor index behind its aliases. Yields the clone's URL."""
    import json
    import os
    import urllib.request

    from search.client import reset_clients, write_client
    from search.index_admin import aliases_update, index_create
    from search.indexes import TUTORS

    base = os.environ["OPENSEARCH_URL"]
    request = urllib.request.Request(f"{base}/_osmem/clones", method="POST", data=b"{}")
    request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=10) as response:
        clone = json.loads(response.read())
    settings.OPENSEARCH_URL = clone["url"]
    reset_clients()
    client = write_client()
    name = TUTORS.new_index_name()
    index_create(client, TUTORS, name)
    aliases_update(
        client,
        [{"add": {"index": name, "alias": TUTORS.read_alias}}, {"add": {"index": name, "alias": TUTORS.write_alias}}],
    )
    yield clone["url"]
    reset_clients()
    urllib.request.urlopen(
        urllib.request.Request(f"{base}/_osmem/clones/{clone['id']}", method="DELETE"), timeout=10
    ).close()

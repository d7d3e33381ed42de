"""Suite-wide fixtures. Services are real: `make test` starts embedded PostgreSQL,
Redis and OpenSearch (config.launcher) and the tests talk to them."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytest_plugins = ["tests.factories"]


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def auth_client():
    """A function returning an APIClient that sends a real JWT for the given user."""
    from rest_framework_simplejwt.tokens import RefreshToken

    def make(user) -> APIClient:
        client = APIClient()
        token = RefreshToken.for_user(user).access_token
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return make

"""Fixtures for tests that search a real (cloned) index."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_search_breaker():
    """Each test starts with a closed circuit breaker (its state is per process)."""
    from search.breaker import reset_search_breaker

    reset_search_breaker()
    yield
    reset_search_breaker()


@pytest.fixture(autouse=True)
def _fresh_facet_cache():
    """Facet counts are kept in process: each test starts without them."""
    from search.facets import facet_counts

    facet_counts.clear()
    yield
    facet_counts.clear()


@pytest.fixture
def index_tutors(opensearch):
    """A function indexing the given tutor profiles (as the indexer does) and refreshing,
    so the next search sees them."""
    from indexer.sync import tutor_sync
    from search.client import write_client
    from search.indexes import TUTORS

    def index(*profiles) -> None:
        for profile in profiles:
            tutor_sync(profile.pk)
        write_client().indices.refresh(index=TUTORS.read_alias)

    return index


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Factories set a password per tutor; the production hasher would dominate the run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def clean_buffers():
    """Empty the Redis buffers of activity events and marketplace metrics."""
    from web.activity.buffer import BUFFER_KEY, PROCESSING_KEY
    from web.core.redis_client import redis_client
    from web.marketplace.services import METRICS_BUFFER_KEY

    redis_client().delete(BUFFER_KEY, PROCESSING_KEY, METRICS_BUFFER_KEY)
    yield
    redis_client().delete(BUFFER_KEY, PROCESSING_KEY, METRICS_BUFFER_KEY)

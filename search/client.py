"""The OpenSearch client, one per process and URL.

Two flavours: searches use a short timeout and no retries (a slow cluster becomes
a fast 503), writes use a longer timeout (bulk loads, rebuilds).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from opensearchpy import OpenSearch


@lru_cache(maxsize=8)
def _client(url: str, timeout: float, retries: int) -> OpenSearch:
    return OpenSearch(
        hosts=[url],
        timeout=timeout,
        max_retries=retries,
        retry_on_timeout=False,
        http_compress=False,
        pool_maxsize=32,
    )


def search_client() -> OpenSearch:
    return _client(settings.OPENSEARCH_URL, settings.OPENSEARCH_SEARCH_TIMEOUT, 0)


def write_client() -> OpenSearch:
    return _client(settings.OPENSEARCH_URL, settings.OPENSEARCH_WRITE_TIMEOUT, 1)


def reset_clients() -> None:
    """Forget cached clients (after the URL changed, e.g. in tests)."""
    _client.cache_clear()

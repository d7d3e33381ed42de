"""The subject catalogue cache of the search path, against the real database: faults
come from PostgreSQL itself (a table lock held by another connection)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.support.db import table_locked
from web.marketplace.selectors import CatalogueUnavailable, SubjectSlugCache
from web.profiles.models import Subject


def _catalogue_reads(queries: CaptureQueriesContext) -> int:
    return sum(Subject._meta.db_table in q["sql"] for q in queries.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_a_stale_catalogue_is_served_while_it_reloads_in_the_background() -> None:
    cache = SubjectSlugCache(ttl=60)
    first = cache.slugs()
    assert "math" in first and "astronomy" not in first
    Subject.objects.create(slug="astronomy", name_en="Astronomy", name_uk="Астрономія", name_pl="Astronomia")
    assert cache.slugs() is first  # fresh: the new subject waits for the next load
    cache._loaded_at -= cache.ttl + 1  # a minute later
    with CaptureQueriesContext(connection) as queries:
        assert cache.slugs() is first  # stale: served at once, reloaded in another thread
    assert _catalogue_reads(queries) == 0
    deadline = time.monotonic() + 5
    while "astronomy" not in cache.slugs() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "astronomy" in cache.slugs()


@pytest.mark.django_db
def test_subject_slugs_are_the_whole_catalogue_deactivated_subjects_included() -> None:
    from web.profiles.models import Subject

    Subject.objects.filter(slug="music").update(is_active=False)
    slugs = SubjectSlugCache().slugs()
    assert {"math", "physics", "english", "computer-science", "music"} <= slugs


@pytest.mark.django_db(transaction=True)
def test_a_first_load_that_fails_is_a_503_and_is_remembered_briefly() -> None:
    cache = SubjectSlugCache(retry_after=1.0)
    with table_locked(Subject._meta.db_table):
        with pytest.raises(CatalogueUnavailable):
            cache.slugs()
    # The database answers again, but within retry_after the failure is remembered:
    # requests do not queue on a database that was just found down.
    with CaptureQueriesContext(connection) as queries:
        with pytest.raises(CatalogueUnavailable):
            cache.slugs()
    assert _catalogue_reads(queries) == 0
    cache._failed_at -= cache.retry_after  # a moment later
    assert "math" in cache.slugs()


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_uses_load_the_catalogue_once() -> None:
    cache = SubjectSlugCache(ttl=60)
    results: list[frozenset[str]] = []
    loads, cold = [0], [0]
    real_load, real_load_first = cache._load, cache._load_first

    def counted_load() -> frozenset[str]:  # the real query, counted
        loads[0] += 1
        return real_load()

    counting = threading.Lock()

    def counted_load_first() -> frozenset[str]:  # a use that found no catalogue loaded
        with counting:
            cold[0] += 1
        return real_load_first()

    cache._load = counted_load  # type: ignore[method-assign]
    cache._load_first = counted_load_first  # type: ignore[method-assign]

    def use() -> None:
        try:
            results.append(cache.slugs())
        finally:
            connection.close()

    # The first load (on its thread's own connection) waits for the table until every
    # thread has asked.
    with table_locked(Subject._meta.db_table) as release:
        threads = [threading.Thread(target=use) for _ in range(8)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while cold[0] < 8 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert cold[0] == 8  # all eight raced for the first load
        release()
        for thread in threads:
            thread.join()
    assert loads[0] == 1
    assert len(results) == 8 and len(set(results)) == 1 and "math" in results[0]

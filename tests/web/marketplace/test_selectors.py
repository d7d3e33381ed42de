from __future__ import annotations

import time

import pytest

from web.marketplace.selectors import SubjectSlugCache


class CountingCache(SubjectSlugCache):
    def __init__(self, ttl: float) -> None:
        super().__init__(ttl)
        self.loads = 0

    def _load(self) -> frozenset[str]:  # type: ignore[override]
        self.loads += 1
        return frozenset({f"v{self.loads}"})


def test_a_stale_catalogue_is_served_while_it_reloads_in_the_background() -> None:
    cache = CountingCache(ttl=1.0)
    assert cache.slugs() == {"v1"}
    assert cache.slugs() == {"v1"} and cache.loads == 1  # fresh: no reload
    time.sleep(1.1)
    assert cache.slugs() == {"v1"}  # stale copy served at once, reload started
    deadline = time.monotonic() + 5
    while cache.slugs() != {"v2"} and time.monotonic() < deadline:
        time.sleep(0.01)
    assert cache.slugs() == {"v2"}
    assert cache.loads == 2


@pytest.mark.django_db
def test_subject_slugs_are_the_whole_catalogue_deactivated_subjects_included() -> None:
    from web.profiles.models import Subject

    Subject.objects.filter(slug="music").update(is_active=False)
    slugs = SubjectSlugCache().slugs()
    assert {"math", "physics", "english", "computer-science", "music"} <= slugs


def test_a_first_load_that_fails_is_a_503_and_is_remembered_briefly() -> None:
    from django.db import OperationalError

    from web.marketplace.selectors import CatalogueUnavailable

    class Down(SubjectSlugCache):
        loads = 0

        def _load(self) -> frozenset[str]:  # type: ignore[override]
            self.loads += 1
            raise OperationalError("connection refused")

    cache = Down(retry_after=0.2)
    for _ in range(3):
        with pytest.raises(CatalogueUnavailable):
            cache.slugs()
    assert cache.loads == 1  # the next requests did not wait for the database again
    time.sleep(0.25)
    with pytest.raises(CatalogueUnavailable):
        cache.slugs()
    assert cache.loads == 2


def test_concurrent_first_uses_load_the_catalogue_once() -> None:
    import threading

    class Slow(CountingCache):
        def _load(self) -> frozenset[str]:  # type: ignore[override]
            time.sleep(0.1)
            return super()._load()

    cache = Slow(ttl=60)
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.slugs())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.loads == 1
    assert results == [frozenset({"v1"})] * 8

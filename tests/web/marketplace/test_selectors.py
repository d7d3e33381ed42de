from __future__ import annotations

import time

import pytest

from web.marketplace.selectors import SubjectSlugCache, subject_slugs


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
def test_subject_slugs_are_the_active_catalogue() -> None:
    slugs = subject_slugs()
    assert {"math", "physics", "english", "computer-science"} <= slugs

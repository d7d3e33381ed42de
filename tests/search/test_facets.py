"""Facet request shapes: each gives the counts the single-request shape gave.

The reference is the first shape (`tutor_search_body(..., facets=True)`: facet filters
in a post_filter, one filter aggregation per facet) run on the same index.
"""

from __future__ import annotations

import pytest

from search.client import write_client
from search.facets import FacetCountCache, facet_counts, facet_plan
from search.indexes import TUTORS
from search.query import PRICE_HISTOGRAM_INTERVAL, TutorQuery, tutor_search_body
from search.results import facets_from
from search.tutors import tutor_search
from tests.factories import TutorProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tutors(index_tutors):
    rows = [
        (["math"], ["uk"], 300, 10), (["physics", "math"], ["pl", "en"], 550, 3), (["english"], ["en"], 800, 15),
        (["chemistry", "biology"], ["uk", "en"], 250, 1), (["physics"], ["pl"], 450, None),
        (["math"], ["uk", "pl"], 420, 7), (["physics"], ["uk"], 470, 2),
    ]
    profiles = [
        TutorProfileFactory(subjects=s, languages=lang, hourly_rate=rate, experience_years=exp)
        for s, lang, rate, exp in rows
    ]
    index_tutors(*profiles)
    return profiles


def _reference(query: TutorQuery) -> dict:
    body = tutor_search_body(query, size=20, facets=True)
    response = write_client().search(index=TUTORS.read_alias, body=body)
    return facets_from(response["aggregations"], PRICE_HISTOGRAM_INTERVAL)


def _shape(query: TutorQuery) -> tuple[int, list[str], list[str]]:
    """(requests, facets counted over the hits, facets counted apart and cached)."""
    plan = facet_plan(query, tutor_search_body(query, size=20), cache=None)
    return len(plan.bodies()), sorted(plan.hits_body.get("aggs", {})), sorted(plan.to_cache)


@pytest.mark.parametrize(
    ("query", "shape"),
    [
        # Nothing chosen: one hits request, the three facets over the unfiltered index.
        (TutorQuery(), (2, [], ["languages", "price", "subjects"])),
        # A filter without a facet: every facet counts over the hits, one request.
        (TutorQuery(experience_min=3), (1, ["languages", "price", "subjects"], [])),
        (TutorQuery(search="tutor"), (1, ["languages", "price", "subjects"], [])),
        # A subject chosen: the others over the hits, subjects over the unfiltered index.
        (TutorQuery(subject="physics"), (2, ["languages", "price"], ["subjects"])),
        # A subject and a non-facet filter: subjects needs its own request.
        (TutorQuery(subject="physics", experience_min=2), (2, ["languages", "price"], ["subjects"])),
        # Two facets chosen: each needs its own request; the third over the hits.
        (TutorQuery(subject="math", language="uk"), (3, ["price"], ["languages", "subjects"])),
        # All three chosen: one request each beside the hits.
        (TutorQuery(subject="math", language="pl", price_min=400, price_max=600),
         (4, [], ["languages", "price", "subjects"])),
        (TutorQuery(price_max=500), (2, ["languages", "subjects"], ["price"])),
        # With search text the counts are nobody else's: counted, never cached.
        (TutorQuery(search="tutor", subject="math"), (2, ["languages", "price"], [])),
    ],
)
def test_each_shape_counts_what_the_single_request_counted(tutors, query, shape) -> None:
    assert _shape(query) == shape
    page = tutor_search(query, page_size=20, facets=True)
    assert page.facets == _reference(query)
    # And the hits are those of the same search without facets.
    assert page.results == tutor_search(query, page_size=20).results
    # A second time, with the counts made without text from the cache: the same answer.
    assert tutor_search(query, page_size=20, facets=True).facets == page.facets


def test_unfiltered_counts_come_from_the_cache_until_it_expires(tutors, index_tutors) -> None:
    first = tutor_search(TutorQuery(subject="physics"), page_size=5, facets=True).facets
    assert first is not None
    assert list(facet_plan(TutorQuery(), tutor_search_body(TutorQuery(), size=5)).to_cache) == ["languages", "price"]
    index_tutors(TutorProfileFactory(subjects=["music"], languages=["de"], hourly_rate=900))
    # Within the TTL the subject counts are the cached ones ...
    cached = tutor_search(TutorQuery(subject="physics"), page_size=5, facets=True).facets
    assert cached is not None and "music" not in {b["value"] for b in cached["subjects"]}
    # ... and once they expire, counted again.
    facet_counts.clear()
    fresh = tutor_search(TutorQuery(subject="physics"), page_size=5, facets=True).facets
    assert fresh is not None and {"value": "music", "count": 1} in fresh["subjects"]


def test_counts_under_other_filters_are_cached_per_filters(tutors, index_tutors) -> None:
    query = TutorQuery(subject="math", language="uk")
    first = tutor_search(query, page_size=5, facets=True).facets
    assert first is not None and {"value": "physics", "count": 1} in first["subjects"]
    index_tutors(TutorProfileFactory(subjects=["physics"], languages=["uk"], hourly_rate=500))
    # The subject counts among Ukrainian speakers are the cached ones; another language's
    # are counted now, and see the new tutor.
    assert tutor_search(query, page_size=5, facets=True).facets == first
    other = tutor_search(TutorQuery(subject="math", language="en"), page_size=5, facets=True).facets
    assert other is not None and other["subjects"] == _reference(TutorQuery(subject="math", language="en"))["subjects"]
    facet_counts.clear()
    fresh = tutor_search(query, page_size=5, facets=True).facets
    assert fresh is not None and {"value": "physics", "count": 2} in fresh["subjects"]
    assert fresh == _reference(query)


def test_the_count_cache_expires_and_keeps_the_most_recently_used() -> None:
    cache = FacetCountCache(ttl=60, size=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" used last: "b" goes first
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    expired = FacetCountCache(ttl=0, size=2)
    expired.put("a", 1)
    assert expired.get("a") is None

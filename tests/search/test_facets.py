"""Facet request shapes: each gives the counts the single-request shape gave.

The reference is the first shape (`tutor_search_body(..., facets=True)`: facet filters
in a post_filter, one filter aggregation per facet) run on the same index.
"""

from __future__ import annotations

import pytest

from search.client import write_client
from search.facets import facet_plan, unfiltered_facets
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
    """(requests, facets counted over the hits, facets from the unfiltered cache or its request)."""
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
        (TutorQuery(subject="physics", experience_min=2), (2, ["languages", "price"], [])),
        # Two facets chosen: each needs its own request; the third over the hits.
        (TutorQuery(subject="math", language="uk"), (3, ["price"], [])),
        # All three chosen: one request each beside the hits.
        (TutorQuery(subject="math", language="pl", price_min=400, price_max=600), (4, [], [])),
        (TutorQuery(price_max=500), (2, ["languages", "subjects"], ["price"])),
    ],
)
def test_each_shape_counts_what_the_single_request_counted(tutors, query, shape) -> None:
    assert _shape(query) == shape
    page = tutor_search(query, page_size=20, facets=True)
    assert page.facets == _reference(query)
    # And the hits are those of the same search without facets.
    assert page.results == tutor_search(query, page_size=20).results
    # A second time, with the unfiltered counts from the cache: the same answer.
    assert tutor_search(query, page_size=20, facets=True).facets == page.facets


def test_unfiltered_counts_come_from_the_cache_until_it_expires(tutors, index_tutors) -> None:
    first = tutor_search(TutorQuery(subject="physics"), page_size=5, facets=True).facets
    assert first is not None
    assert facet_plan(TutorQuery(), tutor_search_body(TutorQuery(), size=5)).to_cache == ["languages", "price"]
    index_tutors(TutorProfileFactory(subjects=["music"], languages=["de"], hourly_rate=900))
    # Within the TTL the subject counts are the cached ones ...
    cached = tutor_search(TutorQuery(subject="physics"), page_size=5, facets=True).facets
    assert cached is not None and "music" not in {b["value"] for b in cached["subjects"]}
    # ... and once they expire, counted again.
    unfiltered_facets.clear()
    fresh = tutor_search(TutorQuery(subject="physics"), page_size=5, facets=True).facets
    assert fresh is not None and {"value": "music", "count": 1} in fresh["subjects"]

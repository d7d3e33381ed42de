"""The Bayesian score in the index: ordering=rating and the relevance nudge rank by it,
the results show the plain mean and count."""

from __future__ import annotations

import pytest

from tests.factories import TutorProfileFactory
from tests.search.conftest import index_tutors  # noqa: F401
from web.profiles import ratings
from web.profiles.models import TutorProfile
from web.reviews.prior import reviews_prior

pytestmark = pytest.mark.django_db


def _with_reviews(histogram: list[int], **fields) -> TutorProfile:
    """A tutor whose aggregates are those of `histogram`, set as the review services do."""
    profile = TutorProfileFactory(**fields)
    ratings.profile_rating_apply(
        profile.pk, added=[stars for stars, n in zip((1, 2, 3, 4, 5), histogram, strict=True) for _ in range(n)],
        prior=reviews_prior,
    )
    return TutorProfile.objects.get(pk=profile.pk)


def test_a_4_9_from_200_reviews_ranks_above_a_5_0_from_one(api_client, index_tutors) -> None:  # noqa: F811
    one_review = _with_reviews([0, 0, 0, 0, 1], headline="Chemistry with a single review")
    many = _with_reviews([0, 0, 0, 20, 180], headline="Chemistry with many reviews")
    none = TutorProfileFactory(headline="Chemistry without reviews")
    assert (float(one_review.rating), one_review.reviews_count) == (5.0, 1)
    assert (float(many.rating), many.reviews_count) == (4.9, 200)
    assert many.rating_score > one_review.rating_score
    index_tutors(one_review, many, none)

    results = api_client.get("/api/marketplace/tutors/", {"ordering": "rating"}).json()["results"]
    assert [r["id"] for r in results] == [many.pk, one_review.pk, none.pk]
    # The plain mean and count are what a student sees; the score stays in the index.
    assert [(r["rating"], r["reviews_count"]) for r in results] == [(4.9, 200), (5.0, 1), (0.0, 0)]
    assert all("rating_score" not in r for r in results)

    relevant = api_client.get("/api/marketplace/tutors/", {"search": "chemistry"}).json()["results"]
    assert relevant[0]["id"] == many.pk

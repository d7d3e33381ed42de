"""A review through the API reaches search results through the outbox and a real worker."""

from __future__ import annotations

import pytest

from indexer.rebuild import rebuild
from search.client import write_client
from search.indexes import TUTORS
from tests.factories import StudentFactory, TutorProfileFactory
from tests.indexer.conftest import wait_until
from tests.web.reviews.conftest import complete_lesson

pytestmark = [pytest.mark.pipeline, pytest.mark.django_db(transaction=True)]


def _by_rating(api_client) -> list[tuple[int, float, int]]:
    write_client().indices.refresh(index=TUTORS.read_alias)
    results = api_client.get("/api/marketplace/tutors/", {"ordering": "rating"}).json()["results"]
    return [(r["id"], r["rating"], r["reviews_count"]) for r in results]


def test_a_new_review_changes_the_rating_and_the_sort_order_in_search(
    opensearch, broker, worker_factory, api_client, auth_client
) -> None:
    first, second = TutorProfileFactory(), TutorProfileFactory()
    students = [StudentFactory() for _ in range(2)]
    for student in students:
        complete_lesson(first.user, student)
        complete_lesson(second.user, student)
    rebuild()
    assert _by_rating(api_client) == [(first.pk, 0.0, 0), (second.pk, 0.0, 0)]
    worker_factory()

    response = auth_client(students[0]).post(f"/api/tutors/{first.pk}/reviews/", {"rating": 3}, format="json")
    assert response.status_code == 201
    wait_until(lambda: _by_rating(api_client) == [(first.pk, 3.0, 1), (second.pk, 0.0, 0)], timeout=30)

    # A better-rated review of the second tutor moves them to the top.
    response = auth_client(students[1]).post(f"/api/tutors/{second.pk}/reviews/", {"rating": 5}, format="json")
    assert response.status_code == 201
    wait_until(lambda: _by_rating(api_client) == [(second.pk, 5.0, 1), (first.pk, 3.0, 1)], timeout=30)

    # And an edit moves it back.
    review_id = response.json()["id"]
    assert auth_client(students[1]).patch(f"/api/reviews/{review_id}/", {"rating": 1}, format="json").status_code == 200
    wait_until(lambda: _by_rating(api_client) == [(first.pk, 3.0, 1), (second.pk, 1.0, 1)], timeout=30)

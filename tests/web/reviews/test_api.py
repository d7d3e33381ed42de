"""The review endpoints: status codes, the one error shape, ownership (another user's id
is a 404) and the public list's pages, orders, summary and query count."""

from __future__ import annotations

import pytest

from tests.factories import StudentFactory, TutorProfileFactory
from tests.web.reviews.conftest import complete_lesson
from web.profiles.models import TutorProfile
from web.reviews import services
from web.reviews.models import Review, ReviewFlag

pytestmark = pytest.mark.django_db


def _create_url(tutor_id: int) -> str:
    return f"/api/tutors/{tutor_id}/reviews/"


def _list_url(tutor_id: int) -> str:
    return f"/api/marketplace/tutors/{tutor_id}/reviews/"


def _review(tutor, rating: int, text: str = "") -> Review:
    student = StudentFactory()
    complete_lesson(tutor.user, student)
    return services.review_create(student=student, tutor_id=tutor.pk, rating=rating, text=text)


# --- create ----------------------------------------------------------------------------------


def test_a_student_with_a_completed_lesson_posts_a_review(auth_client, tutor, student) -> None:
    client = auth_client(student)
    refused = client.post(_create_url(tutor.pk), {"rating": 5, "text": "Great"}, format="json")
    assert refused.status_code == 403
    assert "completed lesson" in refused.json()["error"]["message"]

    complete_lesson(tutor.user, student)
    created = client.post(_create_url(tutor.pk), {"rating": 5, "text": "Great"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["rating"] == 5 and body["tutor_id"] == tutor.pk and body["status"] == "published"

    again = client.post(_create_url(tutor.pk), {"rating": 4}, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["fields"] == {"tutor_id": [services.ALREADY_REVIEWED]}
    profile = TutorProfile.objects.get(pk=tutor.pk)
    assert (profile.reviews_count, float(profile.rating)) == (1, 5.0)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rating": 6}, "rating"),
        ({"rating": 0}, "rating"),
        ({"rating": "five"}, "rating"),
        ({}, "rating"),
        ({"rating": 5, "text": "x" * 2001}, "text"),
        ({"rating": 5, "stars": 5}, "stars"),
        ({"rating": 5, "text": "nul \x00"}, "text"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(auth_client, tutor, student, body, field) -> None:
    complete_lesson(tutor.user, student)
    response = auth_client(student).post(_create_url(tutor.pk), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Review.objects.exists()


def test_anonymous_callers_are_refused(api_client, tutor) -> None:
    review = _review(tutor, 5)
    assert api_client.post(_create_url(tutor.pk), {"rating": 5}, format="json").status_code == 401
    assert api_client.patch(f"/api/reviews/{review.pk}/", {"rating": 1}, format="json").status_code == 401
    assert api_client.delete(f"/api/reviews/{review.pk}/").status_code == 401
    assert api_client.post(f"/api/reviews/{review.pk}/reply/", {"text": "x"}, format="json").status_code == 401
    assert api_client.post(f"/api/reviews/{review.pk}/flag/", {"reason": "spam"}, format="json").status_code == 401


def test_the_rate_limit_is_a_429_with_retry_after(auth_client, settings) -> None:
    settings.REVIEWS_CREATE_PER_ADDRESS_HOUR = 2
    tutors = [TutorProfileFactory() for _ in range(3)]
    statuses = []
    for t in tutors:
        student = StudentFactory()  # a different account each time: the address limit decides
        complete_lesson(t.user, student)
        response = auth_client(student).post(_create_url(t.pk), {"rating": 4}, format="json")
        statuses.append(response.status_code)
    assert statuses == [201, 201, 429]
    assert int(response["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "rate_limited"
    assert Review.objects.count() == 2


# --- ownership: another user's review id is a 404 --------------------------------------------


def test_edit_and_delete_only_your_own_review(auth_client, tutor) -> None:
    review = _review(tutor, 5)
    intruder = StudentFactory()
    complete_lesson(tutor.user, intruder)
    for client in (auth_client(intruder), auth_client(tutor.user)):
        assert client.patch(f"/api/reviews/{review.pk}/", {"rating": 1}, format="json").status_code == 404
        assert client.delete(f"/api/reviews/{review.pk}/").status_code == 404
    review.refresh_from_db()
    assert review.rating == 5 and review.deleted_at is None

    author = auth_client(review.student)
    edited = author.patch(f"/api/reviews/{review.pk}/", {"rating": 3, "text": "Changed my mind"}, format="json")
    assert edited.status_code == 200 and edited.json()["rating"] == 3
    assert TutorProfile.objects.get(pk=tutor.pk).rating_sum == 3
    assert author.delete(f"/api/reviews/{review.pk}/").status_code == 204
    assert author.delete(f"/api/reviews/{review.pk}/").status_code == 404
    assert TutorProfile.objects.get(pk=tutor.pk).reviews_count == 0


def test_reply_only_to_reviews_of_you(auth_client, tutor) -> None:
    review = _review(tutor, 4)
    other_tutor = TutorProfileFactory()
    url = f"/api/reviews/{review.pk}/reply/"
    assert auth_client(other_tutor.user).post(url, {"text": "Hi"}, format="json").status_code == 404
    assert auth_client(review.student).post(url, {"text": "Hi"}, format="json").status_code == 404
    mine = auth_client(tutor.user)
    assert mine.post(url, {"text": ""}, format="json").status_code == 400
    replied = mine.post(url, {"text": "Thanks!"}, format="json")
    assert replied.status_code == 200 and replied.json()["reply"] == "Thanks!"
    assert mine.post(url, {"text": "Again"}, format="json").status_code == 409


def test_flag_once_and_not_a_review_nobody_can_see(auth_client, tutor, student) -> None:
    review = _review(tutor, 1)
    url = f"/api/reviews/{review.pk}/flag/"
    client = auth_client(student)
    assert client.post(url, {"reason": "rude"}, format="json").status_code == 400
    flagged = client.post(url, {"reason": "offensive", "note": "Insults"}, format="json")
    assert flagged.status_code == 201 and flagged.json()["review_id"] == review.pk
    assert client.post(url, {"reason": "spam"}, format="json").status_code == 409
    assert ReviewFlag.objects.count() == 1

    services.review_hide(moderator=None, review_id=review.pk)
    assert auth_client(StudentFactory()).post(url, {"reason": "spam"}, format="json").status_code == 404
    assert client.post("/api/reviews/999999999/flag/", {"reason": "spam"}, format="json").status_code == 404


# --- the public list -------------------------------------------------------------------------


def test_the_public_list_pages_each_order_and_shows_the_summary(
    api_client, tutor, django_assert_max_num_queries
) -> None:
    stars = [5, 3, 4, 1, 5, 2, 4]
    reviews = [_review(tutor, s, text=f"review {n}") for n, s in enumerate(stars)]
    hidden = _review(tutor, 1)
    services.review_hide(moderator=None, review_id=hidden.pk)
    deleted = _review(tutor, 2)
    services.review_delete(user=deleted.student, review_id=deleted.pk)

    def walk(ordering: str) -> list[int]:
        seen: list[int] = []
        cursor = None
        while True:
            params = {"ordering": ordering, "page_size": 3} | ({"cursor": cursor} if cursor else {})
            with django_assert_max_num_queries(2):
                response = api_client.get(_list_url(tutor.pk), params)
            assert response.status_code == 200, response.content
            body = response.json()
            assert body["summary"] == {
                "rating": 3.43, "reviews_count": 7, "histogram": {"1": 1, "2": 1, "3": 1, "4": 2, "5": 2},
            }
            seen += [r["id"] for r in body["results"]]
            cursor = body["cursor"]
            if not body["has_more"]:
                assert cursor is None
                return seen

    by_id = {r.pk: r for r in reviews}
    newest = walk("newest")
    assert newest == sorted(by_id, reverse=True)
    assert walk("highest") == sorted(by_id, key=lambda pk: (-by_id[pk].rating, -pk))
    assert walk("lowest") == sorted(by_id, key=lambda pk: (by_id[pk].rating, -pk))

    first = api_client.get(_list_url(tutor.pk), {"page_size": 1}).json()["results"][0]
    assert set(first) == {"id", "rating", "text", "author", "reply", "replied_at", "created_at", "edited"}
    full_name = by_id[first["id"]].student.full_name
    assert first["author"] != full_name or " " not in full_name  # the last name is only an initial
    assert "student" not in first and "email" not in str(first)


def test_the_public_list_refuses_bad_parameters(api_client, tutor) -> None:
    _review(tutor, 5)
    assert api_client.get(_list_url(tutor.pk), {"ordering": "best"}).status_code == 400
    assert api_client.get(_list_url(tutor.pk), {"page_size": 51}).status_code == 400
    assert api_client.get(_list_url(tutor.pk), {"cursor": "forged"}).status_code == 400
    assert api_client.get(_list_url(tutor.pk), {"sort": "newest"}).status_code == 400
    # A cursor of one order does not read back in another.
    for _ in range(2):
        _review(tutor, 4)
    cursor = api_client.get(_list_url(tutor.pk), {"page_size": 1}).json()["cursor"]
    wrong = api_client.get(_list_url(tutor.pk), {"page_size": 1, "cursor": cursor, "ordering": "lowest"})
    assert wrong.status_code == 400 and "cursor" in wrong.json()["error"]["fields"]
    other = TutorProfileFactory()
    assert api_client.get(_list_url(other.pk), {"page_size": 1, "cursor": cursor}).status_code == 400


def test_reviews_of_a_tutor_who_is_not_listed_are_a_404(api_client, tutor, student) -> None:
    _review(tutor, 5)
    assert api_client.get(_list_url(tutor.pk)).status_code == 200
    TutorProfile.objects.filter(pk=tutor.pk).update(public_profile_enabled=False)
    assert api_client.get(_list_url(tutor.pk)).status_code == 404
    assert api_client.get(_list_url(student.pk)).status_code == 404
    assert api_client.get(_list_url(10**12)).status_code == 404


def test_a_tutor_without_reviews_has_an_empty_list_and_a_zero_summary(api_client, tutor) -> None:
    body = api_client.get(_list_url(tutor.pk)).json()
    assert body == {
        "results": [], "cursor": None, "has_more": False,
        "summary": {"rating": 0.0, "reviews_count": 0, "histogram": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0}},
    }


def test_my_reviews_lists_only_mine(auth_client, tutor) -> None:
    mine = _review(tutor, 4)
    other = TutorProfileFactory()
    complete_lesson(other.user, mine.student)
    second = services.review_create(student=mine.student, tutor_id=other.pk, rating=2)
    _review(tutor, 5)  # someone else's
    services.review_hide(moderator=None, review_id=second.pk)
    client = auth_client(mine.student)
    body = client.get("/api/me/reviews/", {"page_size": 1}).json()
    assert [r["id"] for r in body["results"]] == [second.pk] and body["results"][0]["status"] == "hidden"
    rest = client.get("/api/me/reviews/", {"page_size": 1, "cursor": body["cursor"]}).json()
    assert [r["id"] for r in rest["results"]] == [mine.pk] and rest["has_more"] is False
    assert auth_client(other.user).get("/api/me/reviews/").json()["results"] == []

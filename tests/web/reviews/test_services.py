"""The review services against the real database: who may review, one live review per
pair, and aggregates that move by exactly what changed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indexer.models import TutorOutbox
from tests.factories import StudentFactory, TutorProfileFactory
from tests.web.reviews.conftest import complete_lesson
from web.activity.models import ActivityLog
from web.core.errors import Conflict, NotFound, PermissionDenied, RateLimited
from web.lessons.models import Lesson, LessonStatus
from web.profiles.models import TutorProfile
from web.reviews import services
from web.reviews.aggregates import reviews_prior_refresh, reviews_reconcile
from web.reviews.models import PlatformRating, Review, ReviewFlag, ReviewStatus
from web.reviews.selectors import reviews_export

pytestmark = pytest.mark.django_db


def _profile(tutor_id: int) -> TutorProfile:
    return TutorProfile.objects.get(pk=tutor_id)


def _aggregates(tutor_id: int) -> tuple[int, int, Decimal, list[int]]:
    p = _profile(tutor_id)
    return p.reviews_count, p.rating_sum, p.rating, list(p.rating_histogram)


def _reviewed(tutor, rating: int, text: str = ""):
    student = StudentFactory()
    complete_lesson(tutor.user, student)
    return services.review_create(student=student, tutor_id=tutor.pk, rating=rating, text=text)


# --- the verified rule ---------------------------------------------------------------------


def test_no_completed_lesson_no_review(tutor, student) -> None:
    with pytest.raises(PermissionDenied, match="completed lesson"):
        services.review_create(student=student, tutor_id=tutor.pk, rating=5)
    # Scheduled and cancelled lessons do not count.
    lesson = complete_lesson(tutor.user, student)
    for status in (LessonStatus.SCHEDULED, LessonStatus.CANCELLED):
        Lesson.objects.filter(pk=lesson.pk).update(status=status)
        with pytest.raises(PermissionDenied):
            services.review_create(student=student, tutor_id=tutor.pk, rating=5)
    # A completed lesson with ANOTHER tutor does not count either.
    other = TutorProfileFactory()
    Lesson.objects.filter(pk=lesson.pk).update(status=LessonStatus.COMPLETED, tutor=other.user)
    with pytest.raises(PermissionDenied):
        services.review_create(student=student, tutor_id=tutor.pk, rating=5)
    assert not Review.objects.exists()
    assert _aggregates(tutor.pk) == (0, 0, Decimal("0"), [0, 0, 0, 0, 0])

    complete_lesson(tutor.user, student)
    review = services.review_create(student=student, tutor_id=tutor.pk, rating=4, text="Good")
    assert review.status == ReviewStatus.PUBLISHED


def test_only_students_review_and_only_tutors_are_reviewed(tutor, student) -> None:
    other_tutor = TutorProfileFactory()
    complete_lesson(tutor.user, other_tutor.user)  # data no booking flow would make; the role still decides
    with pytest.raises(PermissionDenied, match="student"):
        services.review_create(student=other_tutor.user, tutor_id=tutor.pk, rating=5)
    with pytest.raises(NotFound):
        services.review_create(student=student, tutor_id=student.pk, rating=5)
    with pytest.raises(NotFound):
        services.review_create(student=student, tutor_id=10**9, rating=5)


# --- one live review per pair, soft delete, re-review ---------------------------------------


def test_one_live_review_per_pair_and_a_deleted_one_does_not_block(tutor, student) -> None:
    complete_lesson(tutor.user, student)
    first = services.review_create(student=student, tutor_id=tutor.pk, rating=2)
    with pytest.raises(Conflict):
        services.review_create(student=student, tutor_id=tutor.pk, rating=5)
    assert _aggregates(tutor.pk) == (1, 2, Decimal("2.00"), [0, 1, 0, 0, 0])

    services.review_delete(user=student, review_id=first.pk)
    first.refresh_from_db()
    assert first.deleted_at is not None  # soft: the row stays
    assert _aggregates(tutor.pk) == (0, 0, Decimal("0"), [0, 0, 0, 0, 0])
    with pytest.raises(NotFound):
        services.review_delete(user=student, review_id=first.pk)

    second = services.review_create(student=student, tutor_id=tutor.pk, rating=5)
    assert second.pk != first.pk
    assert _aggregates(tutor.pk) == (1, 5, Decimal("5.00"), [0, 0, 0, 0, 1])
    assert Review.objects.filter(student=student, tutor=tutor.user).count() == 2


def test_the_database_refuses_a_second_live_review(tutor, student) -> None:
    """The constraint, not only the service's check, holds the rule."""
    from django.db import IntegrityError, transaction

    Review.objects.create(tutor=tutor.user, student=student, rating=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(tutor=tutor.user, student=student, rating=4)


# --- aggregates move by exactly the change ---------------------------------------------------


def test_edit_moves_the_aggregate_by_exactly_the_difference(tutor) -> None:
    reviews = [_reviewed(tutor, r) for r in (5, 4, 4)]
    assert _aggregates(tutor.pk) == (3, 13, Decimal("4.33"), [0, 0, 0, 2, 1])
    version = _profile(tutor.pk).version

    services.review_update(user=reviews[0].student, review_id=reviews[0].pk, data={"rating": 1})
    assert _aggregates(tutor.pk) == (3, 9, Decimal("3.00"), [1, 0, 0, 2, 0])
    assert _profile(tutor.pk).version == version + 1

    # A text-only edit leaves the aggregates and the version alone.
    services.review_update(user=reviews[1].student, review_id=reviews[1].pk, data={"text": "Updated"})
    assert _aggregates(tutor.pk) == (3, 9, Decimal("3.00"), [1, 0, 0, 2, 0])
    assert _profile(tutor.pk).version == version + 1

    # Another student's review is not found, and nothing moves.
    with pytest.raises(NotFound):
        services.review_update(user=reviews[1].student, review_id=reviews[2].pk, data={"rating": 5})
    assert _aggregates(tutor.pk) == (3, 9, Decimal("3.00"), [1, 0, 0, 2, 0])


def test_hiding_and_restoring_move_the_aggregate(tutor, moderator) -> None:
    good, bad = _reviewed(tutor, 5), _reviewed(tutor, 1)
    assert _aggregates(tutor.pk) == (2, 6, Decimal("3.00"), [1, 0, 0, 0, 1])

    assert services.review_hide(moderator=moderator, review_id=bad.pk) is True
    assert _aggregates(tutor.pk) == (1, 5, Decimal("5.00"), [0, 0, 0, 0, 1])
    assert services.review_hide(moderator=moderator, review_id=bad.pk) is False  # idempotent
    assert _aggregates(tutor.pk) == (1, 5, Decimal("5.00"), [0, 0, 0, 0, 1])

    # The author's edit of a hidden review does not reach the aggregates.
    services.review_update(user=bad.student, review_id=bad.pk, data={"rating": 2})
    assert _aggregates(tutor.pk) == (1, 5, Decimal("5.00"), [0, 0, 0, 0, 1])

    assert services.review_restore(moderator=moderator, review_id=bad.pk) is True
    assert _aggregates(tutor.pk) == (2, 7, Decimal("3.50"), [0, 1, 0, 0, 1])
    assert services.review_restore(moderator=moderator, review_id=good.pk) is False  # nothing to restore

    # Deleting a hidden review leaves the aggregates as they are.
    services.review_hide(moderator=moderator, review_id=bad.pk)
    services.review_delete(user=bad.student, review_id=bad.pk)
    assert _aggregates(tutor.pk) == (1, 5, Decimal("5.00"), [0, 0, 0, 0, 1])

    actions = list(ActivityLog.objects.filter(entity_type="review").values_list("action", flat=True))
    assert {"review.created", "review.hidden", "review.restored", "review.updated", "review.deleted"} <= set(actions)


def test_each_change_versions_the_profile_and_records_the_index_change(tutor) -> None:
    version = _profile(tutor.pk).version
    TutorOutbox.objects.all().delete()
    review = _reviewed(tutor, 3)
    assert _profile(tutor.pk).version == version + 1
    assert TutorOutbox.objects.filter(tutor_id=tutor.pk).exists()
    assert ActivityLog.objects.filter(action="review.created", entity_id=str(review.pk)).exists()


def test_a_failed_write_leaves_no_review_and_no_aggregate(tutor, student, monkeypatch) -> None:
    """The review, its aggregates and its event commit together or not at all."""
    complete_lesson(tutor.user, student)

    def broken(*args, **kwargs):
        raise RuntimeError("activity store down")

    monkeypatch.setattr(services, "activity_log", broken)
    with pytest.raises(RuntimeError):
        services.review_create(student=student, tutor_id=tutor.pk, rating=5)
    assert not Review.objects.exists()
    assert _aggregates(tutor.pk) == (0, 0, Decimal("0"), [0, 0, 0, 0, 0])


# --- the Bayesian score ----------------------------------------------------------------------


def test_the_score_follows_the_prior_and_the_nightly_refresh_moves_it(tutor, settings) -> None:
    settings.REVIEWS_PRIOR_WEIGHT = 10
    settings.REVIEWS_PRIOR_MEAN = 4.0
    _reviewed(tutor, 5)
    # (4.0 * 10 + 5) / (10 + 1)
    assert _profile(tutor.pk).rating_score == Decimal("4.0909")

    other = TutorProfileFactory()
    for stars in (1, 1, 1):
        _reviewed(other, stars)
    version = _profile(tutor.pk).version
    TutorOutbox.objects.all().delete()
    moved = reviews_prior_refresh()
    # C = (5 + 3) / 4 = 2.0
    assert PlatformRating.objects.get().mean == Decimal("2.0000")
    assert _profile(tutor.pk).rating_score == Decimal("2.2727")  # (20 + 5) / 11
    assert _profile(other.pk).rating_score == Decimal("1.7692")  # (20 + 3) / 13
    assert sorted(moved) == sorted([tutor.pk, other.pk])
    assert _profile(tutor.pk).version == version + 1
    assert set(TutorOutbox.objects.values_list("tutor_id", flat=True)) == {tutor.pk, other.pk}
    # Nothing moves the second time.
    assert reviews_prior_refresh() == []
    # New reviews are scored with the stored C.
    _reviewed(tutor, 5)
    assert _profile(tutor.pk).rating_score == Decimal("2.5000")  # (20 + 10) / 12


def test_a_tutor_without_reviews_has_no_score(tutor) -> None:
    review = _reviewed(tutor, 5)
    services.review_delete(user=review.student, review_id=review.pk)
    profile = _profile(tutor.pk)
    assert (profile.rating, profile.rating_score, profile.reviews_count) == (0, 0, 0)


# --- replies ---------------------------------------------------------------------------------


def test_only_the_reviewed_tutor_replies_and_only_once(tutor) -> None:
    review = _reviewed(tutor, 4)
    other = TutorProfileFactory()
    with pytest.raises(NotFound):
        services.review_reply(tutor=other.user, review_id=review.pk, text="Not mine")
    with pytest.raises(NotFound):
        services.review_reply(tutor=review.student, review_id=review.pk, text="I am the author")
    replied = services.review_reply(tutor=tutor.user, review_id=review.pk, text="Thank you!")
    assert replied.reply == "Thank you!" and replied.replied_at is not None
    with pytest.raises(Conflict):
        services.review_reply(tutor=tutor.user, review_id=review.pk, text="Again")
    review.refresh_from_db()
    assert review.reply == "Thank you!"


# --- flags -----------------------------------------------------------------------------------


def test_a_user_flags_a_review_once(tutor, student) -> None:
    review = _reviewed(tutor, 1)
    services.review_flag(user=student, review_id=review.pk, reason="spam")
    with pytest.raises(Conflict):
        services.review_flag(user=student, review_id=review.pk, reason="offensive")
    services.review_flag(user=tutor.user, review_id=review.pk, reason="off_topic")
    assert ReviewFlag.objects.filter(review=review).count() == 2
    assert ActivityLog.objects.filter(action="review.flagged").count() == 2

    # Hiding resolves the flags; a hidden review cannot be flagged.
    services.review_hide(moderator=None, review_id=review.pk)
    assert not ReviewFlag.objects.filter(review=review, resolved_at__isnull=True).exists()
    with pytest.raises(NotFound):
        services.review_flag(user=StudentFactory(), review_id=review.pk, reason="spam")


def test_restoring_a_flagged_published_review_dismisses_its_flags(tutor, student) -> None:
    review = _reviewed(tutor, 3)
    services.review_flag(user=student, review_id=review.pk, reason="other")
    assert services.review_restore(moderator=None, review_id=review.pk) is True
    assert not ReviewFlag.objects.filter(resolved_at__isnull=True).exists()
    assert _aggregates(tutor.pk)[0] == 1  # counted once, not twice


# --- rate limits -----------------------------------------------------------------------------


def test_new_reviews_are_limited_per_account(settings) -> None:
    settings.REVIEWS_CREATE_PER_USER_HOUR = 2
    student = StudentFactory()
    tutors = [TutorProfileFactory() for _ in range(3)]
    for t in tutors:
        complete_lesson(t.user, student)
    services.review_create(student=student, tutor_id=tutors[0].pk, rating=5)
    services.review_create(student=student, tutor_id=tutors[1].pk, rating=5)
    with pytest.raises(RateLimited) as refused:
        services.review_create(student=student, tutor_id=tutors[2].pk, rating=5)
    assert 0 < refused.value.wait <= 3600
    assert _aggregates(tutors[2].pk)[0] == 0


def test_new_reviews_are_limited_per_address(settings) -> None:
    settings.REVIEWS_CREATE_PER_ADDRESS_HOUR = 1
    tutor = TutorProfileFactory()
    first, second = StudentFactory(), StudentFactory()
    services.review_create_attempt(student=first, address="203.0.113.7")
    with pytest.raises(RateLimited, match="address"):
        services.review_create_attempt(student=second, address="203.0.113.7")
    services.review_create_attempt(student=second, address="203.0.113.8")
    assert not Review.objects.filter(tutor=tutor.user).exists()


# --- drift -----------------------------------------------------------------------------------


def test_injected_drift_is_found_and_repaired(tutor) -> None:
    from web.reviews.metrics import AGGREGATE_DRIFT

    for stars in (5, 4, 2):
        _reviewed(tutor, stars)
    clean = TutorProfileFactory()
    _reviewed(clean, 3)
    assert reviews_reconcile().drifted == []

    # Drift: a lost update, a phantom rating on a tutor without reviews, a bad histogram.
    TutorProfile.objects.filter(pk=tutor.pk).update(reviews_count=2, rating_sum=9, rating=Decimal("4.50"))
    phantom = TutorProfileFactory()
    TutorProfile.objects.filter(pk=phantom.pk).update(rating=Decimal("4.80"), reviews_count=27)
    TutorProfile.objects.filter(pk=clean.pk).update(rating_histogram=[0, 0, 0, 0, 1])
    versions = {pk: _profile(pk).version for pk in (tutor.pk, phantom.pk, clean.pk)}
    before = AGGREGATE_DRIFT._value.get()

    report = reviews_reconcile()
    assert sorted(report.drifted) == sorted([tutor.pk, phantom.pk, clean.pk])
    assert report.repaired == 3
    assert AGGREGATE_DRIFT._value.get() == before + 3
    assert _aggregates(tutor.pk) == (3, 11, Decimal("3.67"), [0, 1, 0, 1, 1])
    assert _aggregates(phantom.pk) == (0, 0, Decimal("0"), [0, 0, 0, 0, 0])
    assert _aggregates(clean.pk) == (1, 3, Decimal("3.00"), [0, 0, 1, 0, 0])
    assert all(_profile(pk).version == v + 1 for pk, v in versions.items())
    assert reviews_reconcile().drifted == []


# --- the account's data ----------------------------------------------------------------------


def test_erasing_a_user_removes_their_reviews_and_keeps_the_aggregates_right(tutor) -> None:
    kept = _reviewed(tutor, 5)
    gone = _reviewed(tutor, 1, text="Personal story")
    other_tutor = TutorProfileFactory()
    complete_lesson(other_tutor.user, gone.student)
    services.review_create(student=gone.student, tutor_id=other_tutor.pk, rating=2)
    exported = reviews_export(gone.student)
    assert {(e["tutor_id"], e["rating"]) for e in exported} == {(tutor.pk, 1), (other_tutor.pk, 2)}
    assert any(e["text"] == "Personal story" for e in exported)

    assert services.reviews_erase(gone.student) == 2
    assert _aggregates(tutor.pk) == (1, 5, Decimal("5.00"), [0, 0, 0, 0, 1])
    assert _aggregates(other_tutor.pk)[0] == 0
    assert not Review.objects.filter(student=gone.student, deleted_at__isnull=True).exists()
    assert not Review.objects.filter(student=gone.student).exclude(text="").exists()
    assert Review.objects.get(pk=kept.pk).deleted_at is None
    assert reviews_reconcile().drifted == []

"""seed_demo's ratings come from demo reviews on completed demo lessons."""

from __future__ import annotations

import pytest
from django.db.models import Exists, OuterRef

from web.accounts.models import User
from web.demo.seed import DEMO_STUDENT_EMAIL, DEMO_TUTOR_EMAIL, seed_demo
from web.lessons.models import Lesson, LessonStatus
from web.profiles.models import TutorProfile
from web.relations.models import Relation
from web.reviews.aggregates import reviews_reconcile
from web.reviews.models import PlatformRating, Review
from web.reviews.services import check_review_allowed

pytestmark = pytest.mark.django_db


def test_demo_ratings_are_reviews_on_completed_lessons_and_seeding_twice_adds_none() -> None:
    first = seed_demo(tutors=40, students=8, index=False)
    assert first.reviews_created > 20
    reviews = Review.objects.all()
    assert reviews.count() == first.reviews_created

    completed = Lesson.objects.filter(
        tutor=OuterRef("tutor"), student=OuterRef("student"), status=LessonStatus.COMPLETED
    )
    related = Relation.objects.filter(tutor=OuterRef("tutor"), student=OuterRef("student"))
    assert not reviews.filter(~Exists(completed)).exists()
    assert not reviews.filter(~Exists(related)).exists()

    # No made-up numbers: every aggregate is what the reviews say, the score included.
    assert reviews_reconcile().drifted == []
    rated = TutorProfile.objects.filter(reviews_count__gt=0)
    assert rated.count() == reviews.values("tutor").distinct().count()
    assert not TutorProfile.objects.filter(reviews_count=0, rating__gt=0).exists()
    assert PlatformRating.objects.get().reviews == reviews.count()
    demo_tutor = TutorProfile.objects.get(user__email=DEMO_TUTOR_EMAIL)
    assert demo_tutor.reviews_count == 8 and demo_tutor.rating_score > 0

    # The demo student can try reviewing the demo tutor straight away.
    student = User.objects.get(email=DEMO_STUDENT_EMAIL)
    assert Lesson.objects.filter(student=student, tutor_id=demo_tutor.pk, status=LessonStatus.COMPLETED).exists()
    check_review_allowed(student=student, tutor_id=demo_tutor.pk)

    counts = (Review.objects.count(), Lesson.objects.count(), Relation.objects.count())
    again = seed_demo(tutors=40, students=8, index=False)
    assert again.reviews_created == 0
    assert (Review.objects.count(), Lesson.objects.count(), Relation.objects.count()) == counts

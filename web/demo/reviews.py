"""Demo reviews: every demo rating comes from demo reviews on completed demo lessons.

For each generated tutor, chosen from (seed, number) alone: whether students reviewed
them, which students, how many stars and what they wrote. Each review stands on a
completed lesson of the pair and the (archived) relation that lesson implies; rows that
exist already (made by other demo code or an earlier run) are reused, never duplicated.
Rows are bulk-created; the tutors' aggregates are then set from the reviews themselves,
and the platform mean and Bayesian scores computed as the nightly job does.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from web.accounts.models import User
from web.lessons.models import Lesson, LessonStatus
from web.profiles.models import TutorProfile
from web.profiles.ratings import rating_mean
from web.relations.models import Initiator, Relation, RelationStatus
from web.reviews.aggregates import reviews_prior_refresh
from web.reviews.models import PUBLIC, Review

REVIEWED_SHARE = 0.6
MAX_REVIEWS_PER_TUTOR = 12
DEMO_TUTOR_REVIEWS = 20
BATCH_TUTORS = 500

_TEXTS: dict[int, list[str]] = {
    5: ["Найкращий репетитор, пояснює дуже зрозуміло!", "Świetne zajęcia, polecam każdemu.",
        "Excellent lessons, my grades went up a lot.", "Терпляча і уважна, дитина в захваті.",
        "Bardzo dobrze przygotowuje do matury.", ""],
    4: ["Добрі уроки, але іноді запізнюється.", "Dobre lekcje, jasne wyjaśnienia.",
        "Very helpful, homework could be lighter.", ""],
    3: ["Нормально, але хотілося більше практики.", "Średnio, materiał trochę chaotyczny.",
        "Okay overall, lessons felt a bit rushed.", ""],
    2: ["Часто переносив заняття.", "Lessons were not well prepared.", ""],
    1: ["Не рекомендую.", "Nie polecam, brak kontaktu.", "Did not show up twice."],
}


def _rng(seed: int, number: int) -> random.Random:
    return random.Random(f"{seed}:reviews:{number}")


def review_plan(seed: int, number: int, student_numbers: list[int]) -> list[tuple[int, int, str, int]]:
    """(student number, stars, text, days ago) of the reviews of generated tutor `number`."""
    rng = _rng(seed, number)
    if not student_numbers or rng.random() >= REVIEWED_SHARE:
        return []
    # Most tutors are good, a few are not: each tutor has a typical grade.
    typical = rng.choices([5, 4, 3, 2], weights=[45, 35, 15, 5])[0]
    count = rng.randint(1, min(MAX_REVIEWS_PER_TUTOR, len(student_numbers)))
    plan = []
    for student in rng.sample(student_numbers, count):
        stars = max(1, min(5, typical + rng.choice([-2, -1, 0, 0, 0, 0, 1])))
        plan.append((student, stars, rng.choice(_TEXTS[stars]), rng.randint(2, 400)))
    return plan


def _pairs(model: type, tutor_ids: list[int], **filters: object) -> set[tuple[int, int]]:
    rows = model.objects.filter(tutor_id__in=tutor_ids, **filters).values_list("tutor_id", "student_id")  # type: ignore[attr-defined]
    return {(t, s) for t, s in rows if s is not None}


def _create(planned: list[tuple[int, int, int, str, int]]) -> int:
    """Create what is missing of (tutor id, student id, stars, text, days ago): the
    completed lesson, the archived relation, the review. Returns the reviews created."""
    if not planned:
        return 0
    tutor_ids = sorted({p[0] for p in planned})
    lessons = _pairs(Lesson, tutor_ids, status=LessonStatus.COMPLETED)
    relations = _pairs(Relation, tutor_ids)
    reviewed = _pairs(Review, tutor_ids, deleted_at__isnull=True)
    now = timezone.now()
    new_lessons, new_relations, new_reviews = [], [], []
    for tutor_id, student_id, stars, text, days in planned:
        pair = (tutor_id, student_id)
        if pair in reviewed:
            continue
        when = now - timedelta(days=days)
        start = when.replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
        if pair not in lessons:
            new_lessons.append(Lesson(tutor_id=tutor_id, student_id=student_id, status=LessonStatus.COMPLETED,
                                      start=start, end=start + timedelta(hours=1)))
        if pair not in relations:
            new_relations.append(Relation(tutor_id=tutor_id, student_id=student_id, status=RelationStatus.ARCHIVED,
                                          initiated_by=Initiator.STUDENT, created_at=start - timedelta(days=7),
                                          updated_at=when, last_sent_at=start - timedelta(days=7)))
        new_reviews.append(Review(tutor_id=tutor_id, student_id=student_id, rating=stars, text=text,
                                  created_at=when, updated_at=when))
        reviewed.add(pair)
    Lesson.objects.bulk_create(new_lessons)
    Relation.objects.bulk_create(new_relations)
    Review.objects.bulk_create(new_reviews)
    return len(new_reviews)


def _set_aggregates(tutor_ids: Iterable[int]) -> None:
    """Each tutor's aggregates from their published reviews (the reviews are the truth)."""
    ids = sorted(set(tutor_ids))
    histograms: dict[int, list[int]] = {pk: [0, 0, 0, 0, 0] for pk in ids}
    rows = Review.objects.filter(PUBLIC, tutor_id__in=ids).order_by().values("tutor_id", "rating")
    for tutor_id, stars, n in rows.annotate(n=Count("id")).values_list("tutor_id", "rating", "n"):
        histograms[tutor_id][stars - 1] = n
    profiles = list(TutorProfile.objects.filter(pk__in=ids))
    for profile in profiles:
        histogram = histograms[profile.pk]
        total = sum(stars * n for stars, n in zip((1, 2, 3, 4, 5), histogram, strict=True))
        profile.rating_histogram = histogram
        profile.rating_sum = total
        profile.reviews_count = sum(histogram)
        profile.rating = rating_mean(total, profile.reviews_count)
        profile.version += 1
    TutorProfile.objects.bulk_update(
        profiles, ["rating_histogram", "rating_sum", "reviews_count", "rating", "version"], batch_size=1000
    )


def create_demo_reviews(
    *, seed: int, tutor_emails: dict[int, str], student_emails: dict[int, str], demo_tutor: User
) -> int:
    """Reviews (with their lessons and relations) for the generated tutors and the demo
    tutor, whichever do not exist yet; returns how many reviews were created."""
    students = dict(User.objects.filter(email__in=list(student_emails.values())).values_list("email", "pk"))
    student_ids = {n: students[email] for n, email in student_emails.items() if email in students}
    numbers = sorted(student_ids)
    created = 0
    touched: list[int] = []
    tutor_items = sorted(tutor_emails.items())
    for low in range(0, len(tutor_items), BATCH_TUTORS):
        batch = tutor_items[low:low + BATCH_TUTORS]
        tutors = dict(User.objects.filter(email__in=[e for _, e in batch]).values_list("email", "pk"))
        planned = [
            (tutors[email], student_ids[student], stars, text, days)
            for number, email in batch if email in tutors
            for student, stars, text, days in review_plan(seed, number, numbers)
        ]
        with transaction.atomic():
            made = _create(planned)
        if made:
            created += made
            touched += sorted({p[0] for p in planned})
    demo = []
    for n in numbers[:DEMO_TUTOR_REVIEWS]:
        stars = 5 if n % 6 else 4
        demo.append((demo_tutor.pk, student_ids[n], stars, _TEXTS[stars][n % len(_TEXTS[stars])], 3 + n * 9))
    with transaction.atomic():
        made = _create(demo)
    if made:
        created += made
        touched.append(demo_tutor.pk)
    if created:
        with transaction.atomic():
            _set_aggregates(touched)
        reviews_prior_refresh()
    return created


def demo_lesson_for_review(student: User, tutor: User) -> None:
    """The demo student has a completed lesson with the demo tutor and has not reviewed
    them yet, so posting a review can be tried at once."""
    if not Lesson.objects.filter(tutor=tutor, student=student, status=LessonStatus.COMPLETED).exists():
        start = (timezone.now() - timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
        Lesson.objects.create(tutor=tutor, student=student, status=LessonStatus.COMPLETED, start=start,
                              end=start + timedelta(hours=1))
    if not Relation.objects.filter(tutor=tutor, student=student).exists():
        Relation.objects.create(tutor=tutor, student=student, status=RelationStatus.ARCHIVED,
                                initiated_by=Initiator.STUDENT)

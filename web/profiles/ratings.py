"""The tutor's rating aggregates: the one place reviews change the public profile.

A review service calls these inside its own transaction. Each change locks the profile
row (`select_for_update`), moves the running sum, count and 1-5 histogram by the stars
added or removed (no recount), derives the mean and the Bayesian score, bumps the
profile `version` and records the index change, so the review, the aggregates and the
outbox row commit or roll back together, and two concurrent reviews of one tutor queue
on the lock instead of losing an update.

The Bayesian score `(C*m + sum) / (m + n)` pulls a small sample towards the platform's
mean C with the weight of m reviews: a 5.0 from one review scores below a 4.9 from two
hundred. A tutor without reviews has no score (0) and sorts after every reviewed tutor:
the prior shrinks what little is known, it does not rank the unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction

from indexer.changes import tutor_changed, tutors_changed
from web.profiles.models import TutorProfile

STARS = (1, 2, 3, 4, 5)
_MEAN_PLACES = Decimal("0.01")
_SCORE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class RatingPrior:
    """The platform's mean rating C and the prior weight m (in reviews)."""

    mean: Decimal
    weight: int


@dataclass(frozen=True)
class RatingAggregate:
    """A tutor's aggregates as the reviews say they should be."""

    histogram: tuple[int, int, int, int, int]

    @property
    def count(self) -> int:
        return sum(self.histogram)

    @property
    def total(self) -> int:
        return sum(stars * n for stars, n in zip(STARS, self.histogram, strict=True))


def rating_mean(total: int, count: int) -> Decimal:
    """The plain mean shown to students, 2 decimals; 0 without reviews."""
    if count <= 0:
        return Decimal(0)
    return (Decimal(total) / Decimal(count)).quantize(_MEAN_PLACES, rounding=ROUND_HALF_UP)


def rating_score(total: int, count: int, prior: RatingPrior) -> Decimal:
    """(C*m + sum) / (m + n), 4 decimals; 0 without reviews."""
    if count <= 0:
        return Decimal(0)
    value = (prior.mean * prior.weight + total) / Decimal(prior.weight + count)
    return value.quantize(_SCORE_PLACES, rounding=ROUND_HALF_UP)


def _set(profile: TutorProfile, histogram: list[int], prior: RatingPrior) -> None:
    total = sum(stars * n for stars, n in zip(STARS, histogram, strict=True))
    count = sum(histogram)
    profile.rating_histogram = histogram
    profile.rating_sum = total
    profile.reviews_count = count
    profile.rating = rating_mean(total, count)
    profile.rating_score = rating_score(total, count, prior)
    profile.version += 1
    profile.save(
        update_fields=["rating_histogram", "rating_sum", "reviews_count", "rating", "rating_score", "version",
                       "updated_at"]
    )
    tutor_changed(profile.pk)


@transaction.atomic
def profile_rating_apply(
    tutor_id: int,
    *,
    added: Sequence[int] = (),
    removed: Sequence[int] = (),
    prior: Callable[[], RatingPrior],
) -> TutorProfile | None:
    """Count the published reviews of `added` stars in and those of `removed` out.

    `prior` is read after the row lock is taken, so the nightly refresh of C (which
    updates these rows in the same transaction as C) is never overtaken by a score
    computed with the old C. A tutor without a profile has nothing to keep: None.
    """
    profile = TutorProfile.objects.select_for_update().filter(pk=tutor_id).first()
    if profile is None:
        return None
    histogram = list(profile.rating_histogram)
    for stars in added:
        histogram[stars - 1] += 1
    for stars in removed:
        # Never below zero: a drifted count is the reconcile job's to repair.
        histogram[stars - 1] = max(0, histogram[stars - 1] - 1)
    _set(profile, histogram, prior())
    return profile


@transaction.atomic
def profile_rating_repair(
    tutor_id: int, *, recount: Callable[[], RatingAggregate], prior: Callable[[], RatingPrior]
) -> bool:
    """Set the aggregates to `recount()` (run under the row lock, so no review change
    slips between the count and the write) if they differ; True if they did."""
    profile = TutorProfile.objects.select_for_update().filter(pk=tutor_id).first()
    if profile is None:
        return False
    truth = recount()
    current_prior = prior()
    histogram = list(truth.histogram)
    unchanged = (
        list(profile.rating_histogram) == histogram
        and profile.rating_sum == truth.total
        and profile.reviews_count == truth.count
        and profile.rating == rating_mean(truth.total, truth.count)
        and profile.rating_score == rating_score(truth.total, truth.count, current_prior)
    )
    if unchanged:
        return False
    _set(profile, histogram, current_prior)
    return True


def profile_rating_scores_refresh(prior: RatingPrior) -> list[int]:
    """Recompute every reviewed tutor's score for a new prior in ONE statement (row locks
    taken by the UPDATE itself; a row a review changes meanwhile is re-read and scored
    from its new sum), bumping the version of and reindexing only the tutors
    whose score moved. Call inside the transaction that stores the new prior."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE profiles_tutorprofile
            SET rating_score = ROUND((%(c)s * %(m)s + rating_sum)::numeric / (%(m)s + reviews_count), 4),
                version = version + 1, updated_at = now()
            WHERE reviews_count > 0
              AND rating_score <> ROUND((%(c)s * %(m)s + rating_sum)::numeric / (%(m)s + reviews_count), 4)
            RETURNING user_id
            """,
            {"c": prior.mean, "m": prior.weight},
        )
        moved = [row[0] for row in cursor.fetchall()]
    tutors_changed(moved)
    return moved

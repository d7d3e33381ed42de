"""The periodic jobs over the rating aggregates: drift repair and the nightly prior.

Reviews change the aggregates incrementally (web.reviews.services); these jobs are the
safety net and the slow-moving part:

- `reviews_reconcile` recounts every tutor from the published reviews (two grouped
  queries), repairs each tutor whose aggregates disagree (recounted again under the
  profile's row lock, so a review committed meanwhile is not undone) and counts the
  repairs in `mash_review_aggregate_drift_total`.
- `reviews_prior_refresh` recomputes the platform mean C and, in the same transaction,
  the Bayesian score of every reviewed tutor whose score moves (reindexed through
  `indexer.changes.tutors_changed`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from web.profiles.models import TutorProfile
from web.profiles.ratings import RatingPrior, profile_rating_scores_refresh, rating_mean, rating_score
from web.reviews.metrics import AGGREGATE_CHECKED, AGGREGATE_DRIFT
from web.reviews.models import PUBLIC, PlatformRating, Review
from web.reviews.prior import reviews_prior, reviews_prior_default
from web.reviews.services import review_aggregate_repair

log = logging.getLogger("mash.reviews")


@dataclass(frozen=True)
class ReconcileReport:
    checked: int
    drifted: list[int]
    repaired: int


def _truth() -> dict[int, list[int]]:
    """tutor id -> the 1-5 histogram of their published reviews."""
    truth: dict[int, list[int]] = {}
    rows = Review.objects.filter(PUBLIC).order_by().values("tutor_id", "rating").annotate(n=Count("id"))
    for tutor_id, stars, count in rows.values_list("tutor_id", "rating", "n"):
        truth.setdefault(tutor_id, [0, 0, 0, 0, 0])[stars - 1] = count
    return truth


def reviews_reconcile() -> ReconcileReport:
    """Find and repair every tutor whose aggregates disagree with their reviews."""
    prior = reviews_prior()
    truth = _truth()
    with_aggregates = TutorProfile.objects.filter(
        Q(reviews_count__gt=0) | Q(rating_sum__gt=0) | Q(rating__gt=0) | Q(rating_score__gt=0) | Q(pk__in=list(truth))
    ).values_list("pk", "rating_histogram", "rating_sum", "reviews_count", "rating", "rating_score")
    drifted: list[int] = []
    checked = 0
    for tutor_id, histogram, total, count, mean, score in with_aggregates.iterator(chunk_size=2000):
        checked += 1
        expected = truth.get(tutor_id, [0, 0, 0, 0, 0])
        expected_total = sum(stars * n for stars, n in zip((1, 2, 3, 4, 5), expected, strict=True))
        expected_count = sum(expected)
        if (
            list(histogram) != expected
            or total != expected_total
            or count != expected_count
            or mean != rating_mean(expected_total, expected_count)
            or score != rating_score(expected_total, expected_count, prior)
        ):
            drifted.append(tutor_id)
    repaired = sum(1 for tutor_id in drifted if review_aggregate_repair(tutor_id))
    AGGREGATE_CHECKED.inc(checked)
    if repaired:
        AGGREGATE_DRIFT.inc(repaired)
        log.warning("review aggregates repaired", extra={"tutors": repaired, "ids": drifted[:20]})
    return ReconcileReport(checked=checked, drifted=drifted, repaired=repaired)


def reviews_prior_compute() -> tuple[Decimal, int]:
    """The platform's mean rating over every counted review, and how many there are."""
    totals = TutorProfile.objects.aggregate(total=Sum("rating_sum"), count=Sum("reviews_count"))
    count = totals["count"] or 0
    if count == 0:
        return reviews_prior_default().mean, 0
    mean = (Decimal(totals["total"]) / Decimal(count)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return mean, count


@transaction.atomic
def reviews_prior_refresh() -> list[int]:
    """Store the new C and rescore, in one transaction, every tutor whose score moves;
    returns their ids (each with its version bumped and its outbox row recorded)."""
    mean, count = reviews_prior_compute()
    PlatformRating.objects.update_or_create(
        pk=1, defaults={"mean": mean, "reviews": count, "computed_at": timezone.now()}
    )
    moved = profile_rating_scores_refresh(RatingPrior(mean=mean, weight=settings.REVIEWS_PRIOR_WEIGHT))
    if moved:
        log.info("review scores refreshed", extra={"mean": str(mean), "reviews": count, "tutors": len(moved)})
    return moved

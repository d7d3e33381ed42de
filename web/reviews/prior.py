"""The prior of the Bayesian score: the platform's mean rating C and its weight m.

m (`REVIEWS_PRIOR_WEIGHT`) is how many reviews' worth of "an average tutor" every
tutor starts with. C is the mean of all published reviews, recomputed nightly by
`reviews_prior_refresh_task`; until the first run it is `REVIEWS_PRIOR_MEAN`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from web.profiles.ratings import RatingPrior
from web.reviews.models import PlatformRating


def reviews_prior_default() -> RatingPrior:
    """The prior before any nightly computation (settings only, no query)."""
    return RatingPrior(mean=Decimal(str(settings.REVIEWS_PRIOR_MEAN)), weight=settings.REVIEWS_PRIOR_WEIGHT)


def reviews_prior() -> RatingPrior:
    """The current prior: the stored C (one small query) with the configured m."""
    mean = PlatformRating.objects.filter(pk=1).values_list("mean", flat=True).first()
    if mean is None:
        return reviews_prior_default()
    return RatingPrior(mean=mean, weight=settings.REVIEWS_PRIOR_WEIGHT)

"""Reviews of tutors by their students, their flags, and the platform's mean rating.

The database holds what a race could break: one live (not deleted) review per student
and tutor (a partial unique constraint, so a deleted review does not block a new one),
one flag per user and review, stars 1-5.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TEXT_MAX = 2000
REPLY_MAX = 2000
FLAG_NOTE_MAX = 500


class ReviewStatus(models.TextChoices):
    PUBLISHED = "published", "Published"
    HIDDEN = "hidden", "Hidden"  # by a moderator: out of the public list and the aggregates


# The reviews the public list shows and the aggregates count.
PUBLIC = Q(status=ReviewStatus.PUBLISHED, deleted_at__isnull=True)


class Review(models.Model):
    tutor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_received")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_written")
    rating = models.PositiveSmallIntegerField()
    text = models.TextField(max_length=TEXT_MAX, blank=True)
    status = models.CharField(max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.PUBLISHED)
    # The tutor's one public reply.
    reply = models.TextField(max_length=REPLY_MAX, blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(null=True, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["student", "tutor"], condition=Q(deleted_at__isnull=True),
                name="review_one_live_per_pair",
                violation_error_message=_("You have already reviewed this tutor."),
            ),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]
        indexes = [
            # The public list of one tutor in each of its orders: a range scan each.
            models.Index(fields=["tutor", "-created_at", "-id"], name="review_public_newest_idx", condition=PUBLIC),
            models.Index(fields=["tutor", "-rating", "-id"], name="review_public_highest_idx", condition=PUBLIC),
            models.Index(fields=["tutor", "rating", "-id"], name="review_public_lowest_idx", condition=PUBLIC),
        ]

    def __str__(self) -> str:
        return f"Review({self.pk}: {self.rating}* of {self.tutor_id} by {self.student_id})"

    @property
    def is_public(self) -> bool:
        return self.status == ReviewStatus.PUBLISHED and self.deleted_at is None


class FlagReason(models.TextChoices):
    SPAM = "spam", "Spam"
    OFFENSIVE = "offensive", "Offensive"
    OFF_TOPIC = "off_topic", "Off-topic"
    OTHER = "other", "Other"


class ReviewFlag(models.Model):
    """A user's report of a review; open until a moderator hides, restores or keeps it."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="flags")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=16, choices=FlagReason.choices)
    note = models.CharField(max_length=FLAG_NOTE_MAX, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "user"], name="review_flag_once_per_user",
                violation_error_message=_("You have already flagged this review."),
            ),
        ]
        indexes = [
            # The moderation queue: open flags.
            models.Index(fields=["review"], name="review_flag_open_idx", condition=Q(resolved_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"ReviewFlag({self.review_id} by {self.user_id}: {self.reason})"


class FlaggedReview(Review):
    """The moderation queue in the admin: reviews with open flags."""

    class Meta:
        proxy = True
        verbose_name = "flagged review"
        verbose_name_plural = "moderation queue (flagged reviews)"


class PlatformRating(models.Model):
    """The platform's mean rating C of the Bayesian score, one row, recomputed nightly."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    mean = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("4.0"))
    reviews = models.PositiveBigIntegerField(default=0)
    computed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"PlatformRating({self.mean} over {self.reviews})"

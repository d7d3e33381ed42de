"""Reads of the reviews domain: the public list of a tutor's reviews, and a user's own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web.accounts.models import User
from web.core.errors import NotFound
from web.core.pagination import Page, keyset_page
from web.profiles.models import TutorProfile
from web.profiles.selectors import tutor_is_listed
from web.reviews.models import PUBLIC, Review

PUBLIC_CURSOR_SALT = "reviews.public"
PUBLIC_PAGE_SIZE = 20
PUBLIC_MAX_PAGE_SIZE = 50

# Each order ends with the unique id; each has its partial index (models.Review.Meta).
ORDERINGS: dict[str, tuple[str, ...]] = {
    "newest": ("-created_at", "-id"),
    "highest": ("-rating", "-id"),
    "lowest": ("rating", "-id"),
}
DEFAULT_ORDERING = "newest"


@dataclass(frozen=True)
class ReviewSummary:
    rating: float
    reviews_count: int
    histogram: dict[str, int]


def author_name(full_name: str) -> str:
    """How a review names its author in public: the first name and the initial of the
    last ("Olena K."); the student's full name stays private."""
    parts = full_name.split()
    if not parts:
        return "Student"
    if len(parts) == 1:
        return parts[0]
    return f"{parts[0]} {parts[-1][0]}."


def review_summary(profile: TutorProfile) -> ReviewSummary:
    """The tutor's aggregates as the public list shows them (read from the profile, no count)."""
    histogram = list(profile.rating_histogram)
    return ReviewSummary(
        rating=float(profile.rating),
        reviews_count=profile.reviews_count,
        histogram={str(stars): histogram[stars - 1] for stars in (1, 2, 3, 4, 5)},
    )


def tutor_reviews_public(
    tutor_id: int, *, ordering: str = DEFAULT_ORDERING, cursor: str | None = None, page_size: int = PUBLIC_PAGE_SIZE
) -> tuple[ReviewSummary, Page[Review]]:
    """The summary and one page of a listed tutor's published reviews: two queries (the
    profile with its account, the page with its authors). A tutor the marketplace does
    not list is a 404, as their profile is."""
    profile = TutorProfile.objects.select_related("user").filter(pk=tutor_id).first()
    if profile is None or not tutor_is_listed(profile):
        raise NotFound()
    order = ORDERINGS[ordering]
    page = keyset_page(
        Review.objects.filter(PUBLIC, tutor_id=tutor_id).select_related("student"),
        order=order,
        cursor=cursor,
        page_size=page_size,
        bound_to={"tutor": tutor_id, "ordering": ordering},
        salt=PUBLIC_CURSOR_SALT,
        max_page_size=PUBLIC_MAX_PAGE_SIZE,
    )
    return review_summary(profile), page


OWN_CURSOR_SALT = "reviews.own"


def reviews_written(user: User, *, cursor: str | None = None, page_size: int = PUBLIC_PAGE_SIZE) -> Page[Review]:
    """One page of the user's own live reviews (hidden ones included), newest first."""
    return keyset_page(
        Review.objects.filter(student=user, deleted_at__isnull=True),
        order=("-created_at", "-id"),
        cursor=cursor,
        page_size=page_size,
        bound_to={"user": user.pk},
        salt=OWN_CURSOR_SALT,
        max_page_size=PUBLIC_MAX_PAGE_SIZE,
    )


def reviews_export(user: User) -> list[dict[str, Any]]:
    """Every review the user wrote (deleted and hidden ones included, as stored), and
    every reply they gave as a tutor, for the account's data export."""
    written = [
        {
            "kind": "review",
            "id": review.pk,
            "tutor_id": review.tutor_id,
            "rating": review.rating,
            "text": review.text,
            "status": review.status,
            "reply": review.reply,
            "created_at": review.created_at.isoformat(),
            "updated_at": review.updated_at.isoformat(),
            "deleted_at": review.deleted_at.isoformat() if review.deleted_at else None,
        }
        for review in Review.objects.filter(student=user).order_by("id")
    ]
    replies = [
        {
            "kind": "reply",
            "id": review.pk,
            "text": review.reply,
            "replied_at": review.replied_at.isoformat() if review.replied_at else None,
        }
        for review in Review.objects.filter(tutor=user, replied_at__isnull=False).order_by("id")
    ]
    return written + replies

"""Writes of the reviews domain.

Every change of a review runs in one transaction with its activity event and, when it
changes what the aggregates count (a published, live review's stars), the tutor's
aggregates through `web.profiles.ratings` (row lock, version bump, index outbox), so a
review and the rating the index shows can never disagree after a commit.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from web.accounts.models import Role, User
from web.activity.events import activity_log
from web.core.context import request_context
from web.core.errors import Conflict, NotFound, PermissionDenied, RateLimited
from web.core.ratelimit import Rate, rate_limit_hit
from web.lessons.models import Lesson, LessonStatus
from web.profiles.ratings import RatingAggregate, profile_rating_apply, profile_rating_repair
from web.reviews.models import PUBLIC, FlagReason, Review, ReviewFlag, ReviewStatus
from web.reviews.prior import reviews_prior

ENTITY = "review"
CREATE_USER_SCOPE = "reviews.create.user"
CREATE_ADDRESS_SCOPE = "reviews.create.address"

NOT_VERIFIED = gettext_lazy("You can review a tutor only after a completed lesson with them.")
ALREADY_REVIEWED = gettext_lazy("You have already reviewed this tutor; edit or delete that review instead.")
ALREADY_REPLIED = gettext_lazy("This review already has a reply.")
ALREADY_FLAGGED = gettext_lazy("You have already flagged this review.")
NOT_A_STUDENT = gettext_lazy("Only student accounts can review tutors.")


def _user_rates() -> list[Rate]:
    return [Rate(settings.REVIEWS_CREATE_PER_USER_HOUR, 3600), Rate(settings.REVIEWS_CREATE_PER_USER_DAY, 86400)]


def _address_rates() -> list[Rate]:
    return [Rate(settings.REVIEWS_CREATE_PER_ADDRESS_HOUR, 3600)]


def _aggregates_changed(tutor_id: int, *, added: tuple[int, ...] = (), removed: tuple[int, ...] = ()) -> None:
    if added or removed:
        profile_rating_apply(tutor_id, added=added, removed=removed, prior=reviews_prior)


def check_review_allowed(*, student: User, tutor_id: int) -> None:
    """A student may review a tutor only after a completed lesson with them.

    404 for an id that is no tutor (nothing to review); 403 naming the reason otherwise.
    """
    if not User.objects.filter(pk=tutor_id, role=Role.TUTOR, is_active=True).exists():
        raise NotFound(_("No such tutor."))
    if student.role != Role.STUDENT:
        raise PermissionDenied(NOT_A_STUDENT)
    if not Lesson.objects.filter(tutor_id=tutor_id, student=student, status=LessonStatus.COMPLETED).exists():
        raise PermissionDenied(NOT_VERIFIED)


def review_create_attempt(*, student: User, address: str | None = None) -> None:
    """Count a new review against the per-user and per-address limits (429 over them).
    The address defaults to the current request's client; outside a request only the
    user's limit applies."""
    wait = rate_limit_hit(CREATE_USER_SCOPE, str(student.pk), _user_rates())
    if wait is not None:
        raise RateLimited(wait, _("Too many new reviews from this account, retry later."))
    if address is None:
        context = request_context()
        address = context.client_address if context is not None else None
    if address:
        wait = rate_limit_hit(CREATE_ADDRESS_SCOPE, address, _address_rates())
        if wait is not None:
            raise RateLimited(wait, _("Too many new reviews from this address, retry later."))


def review_create(*, student: User, tutor_id: int, rating: int, text: str = "") -> Review:
    """Publish the student's review of a tutor they had a completed lesson with.

    One live review per student and tutor: a second is a 409 (the partial unique
    constraint decides a race). The tutor's aggregates change in the same transaction.
    """
    check_review_allowed(student=student, tutor_id=tutor_id)
    if Review.objects.filter(student=student, tutor_id=tutor_id, deleted_at__isnull=True).exists():
        raise Conflict(ALREADY_REVIEWED, fields={"tutor_id": [str(ALREADY_REVIEWED)]})
    review_create_attempt(student=student)
    try:
        with transaction.atomic():
            review = Review.objects.create(student=student, tutor_id=tutor_id, rating=rating, text=text)
            _aggregates_changed(tutor_id, added=(rating,))
            activity_log(
                student, "review.created", entity_type=ENTITY, entity_id=review.pk,
                metadata={"tutor_id": tutor_id, "rating": rating},
            )
    except IntegrityError:
        raise Conflict(ALREADY_REVIEWED, fields={"tutor_id": [str(ALREADY_REVIEWED)]}) from None
    return review


def _own_review(user: User, review_id: int) -> Review:
    """The user's live review, locked; another user's id is a 404."""
    review = Review.objects.select_for_update().filter(pk=review_id, student=user, deleted_at__isnull=True).first()
    if review is None:
        raise NotFound(_("No such review."))
    return review


@transaction.atomic
def review_update(*, user: User, review_id: int, data: dict[str, Any]) -> Review:
    """The author edits stars and/or text; the aggregates move by exactly the change."""
    review = _own_review(user, review_id)
    before: dict[str, Any] = {"rating": review.rating, "text": review.text}
    for name in ("rating", "text"):
        if name in data:
            setattr(review, name, data[name])
    changed = sorted(name for name in before if getattr(review, name) != before[name])
    if not changed:
        return review
    review.updated_at = timezone.now()
    review.save(update_fields=["rating", "text", "updated_at"])
    if review.is_public and review.rating != before["rating"]:
        _aggregates_changed(review.tutor_id, added=(review.rating,), removed=(int(before["rating"]),))
    activity_log(
        user, "review.updated", entity_type=ENTITY, entity_id=review.pk,
        metadata={"tutor_id": review.tutor_id, "fields": changed, "rating": review.rating,
                  "previous_rating": before["rating"]},
    )
    return review


def _soft_delete(review: Review, actor: User | None, *, reason: str) -> None:
    was_public = review.is_public
    review.deleted_at = review.updated_at = timezone.now()
    review.save(update_fields=["deleted_at", "updated_at"])
    if was_public:
        _aggregates_changed(review.tutor_id, removed=(review.rating,))
    activity_log(
        actor, "review.deleted", entity_type=ENTITY, entity_id=review.pk,
        metadata={"tutor_id": review.tutor_id, "rating": review.rating, "reason": reason},
    )


@transaction.atomic
def review_delete(*, user: User, review_id: int) -> None:
    """The author deletes their review (soft: kept for moderation history, out of every
    list and aggregate, and no obstacle to a new review of the same tutor)."""
    _soft_delete(_own_review(user, review_id), user, reason="author")


@transaction.atomic
def review_reply(*, tutor: User, review_id: int, text: str) -> Review:
    """The reviewed tutor's one public reply; another tutor's review is a 404."""
    review = (
        Review.objects.select_for_update()
        .filter(pk=review_id, tutor=tutor, deleted_at__isnull=True, status=ReviewStatus.PUBLISHED)
        .first()
    )
    if review is None:
        raise NotFound(_("No such review."))
    if review.replied_at is not None:
        raise Conflict(ALREADY_REPLIED, fields={"text": [str(ALREADY_REPLIED)]})
    review.reply = text
    review.replied_at = timezone.now()
    review.save(update_fields=["reply", "replied_at"])
    activity_log(tutor, "review.replied", entity_type=ENTITY, entity_id=review.pk, metadata={"tutor_id": tutor.pk})
    return review


def review_flag(*, user: User, review_id: int, reason: str, note: str = "") -> ReviewFlag:
    """Any signed-in user reports a public review once (409 the second time); the review
    joins the moderation queue."""
    if reason not in FlagReason.values:
        raise ValueError(f"unknown flag reason {reason!r}")
    review = Review.objects.filter(PUBLIC, pk=review_id).first()
    if review is None:
        raise NotFound(_("No such review."))
    try:
        with transaction.atomic():
            flag = ReviewFlag.objects.create(review=review, user=user, reason=reason, note=note)
            activity_log(
                user, "review.flagged", entity_type=ENTITY, entity_id=review.pk,
                metadata={"tutor_id": review.tutor_id, "reason": reason},
            )
    except IntegrityError:
        raise Conflict(ALREADY_FLAGGED, fields={"review_id": [str(ALREADY_FLAGGED)]}) from None
    return flag


# --- moderation (the admin's actions call these) -------------------------------------------


def _resolve_flags(review: Review, now: Any) -> int:
    return ReviewFlag.objects.filter(review=review, resolved_at__isnull=True).update(resolved_at=now)


@transaction.atomic
def review_hide(*, moderator: User | None, review_id: int) -> bool:
    """Take a review out of the public list and the aggregates; resolves its flags.
    False if it was already hidden (or deleted)."""
    review = Review.objects.select_for_update().filter(pk=review_id, deleted_at__isnull=True).first()
    if review is None or review.status == ReviewStatus.HIDDEN:
        return False
    now = timezone.now()
    review.status = ReviewStatus.HIDDEN
    review.moderated_at = now
    review.save(update_fields=["status", "moderated_at"])
    resolved = _resolve_flags(review, now)
    _aggregates_changed(review.tutor_id, removed=(review.rating,))
    activity_log(
        moderator, "review.hidden", entity_type=ENTITY, entity_id=review.pk,
        metadata={"tutor_id": review.tutor_id, "rating": review.rating, "flags_resolved": resolved},
    )
    return True


@transaction.atomic
def review_restore(*, moderator: User | None, review_id: int) -> bool:
    """Publish a hidden review again (back in the list and the aggregates), or keep a
    flagged one published: either way its open flags are resolved. False if nothing changed."""
    review = Review.objects.select_for_update().filter(pk=review_id, deleted_at__isnull=True).first()
    if review is None:
        return False
    now = timezone.now()
    resolved = _resolve_flags(review, now)
    was_hidden = review.status == ReviewStatus.HIDDEN
    if not was_hidden and not resolved:
        return False
    review.status = ReviewStatus.PUBLISHED
    review.moderated_at = now
    review.save(update_fields=["status", "moderated_at"])
    if was_hidden:
        _aggregates_changed(review.tutor_id, added=(review.rating,))
    activity_log(
        moderator, "review.restored", entity_type=ENTITY, entity_id=review.pk,
        metadata={"tutor_id": review.tutor_id, "rating": review.rating, "was_hidden": was_hidden,
                  "flags_resolved": resolved},
    )
    return True


# --- the account's data (export and erasure) ----------------------------------------------


def reviews_erase(user: User) -> int:
    """Soft-delete every live review the user wrote, each with its aggregates moved and
    its event, and blank their text and the replies to them; returns how many."""
    erased = 0
    ids = list(Review.objects.filter(student=user, deleted_at__isnull=True).values_list("pk", flat=True))
    for review_id in ids:
        with transaction.atomic():
            review = Review.objects.select_for_update().filter(pk=review_id, deleted_at__isnull=True).first()
            if review is None:
                continue
            _soft_delete(review, user, reason="account_erased")
            review.text = ""
            review.reply = ""
            review.save(update_fields=["text", "reply"])
            erased += 1
    # Deleted earlier by the author: their text goes too.
    Review.objects.filter(student=user).exclude(text="", reply="").update(text="", reply="")
    return erased


# --- aggregates: repair ----------------------------------------------------------------------


def review_aggregate_recount(tutor_id: int) -> RatingAggregate:
    """The tutor's aggregates counted from the published reviews (one grouped query)."""
    histogram = [0, 0, 0, 0, 0]
    rows = Review.objects.filter(PUBLIC, tutor_id=tutor_id).order_by().values("rating").annotate(n=Count("id"))
    for stars, count in rows.values_list("rating", "n"):
        histogram[stars - 1] = count
    return RatingAggregate(histogram=(histogram[0], histogram[1], histogram[2], histogram[3], histogram[4]))


def review_aggregate_repair(tutor_id: int) -> bool:
    """Recount one tutor under the profile lock and write the truth if it differs."""
    return profile_rating_repair(
        tutor_id, recount=lambda: review_aggregate_recount(tutor_id), prior=reviews_prior
    )

"""Moderation in the admin: the queue of flagged reviews, and every review.

Reviews are read-only here: hiding and restoring go through the services (the actions
below), which move the tutor's aggregates, reindex and write the activity event.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, Max, Q, QuerySet
from django.http import HttpRequest

from web.reviews import services
from web.reviews.models import FlaggedReview, PlatformRating, Review, ReviewFlag

OPEN_FLAGS = Q(flags__resolved_at__isnull=True)


class FlagInline(admin.TabularInline):
    model = ReviewFlag
    extra = 0
    can_delete = False
    readonly_fields = ["user", "reason", "note", "created_at", "resolved_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _moderate(request: HttpRequest, queryset: QuerySet[Review], action: Any, verb: str, admin_: Any) -> None:
    changed = sum(1 for pk in queryset.values_list("pk", flat=True) if action(moderator=request.user, review_id=pk))
    admin_.message_user(request, f"{changed} review(s) {verb}.", messages.SUCCESS)


@admin.action(description="Hide: out of the public list and the rating")
def hide_reviews(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Review]) -> None:
    _moderate(request, queryset, services.review_hide, "hidden", modeladmin)


@admin.action(description="Restore: publish (again) and dismiss the flags")
def restore_reviews(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Review]) -> None:
    _moderate(request, queryset, services.review_restore, "restored", modeladmin)


class _ReadOnlyReviewAdmin(admin.ModelAdmin):
    readonly_fields = [f.name for f in Review._meta.fields]
    inlines = [FlagInline]
    actions = [hide_reviews, restore_reviews]
    search_fields = ["text", "tutor__email", "student__email"]
    list_select_related = ["tutor", "student"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Actions need the change permission on the list; the form stays read-only.
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a delete here would bypass the aggregates: hide instead


@admin.register(FlaggedReview)
class FlaggedReviewAdmin(_ReadOnlyReviewAdmin):
    """The moderation queue: reviews with open flags, most flagged first."""

    list_display = ["id", "tutor", "student", "rating", "status", "open_flags", "last_flagged", "text_start"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Review]:
        return (
            super()
            .get_queryset(request)
            .filter(deleted_at__isnull=True)
            .annotate(open_flags=Count("flags", filter=OPEN_FLAGS), last_flagged=Max("flags__created_at"))
            .filter(open_flags__gt=0)
            .order_by("-open_flags", "-last_flagged")
        )

    @admin.display(ordering="open_flags")
    def open_flags(self, obj: Any) -> int:
        return int(obj.open_flags)

    @admin.display(ordering="last_flagged")
    def last_flagged(self, obj: Any) -> Any:
        return obj.last_flagged

    @admin.display(description="text")
    def text_start(self, obj: Review) -> str:
        return obj.text[:80]


@admin.register(Review)
class ReviewAdmin(_ReadOnlyReviewAdmin):
    list_display = ["id", "tutor", "student", "rating", "status", "created_at", "deleted_at"]
    list_filter = ["status", "rating"]


@admin.register(PlatformRating)
class PlatformRatingAdmin(admin.ModelAdmin):
    """The platform mean C of the Bayesian score (recomputed nightly)."""

    list_display = ["mean", "reviews", "computed_at"]
    readonly_fields = ["id", "mean", "reviews", "computed_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

"""Reads of the profiles domain, above all the public profile."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy

from web.accounts.models import Role
from web.activity.models import ActivityLog
from web.core.errors import NotFound
from web.core.pagination import Page, keyset_page
from web.profiles.models import Subject, TutorProfile, slot_end_text

NO_PROFILE = gettext_lazy("This account has no tutor profile.")
SNAPSHOT_ACTION = "profile.snapshot"
SNAPSHOTS_CURSOR_SALT = "profiles.snapshots"
SNAPSHOTS_PAGE_SIZE = 20
SNAPSHOTS_MAX_PAGE_SIZE = 50


def tutor_is_listed(profile: TutorProfile) -> bool:
    """Whether the marketplace shows this tutor: an active tutor account with a confirmed
    email address that chose to be public and has the minimum a student needs (a headline,
    a subject and a rate). An account an admin turned into a student is not shown (nor
    could it edit the profile)."""
    return bool(
        profile.user.is_active
        and profile.user.email_verified_at is not None
        and profile.user.role == Role.TUTOR
        and profile.public_profile_enabled
        and profile.headline
        and profile.subjects
        and profile.hourly_rate
    )


def availability_of(profile: TutorProfile) -> list[dict[str, Any]]:
    return [
        {"weekday": slot.weekday, "start": slot.start.strftime("%H:%M"), "end": slot_end_text(slot.end)}
        # .all() so a prefetch (bulk indexing) is used; sorted here for the same reason.
        for slot in sorted(profile.slots.all(), key=lambda s: (s.weekday, s.start))
    ]


def tutor_public_profile(profile: TutorProfile) -> dict[str, Any] | None:
    """THE public profile of a tutor, privacy flags applied; None when the tutor is not listed.

    The marketplace detail endpoint and the search document are both built from this
    function, so a hidden field cannot leak through one path and not the other. A hidden
    field is omitted, not nulled.
    """
    if not tutor_is_listed(profile):
        return None
    user = profile.user
    public: dict[str, Any] = {
        "id": user.pk,
        "full_name": user.full_name,
        "headline": profile.headline,
    }
    if profile.show_bio_publicly:
        public["bio"] = profile.bio
    if profile.show_avatar_publicly:
        public["avatar_url"] = profile.avatar_url or None
    if profile.show_subjects_publicly:
        public["subjects"] = list(profile.subjects)
    public["experience_years"] = profile.experience_years
    public["hourly_rate"] = profile.hourly_rate
    if profile.show_certifications_publicly:
        public["certifications"] = list(profile.certifications)
    public["languages"] = list(profile.languages)
    public["timezone"] = profile.timezone
    public["rating"] = float(profile.rating)
    public["reviews_count"] = profile.reviews_count
    public["active_students"] = profile.active_students
    if profile.show_email_publicly:
        public["email"] = user.email
    public["availability"] = availability_of(profile)
    return public


def tutor_profile_of(user: Any, *, for_update: bool = False) -> TutorProfile:
    """The tutor profile of `user` (with its user), or NotFound.

    A tutor account whose profile an admin deleted (or created without one) gets a 404
    from every profile and draft endpoint alike. `for_update` locks the row for the
    caller's transaction.
    """
    profiles = TutorProfile.objects.select_related("user")
    if for_update:
        profiles = profiles.select_for_update()
    profile = profiles.filter(user=user).first()
    if profile is None:
        raise NotFound(NO_PROFILE)
    return profile


def tutor_profile_get(tutor_id: int) -> TutorProfile | None:
    return TutorProfile.objects.select_related("user").filter(pk=tutor_id).first()


def subject_catalogue() -> list[Subject]:
    return list(Subject.objects.filter(is_active=True).order_by("slug"))


def listed_profiles() -> QuerySet[TutorProfile]:
    """The profiles `tutor_is_listed` accepts, as one query (for bulk indexing and counts)."""
    return (
        TutorProfile.objects.filter(
            user__is_active=True,
            user__email_verified_at__isnull=False,
            user__role=Role.TUTOR,
            public_profile_enabled=True,
            hourly_rate__gt=0,
        )
        .exclude(headline="")
        .exclude(subjects=[])
    )


def profile_snapshots(
    user: Any, *, cursor: str | None = None, page_size: int = SNAPSHOTS_PAGE_SIZE
) -> Page[Any]:
    """One page of the tutor's `profile.snapshot` events (the undo points), newest first."""
    return keyset_page(
        ActivityLog.objects.filter(user=user, action=SNAPSHOT_ACTION),
        order=("-id",),
        cursor=cursor,
        page_size=page_size,
        bound_to={"user": user.pk},
        salt=SNAPSHOTS_CURSOR_SALT,
        max_page_size=SNAPSHOTS_MAX_PAGE_SIZE,
    )

"""Reads of the profiles domain, above all the public profile."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from web.accounts.models import Role
from web.profiles.models import Subject, TutorProfile, slot_end_text


def tutor_is_listed(profile: TutorProfile) -> bool:
    """Whether the marketplace shows this tutor: an active tutor account that chose to be
    public and has the minimum a student needs (a headline, a subject and a rate). An
    account an admin turned into a student is not shown (nor could it edit the profile)."""
    return bool(
        profile.user.is_active
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
    if profile.show_email_publicly:
        public["email"] = user.email
    public["availability"] = availability_of(profile)
    return public


def tutor_profile_get(tutor_id: int) -> TutorProfile | None:
    return TutorProfile.objects.select_related("user").filter(pk=tutor_id).first()


def subject_catalogue() -> list[Subject]:
    return list(Subject.objects.filter(is_active=True).order_by("slug"))


def listed_profiles() -> QuerySet[TutorProfile]:
    """The profiles `tutor_is_listed` accepts, as one query (for bulk indexing and counts)."""
    return (
        TutorProfile.objects.filter(
            user__is_active=True, user__role=Role.TUTOR, public_profile_enabled=True, hourly_rate__gt=0
        )
        .exclude(headline="")
        .exclude(subjects=[])
    )


def profile_snapshots(user_id: int, *, before_id: int | None, limit: int) -> list[Any]:
    """The tutor's `profile.snapshot` events, newest first, keyset-paginated on id."""
    from web.activity.models import ActivityLog

    rows = ActivityLog.objects.filter(user_id=user_id, action="profile.snapshot")
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    return list(rows.order_by("-pk")[:limit])

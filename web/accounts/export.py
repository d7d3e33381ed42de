"""Everything stored about a person, as one JSON document (GET /api/me/export/).

One function per domain section, in SECTIONS; a new domain that stores data about people
(reviews) adds its section there. Each reads only the caller's rows; another person
appears only as an id and the name they show (`User.public_name`), never their email.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Q
from django.utils import timezone

from web.accounts.models import User
from web.activity.models import ActivityLog
from web.lessons.models import Lesson
from web.mail.models import OutgoingMail
from web.profiles.models import ProfileDraft, TutorProfile
from web.profiles.selectors import availability_of
from web.relations.models import Relation
from web.reviews.selectors import reviews_export

# The newest events exported; events are purged after ACTIVITY_RETENTION_DAYS anyway, and
# `activity_truncated` says when the cap was reached.
ACTIVITY_EXPORT_MAX = 10_000
# Relations and lessons are bounded by how the domains cap them; this is a backstop.
ROWS_EXPORT_MAX = 10_000
EXPORT_FORMAT_VERSION = 1


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user: User | None) -> dict[str, Any] | None:
    return None if user is None else {"id": user.pk, "name": user.public_name}


def export_account(user: User) -> dict[str, Any]:
    return {
        "account": {
            "id": user.pk,
            "email": user.email,
            "email_verified_at": _iso(user.email_verified_at),
            "full_name": user.full_name,
            "role": user.role,
            "timezone": user.timezone,
            "language": user.language,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        }
    }


def export_profile(user: User) -> dict[str, Any]:
    profile = TutorProfile.objects.filter(user_id=user.pk).first()
    draft = ProfileDraft.objects.filter(user_id=user.pk).first()
    section: dict[str, Any] = {"profile": None, "availability": [], "draft": None}
    if profile is not None:
        section["profile"] = {
            "headline": profile.headline,
            "bio": profile.bio,
            "subjects": list(profile.subjects),
            "certifications": list(profile.certifications),
            "languages": list(profile.languages),
            "hourly_rate": profile.hourly_rate,
            "experience_years": profile.experience_years,
            "avatar_url": profile.avatar_url,
            "timezone": profile.timezone,
            "public_profile_enabled": profile.public_profile_enabled,
            "show_email_publicly": profile.show_email_publicly,
            "show_avatar_publicly": profile.show_avatar_publicly,
            "show_certifications_publicly": profile.show_certifications_publicly,
            "show_subjects_publicly": profile.show_subjects_publicly,
            "show_bio_publicly": profile.show_bio_publicly,
            "rating": float(profile.rating),
            "reviews_count": profile.reviews_count,
            "created_at": _iso(profile.created_at),
            "updated_at": _iso(profile.updated_at),
        }
        section["availability"] = availability_of(profile)
    if draft is not None:
        section["draft"] = {"data": draft.data, "updated_at": _iso(draft.updated_at)}
    return section


def export_activity(user: User) -> dict[str, Any]:
    rows = list(
        ActivityLog.objects.filter(user_id=user.pk)
        .order_by("-timestamp", "-id")
        .values("id", "action", "entity_type", "entity_id", "metadata", "timestamp", "referrer")[
            : ACTIVITY_EXPORT_MAX + 1
        ]
    )
    return {
        "activity": [{**row, "timestamp": _iso(row["timestamp"])} for row in rows[:ACTIVITY_EXPORT_MAX]],
        "activity_truncated": len(rows) > ACTIVITY_EXPORT_MAX,
    }


def export_relations(user: User) -> dict[str, Any]:
    relations = (
        Relation.objects.filter(Q(tutor_id=user.pk) | Q(student_id=user.pk))
        .select_related("tutor", "student")
        .order_by("-created_at", "-id")[:ROWS_EXPORT_MAX]
    )
    return {
        "relations": [
            {
                "id": r.pk,
                "role": "tutor" if r.tutor_id == user.pk else "student",
                "tutor": _person(r.tutor),
                "student": _person(r.student),
                "status": r.status,
                "initiated_by": r.initiated_by,
                "message": r.message,
                "created_at": _iso(r.created_at),
                "updated_at": _iso(r.updated_at),
            }
            for r in relations
        ]
    }


def export_lessons(user: User) -> dict[str, Any]:
    lessons = (
        Lesson.objects.filter(Q(tutor_id=user.pk) | Q(student_id=user.pk))
        .select_related("tutor", "student")
        .order_by("-start", "-id")[:ROWS_EXPORT_MAX]
    )
    return {
        "lessons": [
            {
                "id": lesson.pk,
                "role": "tutor" if lesson.tutor_id == user.pk else "student",
                "tutor": _person(lesson.tutor),
                "student": _person(lesson.student),
                "status": lesson.status,
                "start": _iso(lesson.start),
                "end": _iso(lesson.end),
                "cancelled_at": _iso(lesson.cancelled_at),
                "cancellation_reason": lesson.cancellation_reason,
                "created_at": _iso(lesson.created_at),
            }
            for lesson in lessons
        ]
    }


def export_mail(user: User) -> dict[str, Any]:
    mails = OutgoingMail.objects.filter(to_email=user.email).order_by("-created_at", "-id")[:ROWS_EXPORT_MAX]
    return {
        "mail": [
            {"template": m.template, "language": m.language, "status": m.status, "created_at": _iso(m.created_at),
             "sent_at": _iso(m.sent_at)}
            for m in mails
        ]
    }


def export_reviews(user: User) -> dict[str, Any]:
    """The reviews the user wrote and the replies they gave as a tutor."""
    return {"reviews": reviews_export(user)}


SECTIONS: tuple[Callable[[User], dict[str, Any]], ...] = (
    export_account,
    export_profile,
    export_activity,
    export_relations,
    export_lessons,
    export_mail,
    export_reviews,
)


def account_export(user: User) -> dict[str, Any]:
    """The caller's data: one key per section, plus when and in which format it was made."""
    document: dict[str, Any] = {"format_version": EXPORT_FORMAT_VERSION, "exported_at": _iso(timezone.now())}
    for section in SECTIONS:
        document.update(section(user))
    return document

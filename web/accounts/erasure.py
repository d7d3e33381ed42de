"""Deleting an account: deactivate it and erase or anonymise what it says about the person.

One function per domain section, all run in ONE transaction by `account_delete`; a new
domain that stores personal data (reviews) adds its section to ERASERS. What other people
need stays: their lessons and relations with the deleted person remain, showing
"deleted tutor" / "deleted student" (`User.public_name`), future lessons are cancelled and
open relations archived, so nobody waits for a person who is gone.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import timezone

from indexer.changes import tutor_changed
from web.accounts.models import User
from web.activity.models import ActivityLog
from web.lessons.services import lessons_cancel_for_account_deletion
from web.mail.models import MailStatus, OutgoingMail
from web.profiles.models import AvailabilitySlot, ProfileDraft, TutorProfile
from web.profiles.selectors import SNAPSHOT_ACTION, tutor_public_profile
from web.relations.models import OPEN_STATUSES, Relation, RelationStatus, RelationStatusLog
from web.reviews.models import Review
from web.reviews.services import reviews_erase

DELETION_REASON = "account_deleted"


def placeholder_email(user_id: int) -> str:
    """The address a deleted account keeps: unique, and never deliverable (.invalid)."""
    return f"deleted-{user_id}@invalid"


def erase_profile(user: User, original_email: str) -> None:
    """The tutor profile's text, availability and draft go; the profile leaves the index
    (version bump and an outbox row, in this transaction). Ratings stay for aggregates."""
    ProfileDraft.objects.filter(user=user).delete()
    profile = TutorProfile.objects.select_for_update().select_related("user").filter(user_id=user.pk).first()
    if profile is None:
        return
    before = tutor_public_profile(profile)
    AvailabilitySlot.objects.filter(profile=profile).delete()
    profile.headline = profile.bio = profile.avatar_url = ""
    profile.subjects, profile.certifications, profile.languages = [], [], []
    profile.public_profile_enabled = False
    profile.show_email_publicly = False
    profile.version += 1
    profile.save()
    if before is not None:
        tutor_changed(profile.pk)


def erase_activity(user: User, original_email: str) -> None:
    """Snapshots (whole profiles) are deleted; other events keep what happened and when,
    without their metadata or referrer."""
    ActivityLog.objects.filter(user=user, action=SNAPSHOT_ACTION).delete()
    ActivityLog.objects.filter(user=user).update(metadata={}, referrer=None)


def erase_relations(user: User, original_email: str) -> None:
    """Open relations are archived (logged as transitions by the deleted person); the
    messages they wrote are erased, and invitations waiting for their address withdrawn."""
    now = timezone.now()
    mine = Relation.objects.filter(tutor=user) | Relation.objects.filter(student=user)
    open_relations = list(mine.filter(status__in=OPEN_STATUSES).select_for_update())
    for relation in open_relations:
        RelationStatusLog.objects.create(
            relation=relation, tutor_id=relation.tutor_id, prev_status=relation.status,
            new_status=RelationStatus.ARCHIVED, actor=user, metadata={"reason": DELETION_REASON},
        )
    Relation.objects.filter(pk__in=[r.pk for r in open_relations]).update(
        status=RelationStatus.ARCHIVED, expires_at=None, updated_at=now
    )
    Relation.objects.filter(tutor=user, initiated_by="tutor").update(message="")
    Relation.objects.filter(student=user, initiated_by="student").update(message="")
    Relation.objects.filter(student__isnull=True, invited_email=original_email).update(
        status=RelationStatus.CANCELLED, expires_at=None, updated_at=now, invited_email=placeholder_email(user.pk)
    )


def erase_lessons(user: User, original_email: str) -> None:
    """Future scheduled lessons are cancelled (history, event, and a mail to the other
    person saying why); past ones stay as they were, for the other person's calendar."""
    lessons_cancel_for_account_deletion(user, reason=DELETION_REASON)


def erase_mail(user: User, original_email: str) -> None:
    """Mails to the address lose it and their content; one still waiting is not sent."""
    OutgoingMail.objects.filter(to_email=original_email, status=MailStatus.PENDING).update(
        status=MailStatus.FAILED, last_error=DELETION_REASON
    )
    OutgoingMail.objects.filter(to_email=original_email).update(
        to_email=placeholder_email(user.pk), context={}, attachments=[]
    )


def erase_reviews(user: User, original_email: str) -> None:
    """The reviews the user wrote leave the public list and the tutors' aggregates (soft
    deleted, text blanked); the replies they wrote as a tutor are blanked too."""
    reviews_erase(user)
    Review.objects.filter(tutor=user).exclude(reply="").update(reply="")


# Run in this order, before the account row itself is anonymised (`erase_account`).
ERASERS: tuple[Callable[[User, str], None], ...] = (
    erase_profile,
    erase_activity,
    erase_relations,
    erase_lessons,
    erase_reviews,
    erase_mail,
)


def erase_account(user: User) -> None:
    """Anonymise and deactivate the account row (last). The caller holds the row lock."""
    user.full_name = ""
    user.email = placeholder_email(user.pk)
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = False
    user.is_superuser = False
    user.email_verified_at = None
    user.last_login = None
    user.timezone = "UTC"
    user.deleted_at = timezone.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()

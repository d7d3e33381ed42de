"""Tutor-student relations: a request or an invitation that becomes "my tutor" / "my student".

The database holds the rules a race could break: at most one open (pending or active)
relation per pair, at most one active tutor per student, one waiting invitation per
address. Every transition is a conditional update on the expected status, so of two
concurrent transitions exactly one wins.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MESSAGE_MAX = 1000


class RelationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


OPEN_STATUSES = (RelationStatus.PENDING, RelationStatus.ACTIVE)


class Initiator(models.TextChoices):
    STUDENT = "student", "Student"  # a request to a tutor
    TUTOR = "tutor", "Tutor"  # an invitation to a student


class Relation(models.Model):
    tutor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="relations_as_tutor")
    # Empty while an invitation waits for the address to register (then `invited_email` says whom).
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="relations_as_student",
        null=True, blank=True,
    )
    invited_email = models.EmailField(max_length=254, blank=True)
    status = models.CharField(max_length=16, choices=RelationStatus.choices, default=RelationStatus.PENDING)
    initiated_by = models.CharField(max_length=16, choices=Initiator.choices)
    message = models.TextField(max_length=MESSAGE_MAX, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # When a pending relation expires; null once it is no longer pending.
    expires_at = models.DateTimeField(null=True, blank=True)
    resend_count = models.PositiveSmallIntegerField(default=0)
    last_sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tutor", "student"], condition=Q(status__in=OPEN_STATUSES),
                name="relation_one_open_per_pair",
                violation_error_message=_("There is already a pending or active relation between them."),
            ),
            models.UniqueConstraint(
                fields=["student"], condition=Q(status=RelationStatus.ACTIVE),
                name="relation_one_active_tutor_per_student",
                violation_error_message=_("The student already has an active tutor."),
            ),
            models.UniqueConstraint(
                fields=["tutor", "invited_email"],
                condition=Q(student__isnull=True, status=RelationStatus.PENDING),
                name="relation_one_invitation_per_address",
                violation_error_message=_("This address already has a pending invitation from the tutor."),
            ),
            models.CheckConstraint(
                condition=Q(student__isnull=False) | (~Q(invited_email="") & Q(initiated_by=Initiator.TUTOR)),
                name="relation_has_a_student_or_an_invited_address",
            ),
            models.CheckConstraint(
                condition=~Q(status=RelationStatus.ACTIVE) | Q(student__isnull=False),
                name="relation_active_has_a_student",
            ),
        ]
        indexes = [
            # The tutor's dashboard and the student's list: keyset over (updated_at, id).
            models.Index(fields=["tutor", "-updated_at", "-id"], name="relation_tutor_feed_idx"),
            models.Index(fields=["student", "-updated_at", "-id"], name="relation_student_feed_idx"),
            # The dashboard's counters per status: an index-only scan of the tutor's range.
            models.Index(fields=["tutor", "status"], name="relation_tutor_status_idx"),
            # The expiry job reads only pending rows.
            models.Index(fields=["expires_at"], name="relation_pending_expiry_idx",
                         condition=Q(status=RelationStatus.PENDING)),
            # An invitation attaches when its address registers.
            models.Index(fields=["invited_email"], name="relation_waiting_invite_idx",
                         condition=Q(student__isnull=True)),
        ]

    def __str__(self) -> str:
        student = self.student_id or self.invited_email
        return f"Relation({self.pk}: tutor {self.tutor_id} - student {student}, {self.status})"


class RelationStatusLog(models.Model):
    """One row per transition, written in the transaction of the transition. `tutor` is
    copied from the relation so a tutor's recent actions are one index range scan."""

    relation = models.ForeignKey(Relation, on_delete=models.CASCADE, related_name="log", db_index=True)
    tutor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    prev_status = models.CharField(max_length=16, choices=RelationStatus.choices, blank=True)
    new_status = models.CharField(max_length=16, choices=RelationStatus.choices)
    # Null for the system (the expiry job) or an actor whose account is gone.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["tutor", "-timestamp", "-id"], name="relation_log_tutor_feed_idx")]

    def __str__(self) -> str:
        return f"{self.relation_id}: {self.prev_status or '-'} -> {self.new_status}"

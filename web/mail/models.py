"""Transactional mail, recorded in the transaction of the change it tells about."""

from __future__ import annotations

from django.db import models

KEY_MAX = 200
LANGUAGES = ("uk", "en", "pl")
DEFAULT_LANGUAGE = "en"


class MailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class OutgoingMail(models.Model):
    """One mail about one event. `key` names the event ("relation.invited:42:1"): the same
    event recorded twice is one row, so it is one mail, however often a task runs."""

    key = models.CharField(max_length=KEY_MAX, unique=True)
    to_email = models.EmailField(max_length=254)
    language = models.CharField(max_length=2, default=DEFAULT_LANGUAGE)
    template = models.CharField(max_length=64)
    context = models.JSONField(default=dict, blank=True)
    # [{"filename": "lesson.ics", "content": "...", "mimetype": "text/calendar"}]
    attachments = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=8, choices=MailStatus.choices, default=MailStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When a task was last handed this mail; catch-up hands over only what waits too long.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["created_at"], name="mail_pending_idx", condition=models.Q(status=MailStatus.PENDING)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} to {self.to_email} ({self.status})"

from __future__ import annotations

from django.db import models


class TutorOutbox(models.Model):
    """A tutor whose document must be (re)written to the index.

    One row per tutor: repeated changes before the row is processed coalesce into
    it. `changed_at` moves on every change; a task deletes the row only if it is
    still the change it processed, so a change made meanwhile is never dropped.
    """

    tutor_id = models.BigIntegerField(primary_key=True)
    first_changed_at = models.DateTimeField()
    changed_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["first_changed_at"], name="outbox_age_idx")]

    def __str__(self) -> str:
        return f"TutorOutbox({self.tutor_id})"

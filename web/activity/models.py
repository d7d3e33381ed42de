from __future__ import annotations

import re

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

# Event names are dotted lower-case paths, 2 to 4 segments: "ui.click", "profile.draft.published".
ACTION_MAX_LENGTH = 64
ACTION_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,3}$")
# Events a client reports (POST /api/me/activity/trigger/) are named in this namespace, so
# a client cannot record what only the server records ("profile.snapshot" rows can be
# restored, "marketplace.search" rows feed the metrics).
CLIENT_ACTION_PREFIX = "ui."
# The kind of thing an event is about: "profile", "tutor_profile", "user".
ENTITY_TYPE_MAX_LENGTH = 64
ENTITY_TYPE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
ENTITY_ID_MAX_LENGTH = 64
REFERRER_MAX_LENGTH = 512


class ActivityLog(models.Model):
    """One thing a user (or an anonymous visitor) did. Append-only; purged after the retention period."""

    # The feed index (user, -timestamp, id) leads with user, so the FK needs no index of its own.
    # An account's events outlive it, detached and stripped of what identifies the person
    # (web/activity/signals.py), until the retention purge removes them like any other.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activity_events",
        db_index=False,
    )
    action = models.CharField(max_length=ACTION_MAX_LENGTH)
    entity_type = models.CharField(max_length=ENTITY_TYPE_MAX_LENGTH, blank=True, default="")
    # NULL, not "", for "no entity" and "no Referer header": the API contract exposes null.
    entity_id = models.CharField(max_length=ENTITY_ID_MAX_LENGTH, null=True, blank=True)  # noqa: DJ001
    metadata = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    # Stored in UTC (USE_TZ). Indexed on its own for the retention purge.
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)
    duration_ms = models.FloatField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    referrer = models.CharField(max_length=REFERRER_MAX_LENGTH, null=True, blank=True)  # noqa: DJ001
    # Set on buffered events only: one delivered twice (a drain repeated after an error, a
    # push that timed out after Redis applied it) is stored once. NULLs never conflict.
    event_id = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-timestamp", "id"]
        indexes = [
            # The feed: WHERE user_id = ? [AND timestamp <= ?] ORDER BY timestamp DESC, id.
            models.Index(fields=["user", "-timestamp", "id"], name="activity_feed_idx"),
            # The same feed filtered by action or by entity type.
            models.Index(fields=["user", "action", "-timestamp", "id"], name="activity_feed_action_idx"),
            models.Index(fields=["user", "entity_type", "-timestamp", "id"], name="activity_feed_entity_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} by {self.user_id or 'anonymous'} at {self.timestamp:%Y-%m-%d %H:%M:%S}"

"""An account's deletion, from the admin, the shell or any service: its events are kept
for the retention period (the counts and timings they feed stay right) but no longer
say who: detached from the account, with the metadata and Referer that could name the
person emptied. Done where the deletion happens, in its transaction, whatever deleted it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from web.activity.retention import activity_detach_user


@receiver(pre_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="activity.user_deleted")
def user_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    activity_detach_user(instance.pk)

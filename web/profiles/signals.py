"""Changes to the index that do not go through the profile services.

Every change to a public profile goes through the services, which record it in the
index outbox. Two kinds of change can come from the admin, the shell or a cascade,
so they are recorded where they happen, in the same transaction:

- deleting a profile, or the user it belongs to: the outbox row has no foreign key,
  so it outlives the profile, and syncing a tutor that no longer exists deletes the
  document;
- saving or deleting a catalogue subject: its names are in the documents of every
  tutor who teaches it.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from indexer.changes import tutor_changed, tutors_changed
from web.profiles.models import TutorProfile


@receiver(post_delete, sender="profiles.TutorProfile", dispatch_uid="profiles.tutor_deleted")
def tutor_deleted(sender: Any, instance: Any, **kwargs: Any) -> None:
    tutor_changed(instance.pk)


@receiver([post_save, post_delete], sender="profiles.Subject", dispatch_uid="profiles.subject_changed")
def subject_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    tutors_changed(TutorProfile.objects.filter(subjects__contains=[instance.slug]).values_list("pk", flat=True))

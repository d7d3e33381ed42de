"""The Unified Profile Model: one source of truth for everything public about a tutor."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

HEADLINE_MAX = 120
BIO_MAX = 5000
CERTIFICATION_MAX = 200
MAX_SUBJECTS = 10
MAX_LANGUAGES = 10
MAX_CERTIFICATIONS = 20
HOURLY_RATE_MAX = 100_000
EXPERIENCE_MAX = 80
MAX_SLOTS = 50


class Subject(models.Model):
    """The subject catalogue (editable in the admin), named in Ukrainian, English and Polish
    so a search in any of the three finds the subject's tutors."""

    slug = models.SlugField(max_length=50, unique=True)
    name_uk = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    name_pl = models.CharField(max_length=100)
    # Extra search terms (synonyms, abbreviations), space separated: "maths algebra".
    aliases = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


def empty_histogram() -> list[int]:
    return [0, 0, 0, 0, 0]


class TutorProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="tutor_profile"
    )
    headline = models.CharField(max_length=HEADLINE_MAX, blank=True)
    bio = models.TextField(max_length=BIO_MAX, blank=True)
    subjects = ArrayField(models.SlugField(max_length=50), default=list, blank=True)
    certifications = ArrayField(models.CharField(max_length=CERTIFICATION_MAX), default=list, blank=True)
    languages = ArrayField(models.CharField(max_length=2), default=list, blank=True)
    hourly_rate = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(HOURLY_RATE_MAX)]
    )
    experience_years = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(EXPERIENCE_MAX)]
    )
    avatar_url = models.URLField(max_length=500, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")

    public_profile_enabled = models.BooleanField(default=True)
    show_email_publicly = models.BooleanField(default=False)
    show_avatar_publicly = models.BooleanField(default=True)
    show_certifications_publicly = models.BooleanField(default=True)
    show_subjects_publicly = models.BooleanField(default=True)
    show_bio_publicly = models.BooleanField(default=True)

    # Maintained from published reviews (web.reviews), incrementally under this row's
    # lock, through web.profiles.ratings: the mean (2 decimals), the count, the running
    # sum and the 1-5 star histogram (index 0 counts the one-star reviews).
    rating = models.DecimalField(max_digits=3, decimal_places=2, default=0)
    reviews_count = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveBigIntegerField(default=0)
    rating_histogram = ArrayField(models.PositiveIntegerField(), size=5, default=empty_histogram)
    # The Bayesian score (C*m + sum) / (m + count) the index ranks by (not shown).
    rating_score = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    # Maintained by relations: students with an active relation to this tutor, changed in
    # the transaction that activates or ends one.
    active_students = models.PositiveIntegerField(default=0)

    # Increases on every change of anything that appears in the public profile; the
    # index writes documents with it as an external version, so it must only grow.
    version = models.PositiveBigIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["public_profile_enabled"], name="profile_public_idx")]

    def __str__(self) -> str:
        return f"TutorProfile({self.user_id})"


# A slot that runs to midnight ends at 24:00, which a time of day cannot hold: it is
# stored as 00:00, which as an end can only mean the end of the day.
END_OF_DAY = time(0, 0)


def slot_end_minutes(end: time) -> int:
    """Minutes from the day's start to a slot's end (24:00 is 1440)."""
    return 24 * 60 if end == END_OF_DAY else end.hour * 60 + end.minute


END_OF_DAY_TEXT = "24:00"


def slot_end_text(end: time) -> str:
    return END_OF_DAY_TEXT if end == END_OF_DAY else end.strftime("%H:%M")


class AvailabilitySlot(models.Model):
    """A weekly slot in the tutor's own time zone; weekday 0 is Monday. An `end` of
    00:00 is the end of the day (shown as 24:00)."""

    profile = models.ForeignKey(TutorProfile, on_delete=models.CASCADE, related_name="slots")
    weekday = models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)])
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")) | models.Q(end=END_OF_DAY),
                name="slot_start_before_end",
            ),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="slot_known_weekday"),
        ]

    def __str__(self) -> str:
        return f"{self.weekday} {self.start:%H:%M}-{slot_end_text(self.end)}"


class ProfileDraft(models.Model):
    """Unpublished edits, deep-merged by autosave; the published profile is untouched."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile_draft")
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"ProfileDraft({self.user_id})"

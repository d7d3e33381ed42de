"""The editable shape of a tutor profile and its validation.

The same shape is read by GET /api/me/profile/, written by PATCH, deep-merged by
autosave (types checked, nothing required) and validated in full on publish::

    {"headline", "bio", "subjects", "certifications", "languages", "hourly_rate",
     "experience_years", "avatar_url", "timezone", "public_profile_enabled",
     "privacy": {"show_email_publicly", "show_avatar_publicly", "show_certifications_publicly",
                 "show_subjects_publicly", "show_bio_publicly"}}
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from web.core.catalogues import is_language, is_time_zone
from web.core.errors import InvalidInput
from web.core.serializers import StrictSerializer
from web.profiles import models as m
from web.profiles.models import Subject, TutorProfile

PRIVACY_FLAGS = (
    "show_email_publicly",
    "show_avatar_publicly",
    "show_certifications_publicly",
    "show_subjects_publicly",
    "show_bio_publicly",
)
PLAIN_FIELDS = (
    "headline",
    "bio",
    "subjects",
    "certifications",
    "languages",
    "hourly_rate",
    "experience_years",
    "avatar_url",
    "timezone",
    "public_profile_enabled",
)


def catalogue_subject_slugs() -> set[str]:
    """Every subject in the catalogue, offered or not (see `inactive_subjects_added`)."""
    return set(Subject.objects.values_list("slug", flat=True))


def inactive_subjects_added(subjects: list[str], taught: list[str]) -> list[str]:
    """Subjects of `subjects` no longer offered (deactivated) that the tutor does not
    already teach. A deactivated subject stays with the tutors who teach it: sending the
    whole profile back (PATCH, publishing a draft, restoring a snapshot) keeps it, and only
    adding it anew is refused."""
    added = set(subjects) - set(taught)
    if not added:
        return []
    offered = set(Subject.objects.filter(slug__in=added, is_active=True).values_list("slug", flat=True))
    return sorted(added - offered)


class PrivacySerializer(StrictSerializer):
    class Meta:
        ref_name = "ProfilePrivacy"

    show_email_publicly = serializers.BooleanField(required=False)
    show_avatar_publicly = serializers.BooleanField(required=False)
    show_certifications_publicly = serializers.BooleanField(required=False)
    show_subjects_publicly = serializers.BooleanField(required=False)
    show_bio_publicly = serializers.BooleanField(required=False)


class ProfileInputSerializer(StrictSerializer):
    """Every field optional: a PATCH or a draft carries only what changed."""

    class Meta:
        ref_name = "ProfileInput"

    headline = serializers.CharField(max_length=m.HEADLINE_MAX, allow_blank=True, required=False, trim_whitespace=True)
    bio = serializers.CharField(max_length=m.BIO_MAX, allow_blank=True, required=False, trim_whitespace=True)
    subjects = serializers.ListField(
        child=serializers.SlugField(max_length=50), max_length=m.MAX_SUBJECTS, required=False
    )
    certifications = serializers.ListField(
        child=serializers.CharField(max_length=m.CERTIFICATION_MAX, min_length=1),
        max_length=m.MAX_CERTIFICATIONS,
        required=False,
    )
    languages = serializers.ListField(
        child=serializers.CharField(min_length=2, max_length=2), max_length=m.MAX_LANGUAGES, required=False
    )
    hourly_rate = serializers.IntegerField(min_value=1, max_value=m.HOURLY_RATE_MAX, allow_null=True, required=False)
    experience_years = serializers.IntegerField(
        min_value=0, max_value=m.EXPERIENCE_MAX, allow_null=True, required=False
    )
    avatar_url = serializers.URLField(max_length=500, allow_blank=True, required=False)
    timezone = serializers.CharField(max_length=64, required=False)
    public_profile_enabled = serializers.BooleanField(required=False)
    privacy = PrivacySerializer(required=False)

    def validate_subjects(self, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise serializers.ValidationError(_("Subjects must not repeat."))
        unknown = sorted(set(value) - catalogue_subject_slugs())
        if unknown:
            raise serializers.ValidationError(
                _("Unknown subject: %(subjects)s. See /api/subjects/.") % {"subjects": ", ".join(unknown)}
            )
        return value

    def validate_languages(self, value: list[str]) -> list[str]:
        value = [code.lower() for code in value]
        bad = sorted(code for code in value if not is_language(code))
        if bad:
            raise serializers.ValidationError(_("Not ISO 639-1 language codes: %(codes)s.") % {"codes": ", ".join(bad)})
        if len(set(value)) != len(value):
            raise serializers.ValidationError(_("Languages must not repeat."))
        return value

    def validate_certifications(self, value: list[str]) -> list[str]:
        return [item.strip() for item in value]

    def validate_timezone(self, value: str) -> str:
        if not is_time_zone(value):
            raise serializers.ValidationError(_("Unknown IANA time zone."))
        return value

    def validate_avatar_url(self, value: str) -> str:
        if value and not value.lower().startswith(("https://", "http://")):
            raise serializers.ValidationError(_("Only http(s) URLs."))
        return value


def validate_profile_input(data: Any) -> dict[str, Any]:
    """Type- and catalogue-check profile data; raises InvalidInput naming each bad field."""
    serializer = ProfileInputSerializer(data=data)
    if not serializer.is_valid():
        raise InvalidInput.from_validation(serializers.ValidationError(serializer.errors))
    return dict(serializer.validated_data)


def profile_editable_data(profile: TutorProfile) -> dict[str, Any]:
    """The profile in the editable shape (what PATCH, drafts and snapshots speak)."""
    data: dict[str, Any] = {name: getattr(profile, name) for name in PLAIN_FIELDS}
    data["subjects"] = list(profile.subjects)
    data["certifications"] = list(profile.certifications)
    data["languages"] = list(profile.languages)
    data["privacy"] = {flag: getattr(profile, flag) for flag in PRIVACY_FLAGS}
    return data


def apply_editable_data(profile: TutorProfile, data: dict[str, Any]) -> None:
    """Set validated editable data on the model instance (no save)."""
    for name in PLAIN_FIELDS:
        if name in data:
            setattr(profile, name, data[name])
    for flag, value in data.get("privacy", {}).items():
        setattr(profile, flag, value)

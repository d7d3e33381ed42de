"""The tutor document: what of a tutor reaches the index.

Built only from `tutor_public_profile` (the profiles app's definition of the public
profile, privacy applied), through the allow-list of fields in search/fields.py: the
fields it copies from the public profile, and the ones computed here for searching.
A hidden field cannot reach the index: it is not in the public profile to begin with,
and the builder drops every field whose privacy flag (`hidden_by`) is off as well.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any

from django.db.models import QuerySet

from search.availability import slots_points
from search.fields import HIDEABLE_FIELDS, PROFILE_FIELDS
from search.indexes import TUTORS, IndexDefinition
from search.morphology import lemma_text
from web.profiles.models import Subject, TutorProfile
from web.profiles.selectors import tutor_public_profile


class TutorIndexer:
    """Owns the tutor index definition and turns a profile into its document."""

    definition: IndexDefinition = TUTORS

    # A rebuild or reconcile run holds one indexer for minutes: its copy of the catalogue
    # is read again after this long, so a subject renamed meanwhile is not written back
    # with its old names (at the same version, which an index write lets through).
    SUBJECT_NAMES_TTL_SECONDS = 2.0

    def __init__(self, reference: date | None = None) -> None:
        self._subject_names: dict[str, str] | None = None
        self._subject_names_at = 0.0
        # The day whose coming week's UTC offsets encode the slots (today, UTC, unless
        # given): see search/availability.py.
        self._reference = reference

    @property
    def reference(self) -> date:
        return self._reference or datetime.now(UTC).date()

    def subject_names(self) -> dict[str, str]:
        """slug -> "name_uk name_en name_pl aliases" (one small query per TTL at most)."""
        if self._subject_names is None or time.monotonic() - self._subject_names_at > self.SUBJECT_NAMES_TTL_SECONDS:
            self._subject_names = {
                s.slug: " ".join(filter(None, [s.name_uk, s.name_en, s.name_pl, s.aliases]))
                for s in Subject.objects.all()
            }
            self._subject_names_at = time.monotonic()
        return self._subject_names

    @staticmethod
    def queryset() -> QuerySet[TutorProfile]:
        return TutorProfile.objects.select_related("user").prefetch_related("slots")

    def extract_document(self, profile: TutorProfile) -> dict[str, Any] | None:
        """The index document for a tutor, or None if the tutor must not be in the index."""
        public = tutor_public_profile(profile)
        if public is None:
            return None
        doc: dict[str, Any] = {f.name: public[f.name] for f in PROFILE_FIELDS if f.name in public}
        # The fields built for searching (search/fields.py, built=True).
        names = self.subject_names()
        if "subjects" in public:
            doc["subject_names"] = " ".join(names.get(slug, slug) for slug in public["subjects"])
        doc["headline_lemmas"] = lemma_text(public.get("headline"))
        if "bio" in public:
            doc["bio_lemmas"] = lemma_text(public["bio"])
        doc["has_certifications"] = bool(public.get("certifications"))
        slots = public.get("availability", [])
        doc["available_weekdays"] = sorted({slot["weekday"] for slot in slots})
        doc["availability_utc"] = slots_points(slots, profile.timezone, self.reference)
        doc["rating_score"] = float(profile.rating_score)
        doc["version"] = profile.version
        for field in HIDEABLE_FIELDS:
            if field.hidden_by is not None and not getattr(profile, field.hidden_by):
                doc.pop(field.name, None)
        return doc

"""The fields of the tutor document: the one list the index and its readers follow.

For each field: its name, its mapping, whether search results return it, and which of
the profile's privacy flags hides it. From this list come the index mapping
(`search.indexes.TUTOR_MAPPING`), the fields the document builder copies from the
public profile (`indexer.documents`), the fields a search result returns
(`RESULT_FIELDS`), and the marketplace API's result and profile serializers with their
examples (`web.marketplace.api`). tests/indexer/test_document_fields.py checks they agree.

Adding a field the tutor's public profile already has (or gains: a model field and a
key in `web.profiles.selectors.tutor_public_profile`) is one entry here. A field the
builder computes for searching only (`built=True`) also needs its line in
`TutorIndexer.extract_document`.

The order is the order of a search result's keys and of the API schema. Reordering
does not change the index fingerprint (it hashes the mapping with sorted keys), so it
triggers no rebuild; changing a mapping does, on the next deploy (`search_index ensure`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Analyzers are defined in search/indexes.py ANALYSIS. Text is folded (case and accents),
# so uk/en/pl queries match without a plugin.
_TEXT: dict[str, Any] = {"type": "text", "analyzer": "folded"}
# Searched as typed too (search/suggest.py): the `prefix` sub-field holds each word's beginnings.
_TEXT_TYPED: dict[str, Any] = {
    **_TEXT,
    "fields": {"prefix": {"type": "text", "analyzer": "prefixes", "search_analyzer": "typed_prefix"}},
}
# Stored to be shown, never searched, filtered or sorted on.
_SHOWN_ONLY: dict[str, Any] = {"type": "keyword", "index": False, "doc_values": False}


@dataclass(frozen=True)
class DocumentField:
    """One field of the tutor document."""

    name: str
    # The OpenSearch mapping of the field (the index is `dynamic: strict`).
    mapping: dict[str, Any]
    # Returned in search results (and so in the marketplace's result serializer).
    in_results: bool = False
    # The TutorProfile boolean that, when False, keeps the field out of the public
    # profile, the document and every response: the field is absent, not null.
    hidden_by: str | None = None
    # Computed by the document builder for searching (never shown); otherwise copied
    # as it is from the tutor's public profile (and shown on the profile page).
    built: bool = False
    # The value is a list of the mapped type (OpenSearch maps a list like one value).
    many: bool = False
    # The value may be null (the field present, with no value).
    nullable: bool = False
    # A value for the API documentation's examples; None leaves the field out of them.
    example: Any = None


TUTOR_FIELDS: tuple[DocumentField, ...] = (
    DocumentField("id", {"type": "long"}, in_results=True, example=42),
    DocumentField("full_name", _TEXT_TYPED, in_results=True, example="Оксана Коваленко"),
    DocumentField("headline", _TEXT_TYPED, in_results=True, example="Математика для НМТ та олімпіад"),
    DocumentField("bio", _TEXT, hidden_by="show_bio_publicly", example="Готую до НМТ з 2016 року."),
    DocumentField(
        "avatar_url", _SHOWN_ONLY, in_results=True, hidden_by="show_avatar_publicly", nullable=True,
        example="https://cdn.example.com/a/42.jpg",
    ),
    DocumentField(
        "subjects", {"type": "keyword"}, in_results=True, hidden_by="show_subjects_publicly", many=True,
        example=["math", "physics"],
    ),
    # Names of the visible subjects in uk/en/pl plus aliases: "математика", "matematyka", "maths".
    DocumentField("subject_names", _TEXT, hidden_by="show_subjects_publicly", built=True),
    # Dictionary forms (uk, pl, en) of the headline's and bio's words that differ from
    # them, computed in Python (search/morphology.py), so inflected words find each other.
    DocumentField("headline_lemmas", _TEXT, built=True),
    DocumentField("bio_lemmas", _TEXT, hidden_by="show_bio_publicly", built=True),
    DocumentField("experience_years", {"type": "integer"}, in_results=True, nullable=True, example=8),
    DocumentField("hourly_rate", {"type": "integer"}, in_results=True, example=450),
    DocumentField(
        "certifications", _TEXT, in_results=True, hidden_by="show_certifications_publicly", many=True,
        example=["Сертифікат УЦОЯО"],
    ),
    # Whether the tutor lists any certification (false too when they hide them).
    DocumentField("has_certifications", {"type": "boolean"}, built=True),
    DocumentField("languages", {"type": "keyword"}, in_results=True, many=True, example=["uk", "en"]),
    DocumentField("timezone", {"type": "keyword"}, in_results=True, example="Europe/Kyiv"),
    DocumentField("rating", {"type": "float"}, in_results=True, example=4.9),
    DocumentField("reviews_count", {"type": "integer"}, in_results=True, example=37),
    # The Bayesian score (C*m + sum) / (m + n) of the reviews (web/profiles/ratings.py):
    # what `ordering=rating` and the relevance nudge rank by; results show the plain mean.
    DocumentField("rating_score", {"type": "float"}, built=True),
    # Students with an active relation to the tutor (kept by the relations app).
    DocumentField("active_students", {"type": "integer"}, in_results=True, example=6),
    # Off by default (show_email_publicly), so the examples leave it out.
    DocumentField("email", _SHOWN_ONLY, in_results=True, hidden_by="show_email_publicly"),
    # The weekdays with a slot (on the tutor's clock).
    DocumentField("available_weekdays", {"type": "byte"}, built=True),
    # The weekly slots in minutes of the UTC week, for the coming week's offsets, as numbers
    # a few numeric ranges search (search/availability.py): what an availability search
    # reads, in any zone. Not nested documents: those would add a hidden document per slot
    # to every search and to the index's memory.
    DocumentField("availability_utc", {"type": "long"}, built=True),
    # The profile version the document was built from (also its external version).
    DocumentField("version", {"type": "long"}, built=True),
)

# Copied from the public profile as they are, in this order.
PROFILE_FIELDS: tuple[DocumentField, ...] = tuple(f for f in TUTOR_FIELDS if not f.built)
# Fields of the document a search result may show. Everything else (version, the
# availability windows, the bio) stays in the index.
RESULT_FIELDS: tuple[str, ...] = tuple(f.name for f in TUTOR_FIELDS if f.in_results)
# Fields a privacy flag can hide.
HIDEABLE_FIELDS: tuple[DocumentField, ...] = tuple(f for f in TUTOR_FIELDS if f.hidden_by is not None)


def tutor_mapping(fields: tuple[DocumentField, ...] = TUTOR_FIELDS) -> dict[str, Any]:
    """The strict mapping of documents made of `fields`."""
    return {"dynamic": "strict", "properties": {f.name: f.mapping for f in fields}}

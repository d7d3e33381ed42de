"""The one list of tutor document fields (search/fields.py) and everything made from it
agree: the index mapping, the document builder, the fields search results return, the
public profile's privacy flags and the marketplace API's serializers and examples."""

from __future__ import annotations

from typing import Any

import pytest

from indexer.documents import TutorIndexer
from search.fields import HIDEABLE_FIELDS, PROFILE_FIELDS, RESULT_FIELDS, TUTOR_FIELDS, tutor_mapping
from search.indexes import ANALYSIS, TUTORS, IndexDefinition
from search.query import TutorQuery, tutor_search_body
from search.results import hit_to_result
from tests.factories import TutorProfileFactory
from web.marketplace.api import _RESULT_EXAMPLE, RESPONSE_FIELDS, TutorDetailApi, TutorResultSerializer
from web.profiles.models import TutorProfile
from web.profiles.selectors import tutor_public_profile

NAMES = [f.name for f in TUTOR_FIELDS]
FLAGS = sorted({f.hidden_by for f in HIDEABLE_FIELDS if f.hidden_by is not None})


def _full_profile(**overrides: Any) -> TutorProfile:
    """A listed tutor with a value for every field and every privacy flag on."""
    values: dict[str, Any] = dict(
        bio="Patient lessons", certifications=["CELTA"], avatar_url="https://cdn.example.com/a.jpg",
        rating=4.5, reviews_count=3, experience_years=7,
    )
    values.update({flag: True for flag in FLAGS})
    values.update(overrides)
    profile = TutorProfileFactory(**values)
    profile.slots.create(weekday=1, start="16:00", end="18:00")
    return TutorIndexer.queryset().get(pk=profile.pk)


def _analyzers(spec: dict[str, Any]) -> set[str]:
    found = {spec["analyzer"]} if "analyzer" in spec else set()
    for sub in spec.get("fields", {}).values():
        found |= _analyzers(sub)
    return found


# --- the list and the index ------------------------------------------------------------------


def test_the_mapping_is_made_of_the_field_list() -> None:
    assert len(NAMES) == len(set(NAMES))
    assert TUTORS.mapping == {"dynamic": "strict", "properties": {f.name: f.mapping for f in TUTOR_FIELDS}}
    for field in TUTOR_FIELDS:
        assert _analyzers(field.mapping) <= set(ANALYSIS["analyzer"]), field.name


def test_the_fingerprint_follows_the_mappings_not_the_order_of_the_list() -> None:
    """Reordering the list rebuilds nothing; changing a field's mapping does."""
    reordered = IndexDefinition(name="tutors", mapping=tutor_mapping(tuple(reversed(TUTOR_FIELDS))), analysis=ANALYSIS)
    assert list(reordered.mapping["properties"]) != NAMES
    assert reordered.fingerprint() == TUTORS.fingerprint()
    changed = tutor_mapping()
    changed["properties"] = {**changed["properties"], "rating": {"type": "double"}}
    assert IndexDefinition(name="tutors", mapping=changed, analysis=ANALYSIS).fingerprint() != TUTORS.fingerprint()


def test_results_return_the_result_fields_and_request_nothing_else() -> None:
    assert list(RESULT_FIELDS) == [f.name for f in TUTOR_FIELDS if f.in_results]
    assert set(RESULT_FIELDS) <= set(NAMES)
    assert not any(f.built for f in TUTOR_FIELDS if f.in_results)  # what the builder computes is never shown
    assert tutor_search_body(TutorQuery(), size=10)["_source"] == list(RESULT_FIELDS)
    everything = {"_source": {name: name for name in NAMES}}
    assert list(hit_to_result(everything)) == list(RESULT_FIELDS)


# --- the builder and the public profile ------------------------------------------------------


@pytest.mark.django_db
def test_the_builder_writes_exactly_the_mapped_fields() -> None:
    profile = _full_profile()
    public = tutor_public_profile(profile)
    assert public is not None
    assert set(public) - {"availability"} == {f.name for f in PROFILE_FIELDS}
    doc = TutorIndexer().extract_document(profile)
    assert doc is not None
    assert set(doc) == set(NAMES)
    assert all(doc[f.name] == public[f.name] for f in PROFILE_FIELDS)


@pytest.mark.django_db
@pytest.mark.parametrize("flag", FLAGS)
def test_each_privacy_flag_hides_exactly_its_fields(flag: str) -> None:
    hidden = {f.name for f in TUTOR_FIELDS if f.hidden_by == flag}
    profile = _full_profile(**{flag: False})
    public = tutor_public_profile(profile)
    doc = TutorIndexer().extract_document(profile)
    assert public is not None and doc is not None
    assert set(public) - {"availability"} == {f.name for f in PROFILE_FIELDS} - hidden
    assert set(doc) == set(NAMES) - hidden


@pytest.mark.django_db
def test_with_every_flag_off_only_the_unhideable_fields_remain() -> None:
    profile = _full_profile(**{flag: False for flag in FLAGS})
    doc = TutorIndexer().extract_document(profile)
    assert doc is not None
    assert set(doc) == {f.name for f in TUTOR_FIELDS if f.hidden_by is None}


# --- the marketplace API ---------------------------------------------------------------------


def _required(serializer: Any) -> dict[str, bool]:
    return {name: field.required for name, field in serializer.fields.items()}


def test_the_result_serializer_is_the_result_fields() -> None:
    fields = TutorResultSerializer().fields
    assert list(fields) == list(RESULT_FIELDS) + list(RESPONSE_FIELDS)
    by_name = {f.name: f for f in TUTOR_FIELDS}
    for name, field in fields.items():
        if name in RESPONSE_FIELDS:
            assert not field.required, name  # absent with the field it names
            continue
        assert field.required == (by_name[name].hidden_by is None), name
        assert field.allow_null == by_name[name].nullable, name


def test_the_profile_serializer_is_the_public_profile() -> None:
    fields = TutorDetailApi.OutputSerializer().fields
    # Then the slots: on the tutor's clock, and on the viewer's; subject names are added per response.
    slots = {"availability", "availability_viewer"}
    assert set(fields) == {f.name for f in PROFILE_FIELDS} | set(RESPONSE_FIELDS) | slots
    assert list(fields)[: len(RESULT_FIELDS)] == list(RESULT_FIELDS)
    assert set(list(fields)[-2:]) == {"availability", "availability_viewer"}


def test_the_examples_are_valid_results() -> None:
    required = {name for name, needed in _required(TutorResultSerializer()).items() if needed}
    assert required <= set(_RESULT_EXAMPLE) <= set(RESULT_FIELDS) | set(RESPONSE_FIELDS)
    assert TutorResultSerializer(data=_RESULT_EXAMPLE).is_valid()


# --- end to end: the real index and the API --------------------------------------------------


@pytest.mark.django_db
def test_a_full_tutor_is_indexed_searched_and_shown_as_the_list_says(api_client, index_tutors) -> None:
    profile = _full_profile()
    index_tutors(profile)  # the strict mapping accepts every field the builder writes

    results = api_client.get("/api/marketplace/tutors/").json()["results"]
    assert [r["id"] for r in results] == [profile.pk]
    assert list(results[0]) == list(RESULT_FIELDS) + list(RESPONSE_FIELDS)
    assert TutorResultSerializer(data=results[0]).is_valid()

    detail = api_client.get(f"/api/marketplace/tutors/{profile.pk}/").json()
    assert set(detail) == set(TutorDetailApi.OutputSerializer().fields)
    assert {key: detail[key] for key in (*RESULT_FIELDS, *RESPONSE_FIELDS)} == results[0]

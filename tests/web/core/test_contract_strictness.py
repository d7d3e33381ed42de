"""The shared helpers keep the API exactly as strict as its published schema."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from drf_spectacular.generators import SchemaGenerator
from jsonschema import Draft4Validator
from rest_framework import serializers

from web.core.params import query_input
from web.core.schema import EDGE_RESPONSES
from web.core.serializers import HourMinuteField, StrictSerializer, StringOrIntegerField


class Body(StrictSerializer):
    flag = serializers.BooleanField(required=False)
    name = serializers.CharField(required=False)
    count = serializers.IntegerField(required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    at = HourMinuteField(required=False)
    ref = StringOrIntegerField(required=False)
    short = serializers.CharField(required=False, max_length=5)
    shorts = serializers.ListField(child=serializers.CharField(max_length=5), required=False)


def test_a_text_is_measured_as_sent_not_after_trimming() -> None:
    # DRF trims before it counts; the schema's maxLength counts what is sent.
    one = Body(data={"short": "\u00a0abcde"})
    assert not one.is_valid() and list(one.errors) == ["short"]
    listed = Body(data={"shorts": ["ok", " abcde "]})
    assert not listed.is_valid() and list(listed.errors) == ["shorts"]
    assert "Item 1" in str(listed.errors["shorts"])
    assert Body(data={"short": "abcde", "shorts": ["abcde"]}).is_valid()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"flag": 0}, "flag"), ({"flag": "true"}, "flag"), ({"name": 42}, "name"), ({"count": "7"}, "count"),
     ({"count": True}, "count"), ({"tags": ["a", 0]}, "tags"), ({"at": "9:5"}, "at"), ({"at": "09:00:00"}, "at"),
     ({"ref": True}, "ref"), ({"ref": 1.5}, "ref")],
)
def test_a_json_value_of_another_type_is_refused_naming_the_field(body, field) -> None:
    serializer = Body(data=body)
    assert not serializer.is_valid()
    assert list(serializer.errors) == [field]


def test_values_of_the_declared_types_are_taken() -> None:
    serializer = Body(data={"flag": False, "name": "x", "count": 3, "tags": ["a"], "at": "23:59", "ref": 42})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["ref"] == "42"


class Query(serializers.Serializer):
    flag = serializers.BooleanField(required=False)
    word = serializers.CharField(required=False, max_length=5)


def test_a_query_value_is_measured_as_sent_blank_or_not() -> None:
    for value in (" abcde", "      "):
        with pytest.raises(serializers.ValidationError) as error:
            query_input(QueryDict(f"word={value}"), Query)
        assert list(error.value.detail) == ["word"]
    assert query_input(QueryDict("word=abcde"), Query) == {"word": "abcde"}
    assert query_input(QueryDict("word=%20%20"), Query) == {}  # blank within the limit: not given


@pytest.mark.parametrize("value", ["0", "1", "yes", "on", "True"])
def test_a_query_boolean_is_true_or_false_only(value) -> None:
    with pytest.raises(serializers.ValidationError):
        query_input(QueryDict(f"flag={value}"), Query)
    assert query_input(QueryDict("flag=true"), Query) == {"flag": "true"}
    assert query_input(QueryDict("flag="), Query) == {}  # blank: not given


def test_every_operation_declares_the_edge_answers_and_retry_after() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert set(EDGE_RESPONSES) <= set(responses), (method, path)
            for status in ("429", "503"):
                assert responses[status]["headers"]["Retry-After"]["schema"]["type"] == "integer", (method, path)
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    assert "minLength" not in parameter["schema"], (method, path, parameter["name"])


def test_every_query_parameter_admits_the_blank_value_the_api_reads_as_not_given() -> None:
    # `?page_size=` answers as if page_size were not given, so the schema must not call it invalid.
    schema = SchemaGenerator().get_schema(request=None, public=True)
    checked = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    validator = Draft4Validator(parameter["schema"])
                    assert validator.is_valid(""), (method, path, parameter["name"])
                    assert validator.is_valid("  "), (method, path, parameter["name"])
                    checked += 1
    assert checked > 20
    search_parameters = schema["paths"]["/api/marketplace/tutors/"]["get"]["parameters"]
    page_size = next(p["schema"] for p in search_parameters if p["name"] == "page_size")
    assert Draft4Validator(page_size).is_valid(10)
    assert not Draft4Validator(page_size).is_valid(0)
    assert not Draft4Validator(page_size).is_valid("ten")


def test_time_slots_are_published_as_the_hh_mm_they_accept() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    slot = schema["components"]["schemas"]["AvailabilitySlotRequest"]["properties"]
    assert "format" not in slot["start"] and slot["start"]["pattern"] == HourMinuteField.pattern
    assert "24:00" in slot["end"]["pattern"]

"""query_input: the strict reading of a list endpoint's query string."""

from __future__ import annotations

import pytest
from django.http import QueryDict
from rest_framework import serializers

from web.core.params import query_input


class Input(serializers.Serializer):
    page_size = serializers.IntegerField(required=False)
    search = serializers.CharField(required=False)


def errors(query: str) -> dict:
    with pytest.raises(serializers.ValidationError) as caught:
        query_input(QueryDict(query), Input)
    return caught.value.detail


def test_single_values_pass_and_blank_ones_are_dropped() -> None:
    assert query_input(QueryDict("page_size=5&search="), Input) == {"page_size": "5"}
    assert query_input(QueryDict("search=%20%20"), Input) == {}
    assert query_input(QueryDict(""), Input) == {}


def test_renderer_choice_and_cache_buster_are_allowed() -> None:
    assert query_input(QueryDict("format=json&_=1732390000&search=x"), Input) == {"search": "x"}


def test_unknown_and_repeated_parameters_are_named_together() -> None:
    detail = errors("pagesize=5&search=a&search=b")
    assert set(detail) == {"pagesize", "search"}
    assert "page_size" in str(detail["pagesize"][0])
    assert "once" in str(detail["search"][0])


def test_a_huge_unknown_name_is_cut_in_the_error() -> None:
    assert [len(name) for name in errors("x" * 500 + "=1")] == [64]

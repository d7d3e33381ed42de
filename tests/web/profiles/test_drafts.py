"""Deep merge and dirty paths, on their own."""

from __future__ import annotations

from web.profiles.drafts import deep_merge, dirty_paths


def test_nested_objects_merge_and_lists_replace() -> None:
    base = {"headline": "a", "privacy": {"x": True, "y": True}, "subjects": ["math", "physics"]}
    merged = deep_merge(base, {"privacy": {"y": False}, "subjects": ["music"]})
    assert merged == {"headline": "a", "privacy": {"x": True, "y": False}, "subjects": ["music"]}
    assert base["privacy"] == {"x": True, "y": True}, "the base must not be mutated"


def test_a_scalar_replaces_an_object_and_back() -> None:
    assert deep_merge({"a": {"b": 1}}, {"a": 2}) == {"a": 2}
    assert deep_merge({"a": 2}, {"a": {"b": 1}}) == {"a": {"b": 1}}


def test_dirty_paths_depth_one_to_three() -> None:
    persisted = {"headline": "a", "s": {"rate": 1, "deep": {"x": 1, "more": {"y": 1}}}}
    draft = {"headline": "b", "s": {"rate": 2, "deep": {"x": 2, "more": {"y": 2}}}}
    assert dirty_paths(draft, persisted) == ["headline", "s.deep.more", "s.deep.x", "s.rate"]


def test_unchanged_values_are_not_dirty() -> None:
    assert dirty_paths({"headline": "a", "s": {"rate": 1}}, {"headline": "a", "s": {"rate": 1}}) == []


def test_arrays_are_reported_whole() -> None:
    persisted = {"subjects": ["math", "physics", "music"]}
    assert dirty_paths({"subjects": ["math", "physics", "chemistry"]}, persisted) == ["subjects"]
    assert dirty_paths({"subjects": ["math", "physics", "music"]}, persisted) == []


def test_a_key_the_profile_lacks_is_dirty() -> None:
    assert dirty_paths({"new": {"k": 1}}, {}) == ["new"]

"""Pure functions behind drafts: deep merge and the dirty-path diff."""

from __future__ import annotations

import copy
from typing import Any

DIFF_MAX_DEPTH = 3


def deep_merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Merge `patch` into a copy of `base`: nested objects merge, everything else
    (lists included) replaces."""
    merged = copy.deepcopy(base)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


_MISSING = object()


def dirty_paths(draft: dict[str, Any], persisted: dict[str, Any], max_depth: int = DIFF_MAX_DEPTH) -> list[str]:
    """Paths where the draft differs from the persisted data, e.g. ["headline", "privacy.show_bio_publicly"].

    Objects are descended up to `max_depth` levels; below that, and for arrays,
    a difference is reported for the whole value at its own path (no indexes).
    """
    dirty: list[str] = []

    def walk(left: dict[str, Any], right: Any, prefix: str, depth: int) -> None:
        for key in sorted(left):
            path = f"{prefix}.{key}" if prefix else key
            value = left[key]
            other = right.get(key, _MISSING) if isinstance(right, dict) else _MISSING
            if isinstance(value, dict) and isinstance(other, dict) and depth < max_depth:
                walk(value, other, path, depth + 1)
            elif other is _MISSING or value != other:
                dirty.append(path)

    walk(draft, persisted, "", 1)
    return dirty

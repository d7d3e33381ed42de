"""Mapping an OpenSearch response to the API's page: hits, cursor values, facets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from search.fields import RESULT_FIELDS


@dataclass
class SearchPage:
    results: list[dict[str, Any]]
    # Sort values of the last hit served when there is a next page, else None.
    next_after: list[Any] | None
    has_more: bool
    facets: dict[str, list[dict[str, Any]]] | None = None
    took_ms: int | None = None
    # Matches of the whole query (not only this page); a lower bound when not exact.
    total: int = 0
    total_exact: bool = True
    # The opaque cursor for the next page (set by the caller that knows the query).
    cursor: str | None = None
    # Corrected queries that find tutors, when a search found nobody (search/suggest.py).
    did_you_mean: list[str] | None = None


def hit_to_result(hit: dict[str, Any]) -> dict[str, Any]:
    """A result from `_source`, through the allow-list (a field absent there stays absent)."""
    source = hit.get("_source") or {}
    return {key: source[key] for key in RESULT_FIELDS if key in source}


def _terms(agg: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"value": b["key"], "count": b["doc_count"]} for b in agg["values"]["buckets"]]


def _histogram(agg: dict[str, Any], interval: int) -> list[dict[str, Any]]:
    buckets = []
    for bucket in agg["values"]["buckets"]:
        if bucket["doc_count"]:
            low = int(bucket["key"])
            # Both ends inclusive, like price_min and price_max: a bucket's bounds given
            # as those filters find exactly its tutors.
            buckets.append({"from": low, "to": low + interval - 1, "count": bucket["doc_count"]})
    return buckets


def facets_from(aggregations: dict[str, Any], price_interval: int) -> dict[str, list[dict[str, Any]]]:
    return {
        "subjects": _terms(aggregations["subjects"]),
        "languages": _terms(aggregations["languages"]),
        "price": _histogram(aggregations["price"], price_interval),
    }


def page_from(response: dict[str, Any], size: int, price_interval: int | None = None) -> SearchPage:
    """The response of a body built for `size` (which asked for size + 1 hits)."""
    hits = response["hits"]["hits"]
    has_more = len(hits) > size
    served = hits[:size]
    next_after = list(served[-1]["sort"]) if has_more and served else None
    facets = None
    if price_interval is not None and "aggregations" in response:
        facets = facets_from(response["aggregations"], price_interval)
    total = response["hits"].get("total") or {"value": len(hits), "relation": "gte"}
    return SearchPage(
        results=[hit_to_result(hit) for hit in served],
        next_after=next_after,
        has_more=has_more,
        facets=facets,
        took_ms=response.get("took"),
        total=total["value"],
        total_exact=total["relation"] == "eq",
    )

"""Facet counts in the request shape that is cheap on the engine, same counts as before.

Each facet counts the tutors matching every filter except its own (disjunctive counts:
choosing a subject still shows the other subjects' counts). The first shape put the
facet filters in a `post_filter` and gave each facet a `filter` aggregation, so the
main query matched *every* tutor when a facet was chosen, and every facet walked all
of them. On the embedded engine an aggregation costs about the same per matching
document whatever it is, and a clause matching every document is the slowest thing
it does, so the cost was three aggregations over the whole index (250-340 ms at
20,000 tutors) however narrow the selection.

Now, in one `_msearch`:
- the hits request carries every filter in its query, and the aggregations of the
  facets whose own filter is not set (their counts are the hits' own counts);
- each facet whose filter is set gets a `size: 0` request whose query is the search
  without that one filter; with no filter left, that is the unfiltered index (what a
  sidebar shows first), one request for every facet that needs it.
- Counts made without search text depend only on the filters, so they are the same for
  everyone: they are kept in process (`FacetCountCache`, per facet and filters) for
  `COUNTS_TTL_SECONDS` and asked for only when missing. On the embedded engine an
  aggregation costs about 5 microseconds per document it counts, so a sidebar whose
  chosen language matches most tutors would otherwise pay for counting them on every
  change. The hits, and the facets counted over them, are never cached.
Only standard query DSL; nothing here talks to the cluster.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from search.query import (
    LANGUAGE_FACET_SIZE,
    PRICE_HISTOGRAM_INTERVAL,
    SUBJECT_FACET_SIZE,
    TutorQuery,
    facet_filters,
    tutor_search_body,
)

Clause = dict[str, Any]
FACETS = ("subjects", "languages", "price")
# How stale cached counts may be. They move by one when a tutor joins, leaves or changes
# a subject, language or rate; a sidebar is fine with that.
COUNTS_TTL_SECONDS = 30.0
# How many (facet, filters) counts a process keeps; the least recently used go first.
COUNTS_CACHE_SIZE = 512


def facet_aggregation(name: str, price_interval: int = PRICE_HISTOGRAM_INTERVAL) -> Clause:
    """The aggregation of one facet (counted over whatever the request's query matches)."""
    by_count: list[Clause] = [{"_count": "desc"}, {"_key": "asc"}]
    if name == "subjects":
        return {"terms": {"field": "subjects", "size": SUBJECT_FACET_SIZE, "order": by_count}}
    if name == "languages":
        return {"terms": {"field": "languages", "size": LANGUAGE_FACET_SIZE, "order": by_count}}
    if name == "price":
        return {"histogram": {"field": "hourly_rate", "interval": price_interval, "min_doc_count": 1}}
    raise ValueError(f"unknown facet {name!r}")


def _without(query: TutorQuery, facet: str) -> TutorQuery:
    """The query without one facet's own filter."""
    if facet == "subjects":
        return replace(query, subject=None)
    if facet == "languages":
        return replace(query, language=None)
    return replace(query, price_min=None, price_max=None)


def _has_text(query: TutorQuery) -> bool:
    return bool(query.search and query.search.strip())


def _unfiltered(query: TutorQuery) -> bool:
    """Whether the query matches every listed tutor (no filter, no text)."""
    return not query.filters and not _has_text(query)


def count_key(name: str, query: TutorQuery) -> str:
    """The cache key of facet `name` counted over `query` (a query without text)."""
    return json.dumps([name, query.filters], sort_keys=True, default=str)


def _count_body(query: TutorQuery, facets: list[str]) -> dict[str, Any]:
    body = tutor_search_body(query, size=0, lookahead=False)
    return {
        "query": body["query"],
        "size": 0,
        "track_total_hits": False,
        "aggs": {name: facet_aggregation(name) for name in facets},
    }


@dataclass
class FacetPlan:
    """The requests of one faceted search and which facet comes from which answer."""

    # The hits body, with the aggregations of the facets counted over the hits.
    hits_body: dict[str, Any]
    # size-0 bodies, each with the facets it counts.
    count_bodies: list[tuple[dict[str, Any], list[str]]] = field(default_factory=list)
    # Facets served from the cache (already known).
    cached: dict[str, Any] = field(default_factory=dict)
    # Facets counted in `count_bodies` that are stored once answered: name -> cache key.
    to_cache: dict[str, str] = field(default_factory=dict)

    def bodies(self) -> list[dict[str, Any]]:
        return [self.hits_body, *(body for body, _ in self.count_bodies)]


class FacetCountCache:
    """Raw aggregation answers of counts made without search text, per facet and filters,
    for `ttl` seconds; at most `size` of them, the least recently used dropped first."""

    def __init__(self, ttl: float = COUNTS_TTL_SECONDS, size: int = COUNTS_CACHE_SIZE) -> None:
        self.ttl = ttl
        self.size = size
        self._values: OrderedDict[str, tuple[Any, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Any | None:
        with self._lock:
            found = self._values.get(key)
            if found is None:
                return None
            if time.monotonic() - found[1] > self.ttl:
                del self._values[key]
                return None
            self._values.move_to_end(key)
            return found[0]

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._values[key] = (value, time.monotonic())
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


facet_counts = FacetCountCache()


def facet_plan(
    query: TutorQuery, hits_body: dict[str, Any], cache: FacetCountCache | None = facet_counts
) -> FacetPlan:
    """Split a faceted search into its requests (see the module's docstring).

    `hits_body` is the search without facets (`tutor_search_body(..., facets=False)`):
    every filter in its query, so it matches exactly the hits.
    """
    hits_body = dict(hits_body)
    plan = FacetPlan(hits_body=hits_body)
    chosen = facet_filters(query)
    over_hits: list[str] = []
    # Facets counted over a query other than the hits', grouped by that query.
    apart: dict[str, tuple[TutorQuery, list[str]]] = {}
    for name in FACETS:
        base = _without(query, name) if name in chosen else query
        if name not in chosen and not _unfiltered(base):
            over_hits.append(name)
            continue
        if not _has_text(base):
            key = count_key(name, base)
            value = cache.get(key) if cache is not None else None
            if value is not None:
                plan.cached[name] = value
                continue
            plan.to_cache[name] = key
        group = json.dumps(base.identity(), sort_keys=True, default=str)
        apart.setdefault(group, (base, []))[1].append(name)
    for base, names in apart.values():
        plan.count_bodies.append((_count_body(base, names), names))
    if over_hits:
        hits_body["aggs"] = {name: facet_aggregation(name) for name in over_hits}
    return plan


def facet_aggregations_of(
    plan: FacetPlan, responses: list[dict[str, Any]], cache: FacetCountCache | None = facet_counts
) -> dict[str, Any]:
    """The answers of `plan.bodies()` (in order) as one `aggregations` object, each facet
    as `{"values": <its aggregation>}` (what search.results.facets_from reads)."""
    found: dict[str, Any] = {}
    hits_aggs = responses[0].get("aggregations") or {}
    for name, value in hits_aggs.items():
        found[name] = value
    for (_, names), response in zip(plan.count_bodies, responses[1:], strict=True):
        for name in names:
            found[name] = response["aggregations"][name]
    for name, key in plan.to_cache.items():
        if cache is not None:
            cache.put(key, found[name])
    found.update(plan.cached)
    return {name: {"values": found[name]} for name in FACETS}

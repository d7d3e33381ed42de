"""Searching tutors: build the request, run it behind the circuit breaker, map the page."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from opensearchpy.exceptions import HTTP_EXCEPTIONS, TransportError

from search.breaker import search_breaker
from search.client import search_client
from search.cursor import InvalidCursor, cursor_decode, cursor_encode
from search.facets import facet_aggregations_of, facet_plan
from search.indexes import TUTORS
from search.query import (
    MAX_RESULT_WINDOW,
    PRICE_HISTOGRAM_INTERVAL,
    TutorQuery,
    cursor_length,
    paginates_by_offset,
    tutor_search_body,
)
from search.results import SearchPage, page_from
from search.suggest import did_you_mean


def _faceted(query: TutorQuery, body: dict[str, Any]) -> dict[str, Any]:
    """The hits and every facet's counts in one `_msearch` (search/facets.py), answered
    as one search response."""
    plan = facet_plan(query, body)

    def run() -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = []
        for part in plan.bodies():
            lines += [{"index": TUTORS.read_alias}, part]
        answer = search_client().msearch(body=lines)
        responses = answer["responses"]
        for item in responses:
            if "error" in item:
                status = item.get("status", 500)
                raise HTTP_EXCEPTIONS.get(status, TransportError)(status, str(item["error"])[:300], item)
        # The engine's time: its parts' (the embedded engine's top-level `took` of an
        # _msearch is not the time it spent).
        took = sum(int(item.get("took", 0)) for item in responses)
        return [{**responses[0], "took": took}, *responses[1:]]

    responses = search_breaker().call(run)
    return {**responses[0], "aggregations": facet_aggregations_of(plan, responses)}


def tutor_search(query: TutorQuery, *, page_size: int, cursor: str | None = None, facets: bool = False) -> SearchPage:
    """One page of tutors matching `query`, in its order, after `cursor` if given.

    Raises search.cursor.InvalidCursor for a forged or foreign cursor and
    search.breaker.SearchUnavailable when the cluster cannot answer.
    """
    identity = query.identity()
    by_offset = paginates_by_offset(query)
    position = cursor_decode(cursor, identity, length=cursor_length(query)) if cursor else None
    offset, after = 0, None
    if position is not None and by_offset:
        offset = position[0]
        if not isinstance(offset, int) or not 0 < offset < MAX_RESULT_WINDOW:
            raise InvalidCursor("Invalid cursor.")
    elif position is not None:
        after = position
    # Never ask past the result window (from + size): the last reachable page may be
    # shorter, and has no room to look one hit ahead, nor a page after it.
    size = max(0, min(page_size, MAX_RESULT_WINDOW - offset)) if by_offset else page_size
    lookahead = not by_offset or offset + size < MAX_RESULT_WINDOW
    body = tutor_search_body(query, size=size, search_after=after, offset=offset, lookahead=lookahead)

    def run() -> dict[str, Any]:
        return search_client().search(index=TUTORS.read_alias, body=body)

    response = search_breaker().call(run) if not facets else _faceted(query, body)
    page = page_from(response, size, PRICE_HISTOGRAM_INTERVAL if facets else None)
    if page.has_more and by_offset:
        page.next_after = [offset + size]
    page.cursor = cursor_encode(page.next_after, identity) if page.next_after is not None else None
    if query.search and page.total == 0 and position is None:
        text = query.search
        page.did_you_mean = did_you_mean(
            text, lambda candidate: tutor_search_body(replace(query, search=candidate), size=0, lookahead=False)
        )
    return page

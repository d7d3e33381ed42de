"""The tutor search request, built from small pieces.

Each query parameter has its own function turning a validated value into one DSL
clause (or None when the parameter is absent); sort orders come from an allow-list;
`tutor_search_body` composes them into one request body. Nothing here talks to the
cluster or to the database, so every piece is testable on its own.

Only standard query DSL is used (no scripts), so a real OpenSearch cluster runs these
bodies unchanged.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from search.availability import AvailabilityFilter, availability_clause
from search.fields import RESULT_FIELDS
from search.scoring import RATING_FIELD, quality_nudge, text_clause

Clause = dict[str, Any]

# Every word becomes one clause per text field (search/scoring.py), and a cluster refuses
# a query of more than 1,024 clauses (indices.query.bool.max_clause_count): 32 words x 9
# clauses stay inside, with room for the filters and the relevance bands.
SEARCH_MAX_TERMS = 32


def _own_term(char: str, category: str) -> bool:
    """A character the standard tokenizer makes a term of its own: an emoji or other
    symbol, and a Chinese or Japanese character (wide letters; Hangul is counted the same
    way, which over-counts it)."""
    return category == "So" or (category == "Lo" and unicodedata.east_asian_width(char) in "WF")


def search_terms(text: str) -> int:
    """How many terms the analyser makes of `text`, at most (an upper estimate).

    A run of letters, digits, combining marks and connectors ("o_o", "हिन्दी", a
    decomposed "école") is one term; spaces and punctuation end it, so "a,b,c" is three
    (and "7.5" two, where the tokenizer keeps one); emoji and ideographs count one each.
    """
    terms, in_word = 0, False
    for char in text:
        category = unicodedata.category(char)
        if _own_term(char, category):
            terms, in_word = terms + 1, False
        elif category[0] in "LNM" or category == "Pc":
            if not in_word:
                terms, in_word = terms + 1, True
        else:
            in_word = False
    return terms


# "Best rated" ranks by RATING_FIELD, the Bayesian score of the reviews (search/scoring.py),
# so a 5.0 from one review does not outrank a 4.9 from two hundred.
ORDERINGS = ("relevance", "price", "-price", "experience", "rating")
DEFAULT_ORDERING = "rating"
_INT_MAX = 2**31 - 1

# Every order ends with the unique `id`, so equal sort values still give one total
# order and `search_after` neither skips nor repeats a tutor. Missing values get an
# explicit number (not _last), so every sort value is a plain number a cursor can carry.
SORTS: dict[str, list[Clause]] = {
    "relevance": [{"_score": {"order": "desc"}}, {RATING_FIELD: {"order": "desc", "missing": -1}}, {"id": "asc"}],
    "price": [{"hourly_rate": {"order": "asc", "missing": _INT_MAX}}, {"id": "asc"}],
    "-price": [{"hourly_rate": {"order": "desc", "missing": -1}}, {"id": "asc"}],
    # Most experienced first.
    "experience": [{"experience_years": {"order": "desc", "missing": -1}}, {"id": "asc"}],
    # Best rated first; among equal ratings the better-proven one.
    "rating": [
        {RATING_FIELD: {"order": "desc", "missing": -1}},
        {"reviews_count": {"order": "desc", "missing": -1}},
        {"id": "asc"},
    ],
}


@dataclass(frozen=True)
class TutorQuery:
    """Validated search parameters (validation happens in the API layer)."""

    subject: str | None = None
    price_min: int | None = None
    price_max: int | None = None
    experience_min: int | None = None
    language: str | None = None
    has_certifications: bool | None = None
    search: str | None = None
    ordering: str | None = None
    # Free in a weekly window (search/availability.py), already converted to UTC.
    available: AvailabilityFilter | None = None

    @property
    def effective_ordering(self) -> str:
        """Relevance when there is text to be relevant to, else the explicit or default order."""
        if self.ordering and self.ordering != "relevance":
            return self.ordering
        return "relevance" if self.search else DEFAULT_ORDERING

    def identity(self) -> dict[str, Any]:
        """Everything that defines the result list and its order (a cursor is bound to it)."""
        data = {key: value for key, value in asdict(self).items() if value is not None}
        data["ordering"] = self.effective_ordering
        return data

    @property
    def filters(self) -> dict[str, Any]:
        """The filters given (no text, no ordering): what `marketplace.filter.applied` reports."""
        return {
            key: value
            for key, value in asdict(self).items()
            if key not in {"search", "ordering"} and value is not None
        }


# --- one piece per parameter ---------------------------------------------------------


def subject_clause(slug: str | None) -> Clause | None:
    return {"term": {"subjects": slug}} if slug else None


def language_clause(code: str | None) -> Clause | None:
    return {"term": {"languages": code}} if code else None


def price_clause(price_min: int | None, price_max: int | None) -> Clause | None:
    bounds = {key: value for key, value in (("gte", price_min), ("lte", price_max)) if value is not None}
    return {"range": {"hourly_rate": bounds}} if bounds else None


def experience_clause(experience_min: int | None) -> Clause | None:
    return {"range": {"experience_years": {"gte": experience_min}}} if experience_min is not None else None


def certifications_clause(has_certifications: bool | None) -> Clause | None:
    return {"term": {"has_certifications": has_certifications}} if has_certifications is not None else None


def sort_clause(ordering: str) -> list[Clause]:
    try:
        return [dict(part) for part in SORTS[ordering]]
    except KeyError:
        raise ValueError(f"unknown ordering {ordering!r}") from None


# --- facets ------------------------------------------------------------------------------

# Filters that have a facet: they go into post_filter, so each facet can count over
# every filter except its own.
FacetFilters = dict[str, Clause]
PRICE_HISTOGRAM_INTERVAL = 100
SUBJECT_FACET_SIZE = 100
LANGUAGE_FACET_SIZE = 50


def facet_filters(query: TutorQuery) -> FacetFilters:
    pieces = {
        "subjects": subject_clause(query.subject),
        "languages": language_clause(query.language),
        "price": price_clause(query.price_min, query.price_max),
    }
    return {name: clause for name, clause in pieces.items() if clause is not None}


def facet_aggregations(filters: FacetFilters, price_interval: int = PRICE_HISTOGRAM_INTERVAL) -> Clause:
    """One aggregation per facet, filtered by the other facets' filters but not its own,
    so choosing a subject still shows how many tutors each other subject has."""
    by_count: list[Clause] = [{"_count": "desc"}, {"_key": "asc"}]
    inner: dict[str, Clause] = {
        "subjects": {"terms": {"field": "subjects", "size": SUBJECT_FACET_SIZE, "order": by_count}},
        "languages": {"terms": {"field": "languages", "size": LANGUAGE_FACET_SIZE, "order": by_count}},
        "price": {"histogram": {"field": "hourly_rate", "interval": price_interval, "min_doc_count": 1}},
    }
    aggs: dict[str, Clause] = {}
    for name, agg in inner.items():
        others = [clause for other, clause in filters.items() if other != name]
        aggs[name] = {"filter": _all_of(others), "aggs": {"values": agg}}
    return aggs


# --- composition ---------------------------------------------------------------------------


def _all_of(clauses: list[Clause]) -> Clause:
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


_NON_FACET_FILTERS: tuple[Callable[[TutorQuery], Clause | None], ...] = (
    lambda q: experience_clause(q.experience_min),
    lambda q: certifications_clause(q.has_certifications),
    lambda q: availability_clause(q.available),
)


def tutor_search_body(
    query: TutorQuery,
    *,
    size: int,
    search_after: list[Any] | None = None,
    offset: int = 0,
    facets: bool = False,
    lookahead: bool = True,
) -> dict[str, Any]:
    """One search request: bool filter + full text + sort (+ position, + facets).

    `size` is what the caller asks for; with `lookahead` the body requests one more hit
    so the caller knows whether another page exists without counting (the last page of
    the result window has no room for it). The position is `search_after` for field
    orders and `offset` for relevance (see `paginates_by_offset`).
    """
    filters: list[Clause] = [c for c in (piece(query) for piece in _NON_FACET_FILTERS) if c is not None]
    by_facet = facet_filters(query)
    if not facets:
        filters.extend(by_facet.values())
    text = text_clause(query.search)
    if text is not None:
        main = quality_nudge(text)
        if filters:
            main["bool"]["filter"] = filters
    else:
        main = _all_of(filters)
        if filters:
            main = {"constant_score": {"filter": main}}
    body: dict[str, Any] = {
        "query": main,
        "sort": sort_clause(query.effective_ordering),
        "size": size + 1 if lookahead else size,
        "track_total_hits": TOTAL_COUNTED_UP_TO,
        "_source": list(RESULT_FIELDS),
    }
    if search_after is not None:
        body["search_after"] = list(search_after)
    if offset:
        body["from"] = offset
    if facets:
        if by_facet:
            body["post_filter"] = _all_of(list(by_facet.values()))
        body["aggs"] = facet_aggregations(by_facet)
    return body


# from + size may not exceed the index's max_result_window.
MAX_RESULT_WINDOW = 10_000
# Matches are counted exactly up to this many, past it the count is a lower bound. It is
# OpenSearch's default for a search that does not say, so a cluster does this work
# unless told not to; on the embedded engine, which visits every match anyway, counting
# and not counting measured the same at 100k tutors.
TOTAL_COUNTED_UP_TO = 10_000


def paginates_by_offset(query: TutorQuery) -> bool:
    """Relevance pages by offset, field orders by `search_after`.

    A relevance order has no stable key to continue after: BM25 scores of every
    document drift whenever any document is indexed, so a `_score` cursor is no
    more stable than an offset, and it needs scores to round-trip exactly through
    JSON (osmem compares them at a different precision than it returns them, and
    skips or repeats ties). An offset is exact within an unchanged index. Field
    orders end with the unique `id`, so `search_after` continues exactly where
    the previous page stopped even while documents change.
    """
    return query.effective_ordering == "relevance"


def cursor_length(query: TutorQuery) -> int:
    """How many values a cursor for this query carries: one offset, or one per sort clause."""
    return 1 if paginates_by_offset(query) else len(SORTS[query.effective_ordering])

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

from search.fields import RESULT_FIELDS

Clause = dict[str, Any]

# Full text: name and headline say most about a tutor, subject names (uk/en/pl and
# aliases) let "математика", "matematyka" and "maths" find math tutors; the stemmed
# `headline.en` adds English stemming where it matters ("physics lesson" ~ "Physics
# lessons"). Subject names are a fixed catalogue that already lists its variants, and a
# bio is long prose, so neither gets a stemmed copy: each field searched costs a pass
# over its postings, and those two would double the work for the broadest queries.
TEXT_FIELDS = (
    "full_name^3",
    "headline^2",
    "headline.en",
    "subject_names^2",
    "bio",
)
# Typos are forgiven in the short fields people search by (name, headline, subject
# names), not in a bio: fuzzy terms over long prose match noise, and expanding them
# over every bio is the most expensive part of a fuzzy query.
FUZZY_FIELDS = ("full_name^3", "headline^2", "subject_names^2")
# Queries with more words than this are not made typo-tolerant: every fuzzy term
# expands to many, and a long query has enough exact terms to match on.
FUZZY_MAX_TERMS = 4
FUZZY_MAX_EXPANSIONS = 20
# Every term becomes one clause per text field, and a cluster refuses a query of more
# than 1,024 clauses (indices.query.bool.max_clause_count): 32 terms x 5 fields stay
# well inside, with room for the filters and the relevance bands.
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


# What "best rated" ranks by: the Bayesian score of the reviews (search/fields.py), so a
# 5.0 from one review does not outrank a 4.9 from two hundred.
RATING_FIELD = "rating_score"

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


def text_clause(text: str | None) -> Clause | None:
    """Full text over name, headline, subject names and bio.

    An exact multi_match (stemmed sub-fields included) and, for short queries, a fuzzy
    one (AUTO edits, first letter fixed) so "physcs" finds physics; the exact clause
    scores higher, so a correctly spelt word beats its near-misses.
    """
    if not text or not text.strip():
        return None
    exact: Clause = {
        "multi_match": {
            "query": text,
            "type": "best_fields",
            "fields": list(TEXT_FIELDS),
            "tie_breaker": 0.3,
            "boost": 2.0,
        }
    }
    if search_terms(text) > FUZZY_MAX_TERMS:
        return exact
    fuzzy: Clause = {
        "multi_match": {
            "query": text,
            "type": "best_fields",
            "fields": list(FUZZY_FIELDS),
            "fuzziness": "AUTO",
            "prefix_length": 1,
            "max_expansions": FUZZY_MAX_EXPANSIONS,
            "tie_breaker": 0.3,
        }
    }
    return {"bool": {"should": [exact, fuzzy], "minimum_should_match": 1}}


# The relevance nudge: (field, from, to (exclusive, None: open), score added). Bands of
# one field do not overlap, so each tutor is visited once per field. At most 1.5 is
# added: with 20k demo tutors a one-word match on a name, headline or subject scores
# about 7-18 and a typo-only match 3-4, so the nudge reorders near-equal matches but
# does not lift a passing mention over a real match.
QUALITY_BANDS: tuple[tuple[str, float, float | None, float], ...] = (
    (RATING_FIELD, 4.5, None, 1.0),
    (RATING_FIELD, 4.0, 4.5, 0.5),
    ("reviews_count", 100, None, 0.5),
)


def quality_boost(query: Clause) -> Clause:
    """Nudge relevance by rating and number of reviews, without scripts.

    Each band of `QUALITY_BANDS` is an optional constant-score clause next to the text
    query, so its score is added only to the tutors inside the band. A `function_score`
    (field_value_factor) or `rank_feature` would scale smoothly but computes a function
    for every matching tutor; on the embedded engine that costs 3-6x the text query
    itself, while a range is plain postings on any engine. Ties left after the nudge
    are broken by the sort (rating, then id).
    """
    bands = []
    for field, low, high, boost in QUALITY_BANDS:
        bounds = {"gte": low} if high is None else {"gte": low, "lt": high}
        bands.append({"constant_score": {"filter": {"range": {field: bounds}}, "boost": boost}})
    return {"bool": {"must": [query], "should": bands}}


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
        main = quality_boost(text)
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

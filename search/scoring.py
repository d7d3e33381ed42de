"""Relevance: every query word counts once, whichever field it matched in; then a small
nudge by rating and reviews that only reorders tutors whose text match is comparable.

Each query word scores on its own (a `dis_max` over the fields, so a word found in the
name and the headline counts once, at its best field's weight), and the words add up: a
tutor who matches "matematyka" in the subject names and "Łomża" in the headline has both
words, and beats every tutor with only one of them. Scores are constant per field
(`constant_score`), not BM25: a word's weight says where it matched (name > headline >
subject names > bio; a typo or a dictionary form a little less), so the scale of every
score is known, and the nudge can be bounded against it. Words that say nothing about a
tutor ("for", "z", "для") still match but count little.

The nudge is additive constant-score bands on the rating and review count (cheap on
every engine: plain postings, no per-document function, no scripts). Their sum
(`NUDGE_MAX`) is smaller than the smallest difference between two different text
matches (`TEXT_STEP`): one more query word, or a word in a better field. So the nudge
breaks ties and near-ties, and can never lift a tutor matching fewer words over one
matching more. tests/search/test_scoring.py checks both bounds.
"""

from __future__ import annotations

from typing import Any

from search.morphology import is_stopword, word_forms, words

Clause = dict[str, Any]

# What the rating nudge and the rating sort read: the Bayesian score kept by the reviews app
# (a tutor with few reviews is pulled toward the platform mean), not the plain mean.
RATING_FIELD = "rating_score"
REVIEWS_FIELD = "reviews_count"

# What one query word is worth, by the field it matched in.
NAME_WEIGHT = 1.0
HEADLINE_WEIGHT = 0.9
SUBJECT_WEIGHT = 0.8
BIO_WEIGHT = 0.7
# A dictionary form ("matematyki" -> "matematyka") found in the lemmatised copy.
LEMMA_FACTOR = 0.97
# A typo forgiven (name, headline and subject names only: over long prose fuzzy terms
# match noise, and expanding them over every bio is the costliest part of a query).
FUZZY_FACTOR = 0.65
# A stopword counts this fraction of a real word.
STOPWORD_FACTOR = 0.1

# (field, weight, searched with the word's dictionary forms too, typo tolerant)
WORD_FIELDS: tuple[tuple[str, float, bool, bool], ...] = (
    ("full_name", NAME_WEIGHT, False, True),
    ("headline", HEADLINE_WEIGHT, True, True),
    ("headline_lemmas", HEADLINE_WEIGHT * LEMMA_FACTOR, True, False),
    ("subject_names", SUBJECT_WEIGHT, True, True),
    ("bio", BIO_WEIGHT, True, False),
    ("bio_lemmas", BIO_WEIGHT * LEMMA_FACTOR, True, False),
)

# Queries with more words than this are not made typo tolerant: every fuzzy term expands
# to many, and a long query has enough exact words to match on.
FUZZY_MAX_WORDS = 4
FUZZY_MAX_EXPANSIONS = 20

# (field, from, to (exclusive; None: open), score added). Bands of one field do not overlap.
QUALITY_BANDS: tuple[tuple[str, float, float | None, float], ...] = (
    (RATING_FIELD, 4.8, None, 0.04),
    (RATING_FIELD, 4.5, 4.8, 0.03),
    (RATING_FIELD, 4.0, 4.5, 0.015),
    (REVIEWS_FIELD, 100, None, 0.02),
    (REVIEWS_FIELD, 20, 100, 0.01),
)


def _nudge_max() -> float:
    best: dict[str, float] = {}
    for field, _low, _high, boost in QUALITY_BANDS:
        best[field] = max(best.get(field, 0.0), boost)
    return sum(best.values())


# The most the nudge adds to any tutor.
NUDGE_MAX = _nudge_max()
# The smallest lead a clearly better text match has: a word in a better field (exact
# matches), or one real word more (the weakest real word is a typo in the subject names).
# A dictionary form or a typo in a better field may sit closer to an exact word in a
# worse one: those are the comparable matches the nudge may reorder.
_FIELD_WEIGHTS = sorted({NAME_WEIGHT, HEADLINE_WEIGHT, SUBJECT_WEIGHT, BIO_WEIGHT})
WEAKEST_WORD = min(w * (FUZZY_FACTOR if z else LEMMA_FACTOR if "lemmas" in f else 1.0) for f, w, _l, z in WORD_FIELDS)
TEXT_STEP = min(min(b - a for a, b in zip(_FIELD_WEIGHTS, _FIELD_WEIGHTS[1:], strict=False)), WEAKEST_WORD)


def _word_clause(word: str, fuzzy: bool) -> Clause:
    """One query word: the best of its matches over the fields, a constant per field."""
    forms = " ".join(word_forms(word))
    factor = STOPWORD_FACTOR if is_stopword(word) else 1.0
    options: list[Clause] = []
    for field, weight, with_forms, typo_tolerant in WORD_FIELDS:
        query = forms if with_forms else word
        options.append(
            {"constant_score": {"filter": {"match": {field: {"query": query}}}, "boost": round(weight * factor, 4)}}
        )
        if fuzzy and typo_tolerant and factor == 1.0:
            options.append({
                "constant_score": {
                    "filter": {
                        "match": {
                            field: {
                                "query": word,
                                "fuzziness": "AUTO",
                                "prefix_length": 1,
                                "max_expansions": FUZZY_MAX_EXPANSIONS,
                            }
                        }
                    },
                    "boost": round(weight * FUZZY_FACTOR, 4),
                }
            })
    return {"dis_max": {"queries": options, "tie_breaker": 0.0}}


def query_words(text: str) -> list[str]:
    """The distinct words of a query, in order (a repeated word counts once)."""
    return list(dict.fromkeys(words(text)))


def text_clause(text: str | None) -> Clause | None:
    """Full text: a tutor matching any query word, scored by the words matched."""
    if not text or not text.strip():
        return None
    found = query_words(text)
    if not found:
        # Only punctuation or symbols: let the engine's analyser decide (it matches nothing
        # it cannot make a term of).
        return {"multi_match": {"query": text, "fields": [f for f, *_ in WORD_FIELDS]}}
    fuzzy = len(found) <= FUZZY_MAX_WORDS
    return {"bool": {"should": [_word_clause(word, fuzzy) for word in found], "minimum_should_match": 1}}


def quality_nudge(query: Clause) -> Clause:
    """`query` plus the rating/reviews bands: at most NUDGE_MAX added, below TEXT_STEP."""
    bands = []
    for field, low, high, boost in QUALITY_BANDS:
        bounds = {"gte": low} if high is None else {"gte": low, "lt": high}
        bands.append({"constant_score": {"filter": {"range": {field: bounds}}, "boost": boost}})
    return {"bool": {"must": [query], "should": bands}}

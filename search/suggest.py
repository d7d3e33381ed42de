"""Search as you type, and "did you mean" for a search that found nobody.

Tutor names and headlines are matched on their `prefix` sub-fields (search/indexes.py:
each word indexed with every beginning, folded, so "wisn" finds "Wiśniewski" and "piotr w"
finds "Piotr Wiśniewski"): one `match` per field, every typed word a beginning of some
word, a typo forgiven in words of FUZZY_FROM_LENGTH characters or more, never in the
first FUZZY_PREFIX. An exact beginning ranks above a forgiven typo, a name above a
headline, and among equals the better rated tutor first. Subjects come from the catalogue,
matched here in Python (a dozen names in three languages). Only what a listed tutor shows
is in the document, so nothing hidden or unlisted is suggested.

Did-you-mean asks the term suggester for near spellings (up to two edits, the first
letter included, which the search's own typo tolerance never changes) of each query word
in the short fields (names, headlines, subject names; never the bio) and keeps only the corrected
queries that find someone under the same filters, checked in one `_msearch`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from search.breaker import search_breaker
from search.client import search_client
from search.indexes import TUTORS
from search.morphology import words
from search.scoring import RATING_FIELD

SUGGEST_LIMIT = 10
SUGGEST_MAX_LENGTH = 100
# Typos are forgiven in typed words this long or longer, and never in their first characters.
FUZZY_FROM_LENGTH = 4
FUZZY_PREFIX = 2
# Tutors read per request: enough for SUGGEST_LIMIT distinct texts when names repeat.
_CANDIDATES = 3 * SUGGEST_LIMIT
# (field, what a match there suggests, score of an exact beginning, score with a typo)
_TYPED_FIELDS = (("full_name", "tutor", 4.0, 3.0), ("headline", "headline", 2.0, 1.0))
DID_YOU_MEAN_LIMIT = 3
_SPELLING_FIELDS = ("full_name", "headline", "subject_names")
_OPTIONS_PER_WORD = 3


@dataclass(frozen=True)
class SubjectNames:
    """A catalogue subject and the names it is found by."""

    slug: str
    names: tuple[str, ...]


def fold(text: str) -> str:
    """Lower case without accents ("Łódź" -> "lodz"), like the index's `folded` analyzer."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ł", "l"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _within_one_edit(a: str, b: str) -> bool:
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diffs) <= 1 or (
            len(diffs) == 2 and diffs[1] == diffs[0] + 1 and a[diffs[0]] == b[diffs[1]] and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _prefix_matches(typed: str, candidate: str, fuzzy: bool) -> bool:
    """Does `candidate` (or one of its words) start with `typed` (one typo forgiven past the
    start when `fuzzy`)?"""
    for start in [0] + [i + 1 for i, c in enumerate(candidate) if c == " "]:
        tail = candidate[start:]
        if tail.startswith(typed):
            return True
        if fuzzy and len(typed) >= FUZZY_FROM_LENGTH and tail[:FUZZY_PREFIX] == typed[:FUZZY_PREFIX]:
            if any(_within_one_edit(typed, tail[:n]) for n in (len(typed) - 1, len(typed), len(typed) + 1)):
                return True
    return False


def subject_completions(typed: str, subjects: Iterable[SubjectNames]) -> list[dict[str, Any]]:
    folded = fold(typed.strip())
    found = []
    for subject in subjects:
        # The name typed exactly, else one with a typo forgiven; one entry per subject.
        match = next((n for n in subject.names if n and _prefix_matches(folded, fold(n), fuzzy=False)), None)
        match = match or next((n for n in subject.names if n and _prefix_matches(folded, fold(n), fuzzy=True)), None)
        if match:
            found.append({"type": "subject", "text": match, "slug": subject.slug})
    return found


def suggest_body(typed: str) -> dict[str, Any]:
    """The request for what has been typed so far: tutors whose name or headline has a
    word beginning with each typed word; `matched_queries` says which."""
    fuzzy = any(len(word) >= FUZZY_FROM_LENGTH for word in typed.split())

    def beginning(field: str, kind: str, boost: float, typo: bool) -> dict[str, Any]:
        match: dict[str, Any] = {"query": typed, "operator": "and"}
        if typo:
            match.update(fuzziness=f"AUTO:{FUZZY_FROM_LENGTH},{SUGGEST_MAX_LENGTH}", prefix_length=FUZZY_PREFIX)
        return {"constant_score": {"filter": {"match": {f"{field}.prefix": match}}, "boost": boost, "_name": kind}}

    options = [beginning(field, kind, exact, False) for field, kind, exact, _typo in _TYPED_FIELDS]
    if fuzzy:
        options += [beginning(field, kind, typo, True) for field, kind, _exact, typo in _TYPED_FIELDS]
    return {
        "size": _CANDIDATES,
        "track_total_hits": False,
        "_source": ["id", "full_name", "headline"],
        "query": {"dis_max": {"queries": options}},
        "sort": [{"_score": {"order": "desc"}}, {RATING_FIELD: {"order": "desc", "missing": -1}}, {"id": "asc"}],
    }


def tutor_suggest(typed: str, subjects: Sequence[SubjectNames] = ()) -> list[dict[str, Any]]:
    """Up to SUGGEST_LIMIT completions of `typed`: subjects, tutors (by name), headlines.

    Each says what it is: {"type": "subject", "text", "slug"} or {"type": "tutor" |
    "headline", "text", "tutor_id"}. Raises search.breaker.SearchUnavailable.
    """
    typed = " ".join(typed.split())[:SUGGEST_MAX_LENGTH]
    if not typed:
        return []
    results: list[dict[str, Any]] = subject_completions(typed, subjects)

    def run() -> dict[str, Any]:
        return search_client().search(index=TUTORS.read_alias, body=suggest_body(typed))

    hits = search_breaker().call(run).get("hits", {}).get("hits", [])
    seen: set[tuple[str, str]] = {(r["type"], fold(r["text"])) for r in results}
    for kind, field in (("tutor", "full_name"), ("headline", "headline")):
        for hit in hits:
            source = hit.get("_source") or {}
            text = source.get(field)
            if kind not in hit.get("matched_queries", ()) or not text or (kind, fold(text)) in seen:
                continue
            seen.add((kind, fold(text)))
            results.append({"type": kind, "text": text, "tutor_id": source["id"]})
    return results[:SUGGEST_LIMIT]


# --- did you mean -----------------------------------------------------------------------


def _spelling_body(text: str) -> dict[str, Any]:
    return {
        "size": 0,
        "suggest": {
            field: {
                "text": text,
                "term": {"field": field, "suggest_mode": "always", "size": _OPTIONS_PER_WORD, "prefix_length": 0},
            }
            for field in _SPELLING_FIELDS
        },
    }


def _corrections(text: str, response: dict[str, Any]) -> list[str]:
    """Candidate queries: each word replaced by its best near spellings (itself kept too)."""
    options: dict[str, list[tuple[float, str]]] = {}
    for field in _SPELLING_FIELDS:
        for entry in response.get("suggest", {}).get(field, []):
            word = entry["text"].lower()
            for option in entry.get("options", []):
                rank = option.get("score", 0.0) * option.get("freq", 1) ** 0.1
                options.setdefault(word, []).append((rank, option["text"]))
    per_word: list[list[str]] = []
    for word in words(text):
        ranked = [t for _s, t in sorted(options.get(fold(word), []) + options.get(word, []), reverse=True)]
        choices = list(dict.fromkeys([t for t in ranked if t != fold(word)]))[:_OPTIONS_PER_WORD]
        per_word.append(choices + [word] if choices else [word])
    candidates = []
    for combination in product(*per_word):
        candidate = " ".join(combination)
        if fold(candidate) != fold(" ".join(words(text))):
            candidates.append(candidate)
        if len(candidates) >= 12:
            break
    return candidates


def did_you_mean(text: str, body_for: Any) -> list[str]:
    """Up to DID_YOU_MEAN_LIMIT corrections of `text` that each find at least one tutor.

    `body_for(candidate)` is the search body of the same query with `candidate` as its
    text (the same filters), so a correction is only offered where it finds someone.
    """
    client = search_client()

    def run_spelling() -> dict[str, Any]:
        return client.search(index=TUTORS.read_alias, body=_spelling_body(text))

    candidates = _corrections(text, search_breaker().call(run_spelling))
    if not candidates:
        return []
    lines: list[dict[str, Any]] = []
    for candidate in candidates:
        body = dict(body_for(candidate))
        body.update({"size": 0, "track_total_hits": 1})
        body.pop("aggs", None)
        body.pop("sort", None)
        lines.extend([{"index": TUTORS.read_alias}, body])

    def run_check() -> dict[str, Any]:
        return client.msearch(body=lines)

    checked = search_breaker().call(run_check)
    found = []
    for candidate, answer in zip(candidates, checked.get("responses", []), strict=False):
        total = (answer.get("hits") or {}).get("total") or {}
        if total.get("value", 0) > 0:
            found.append(candidate)
        if len(found) == DID_YOU_MEAN_LIMIT:
            break
    return found
